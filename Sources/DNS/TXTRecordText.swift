/// TXT record data in zone-file syntax.
public enum TXTRecordText {
    /// `text` as quoted character-strings of at most 255 bytes each (RFC 1035 §3.3.14), `"` and `\`
    /// escaped; a resolver joins the strings again (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    public static func zoneFile(_ text: String) -> String {
        var strings: [String] = []
        var current = ""
        var length = 0
        for character in text {
            let size = character.utf8.count
            if length + size > 255 {
                strings.append(current)
                current = ""
                length = 0
            }
            current += character == "\"" || character == "\\" ? "\\\(character)" : String(character)
            length += size
        }
        strings.append(current)
        return strings.map { "\"\($0)\"" }.joined(separator: " ")
    }
}
