/// The first value of a few named fields of a header section (RFC 5322 §2.2), found without
/// building the whole `MessageHeader`: SORT and THREAD read five to eight fields of every message,
/// and making every field of a 100,000-message mailbox (Received, DKIM-Signature ...) cost more than
/// reading the files.
///
/// Same reading as `MessageHeader.parse`: the section ends at the first empty line; a line that
/// starts with WSP continues the field; the name is what comes before the colon, whitespace
/// trimmed (RFC 5322 §4.5.3); the value is unfolded (§2.2.3) with the WSP after the colon dropped.
enum IMAPHeaderFieldScan {
    /// `names` lowercased (ASCII); the result has, at the same position as each name, the first
    /// value of that field, or nil when it does not occur.
    static func firstValues(of names: [[UInt8]], in bytes: [UInt8]) -> [[UInt8]?] {
        var found = [[UInt8]?](repeating: nil, count: names.count)
        var missing = names.count
        var position = 0
        let end = bytes.count
        while position < end, missing > 0 {
            // An empty line ends the header.
            if bytes[position] == 0x0A { break }
            if bytes[position] == 0x0D, position + 1 < end, bytes[position + 1] == 0x0A { break }
            let fieldStart = position
            var fieldEnd = lineEnd(bytes, from: position)
            while fieldEnd < end, bytes[fieldEnd] == 0x20 || bytes[fieldEnd] == 0x09 { fieldEnd = lineEnd(bytes, from: fieldEnd) }
            position = fieldEnd
            guard let colon = bytes[fieldStart..<fieldEnd].firstIndex(of: UInt8(ascii: ":")) else { continue }
            var nameEnd = colon
            while nameEnd > fieldStart, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            guard let slot = names.firstIndex(where: { matches($0, bytes[fieldStart..<nameEnd]) }), found[slot] == nil
            else { continue }
            var valueStart = colon + 1
            while valueStart < fieldEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            var value: [UInt8] = []
            value.reserveCapacity(fieldEnd - valueStart)
            var index = valueStart
            while index < fieldEnd {
                let b = bytes[index]
                if b == 0x0A || (b == 0x0D && index + 1 < fieldEnd && bytes[index + 1] == 0x0A) {
                    index += b == 0x0A ? 1 : 2
                    continue
                }
                value.append(b)
                index += 1
            }
            found[slot] = value
            missing -= 1
        }
        return found
    }

    static func lineEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A { return index + 1 }
            index += 1
        }
        return bytes.count
    }

    /// Whether `candidate` is `lowercased` in any ASCII case.
    static func matches(_ lowercased: [UInt8], _ candidate: ArraySlice<UInt8>) -> Bool {
        guard lowercased.count == candidate.count else { return false }
        return zip(lowercased, candidate).allSatisfy { $0 == ($1 >= 0x41 && $1 <= 0x5A ? $1 + 0x20 : $1) }
    }
}
