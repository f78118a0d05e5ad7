/// IMAP's modified UTF-7 (RFC 3501 section 5.1.3): how mailbox names travel over IMAP without
/// UTF8=ACCEPT, and how Dovecot stores Maildir++ folder names on disk.
///
/// - Printable US-ASCII (0x20–0x7E) represents itself, except `&`, which is written `&-`.
/// - Every other run of characters is UTF-16 (big-endian, surrogate pairs for characters past U+FFFF),
///   in base64 with `,` instead of `/` and no `=` padding, between `&` and `-`.
///
/// `decode` accepts only the one canonical encoding of each name, so two different byte strings never
/// name the same mailbox.
public enum ModifiedUTF7 {
    /// Why a string is not canonical modified UTF-7.
    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A byte outside printable US-ASCII (0x20–0x7E); `offset` counts bytes from 0.
        case invalidCharacter(offset: Int)
        /// `&` with no closing `-`.
        case unterminatedShift(offset: Int)
        /// A character that is not in the modified base64 alphabet, or a length no UTF-16 text encodes.
        case invalidBase64(offset: Int)
        /// Non-zero bits after the last UTF-16 unit.
        case nonZeroPadding(offset: Int)
        /// A printable US-ASCII character in base64, which must represent itself.
        case encodedPrintableASCII(offset: Int)
        /// `&-&...-`-like runs: two base64 runs next to each other, which the encoder would write as one.
        case adjacentShifts(offset: Int)
        /// A lone or misordered UTF-16 surrogate, or U+0000.
        case invalidUTF16(offset: Int)

        public var description: String {
            switch self {
            case let .invalidCharacter(offset): return "byte \(offset) is not printable US-ASCII"
            case let .unterminatedShift(offset): return "'&' at byte \(offset) is not closed by '-'"
            case let .invalidBase64(offset): return "invalid modified base64 in the run at byte \(offset)"
            case let .nonZeroPadding(offset): return "non-zero padding bits in the run at byte \(offset)"
            case let .encodedPrintableASCII(offset):
                return "the run at byte \(offset) encodes printable US-ASCII, which must represent itself"
            case let .adjacentShifts(offset): return "the run at byte \(offset) directly follows another run"
            case let .invalidUTF16(offset): return "the run at byte \(offset) is not valid UTF-16"
            }
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    private static func isPrintableASCII(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x20 && scalar.value <= 0x7E
    }

    /// The modified UTF-7 form of `text`.
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            output.append(UInt8(ascii: "&"))
            var bits: UInt32 = 0
            var count = 0
            for unit in pending {
                bits = (bits << 16) | UInt32(unit)
                count += 16
                while count >= 6 {
                    count -= 6
                    output.append(alphabet[Int((bits >> UInt32(count)) & 0x3F)])
                }
                bits &= (1 << UInt32(count)) - 1
            }
            if count > 0 { output.append(alphabet[Int((bits << UInt32(6 - count)) & 0x3F)]) }
            output.append(UInt8(ascii: "-"))
            pending.removeAll()
        }
        for scalar in text.unicodeScalars {
            if isPrintableASCII(scalar) {
                flush()
                output.append(UInt8(scalar.value))
                if scalar == "&" { output.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: UTF16.encode(scalar)!)
            }
        }
        flush()
        return String(decoding: output, as: UTF8.self)
    }

    /// The text `encoded` stands for.
    /// - Throws: `DecodingError` unless `encoded` is exactly what `encode` writes for some text.
    public static func decode(_ encoded: String) throws(DecodingError) -> String {
        let bytes = Array(encoded.utf8)
        var scalars = String.UnicodeScalarView()
        var index = 0
        var previousRunEnd = -1  // index just after the last `-` closing a base64 run
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x20 && byte <= 0x7E else { throw .invalidCharacter(offset: index) }
            guard byte == UInt8(ascii: "&") else {
                scalars.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            let start = index
            guard let close = bytes[(start + 1)...].firstIndex(of: UInt8(ascii: "-")) else {
                throw .unterminatedShift(offset: start)
            }
            index = close + 1
            if close == start + 1 {
                scalars.append("&")
                continue
            }
            if previousRunEnd == start { throw .adjacentShifts(offset: start) }
            previousRunEnd = index
            try decodeRun(bytes[(start + 1)..<close], at: start, into: &scalars)
        }
        return String(scalars)
    }

    private static func decodeRun(_ run: ArraySlice<UInt8>, at offset: Int,
                                  into scalars: inout String.UnicodeScalarView) throws(DecodingError) {
        // 16-bit units need 3, 6 or 8 characters per 1, 2 or 3 units: lengths 1, 2, 4, 5, 7 (mod 8) are no UTF-16.
        guard [0, 3, 6].contains(run.count % 8) else { throw .invalidBase64(offset: offset) }
        var bits: UInt32 = 0
        var count = 0
        var units: [UInt16] = []
        for character in run {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: ","): value = 63
            default: throw .invalidBase64(offset: offset)
            }
            bits = (bits << 6) | value
            count += 6
            if count >= 16 {
                count -= 16
                units.append(UInt16((bits >> UInt32(count)) & 0xFFFF))
                bits &= (1 << UInt32(count)) - 1
            }
        }
        if bits != 0 { throw .nonZeroPadding(offset: offset) }
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if isPrintableASCII(scalar) { throw .encodedPrintableASCII(offset: offset) }
                if scalar.value == 0 { throw .invalidUTF16(offset: offset) }
                scalars.append(scalar)
            case .emptyInput: break loop
            case .error: throw .invalidUTF16(offset: offset)
            }
        }
    }
}
