/// Conversions between a `MessageRecord.keywordBits` mask and Maildir keyword letters `a`–`z`.
enum KeywordBits {
    /// The mask of the letters (`a` is bit 0); anything outside `a`–`z` is ignored.
    static func mask(ofLetters letters: some Sequence<Character>) -> UInt32 {
        var mask: UInt32 = 0
        for letter in letters {
            guard let ascii = letter.asciiValue, ascii >= UInt8(ascii: "a"), ascii <= UInt8(ascii: "z") else { continue }
            mask |= 1 << UInt32(ascii - UInt8(ascii: "a"))
        }
        return mask
    }

    /// The letters of a mask, in ASCII order.
    static func letters(_ mask: UInt32) -> [Character] {
        letterOffsets(mask).map { Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8($0))) }
    }

    /// The set bit positions of a mask (0 = `a`), ascending.
    static func letterOffsets(_ mask: UInt32) -> [Int] {
        (0..<26).filter { mask & (1 << UInt32($0)) != 0 }
    }
}
