/// The `TLS-Required` header field (RFC 8689 §4.2.1).
enum TLSRequiredField {
    /// Whether `header` (a message's header section) has `TLS-Required: No`: the sender asks that the
    /// recipient's DANE and MTA-STS policies be ignored so the message goes through even without secure TLS.
    static func saysNo(in header: [UInt8]) -> Bool {
        let text = String(decoding: header, as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {  // "\r\n" is one Character
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard name.lowercased() == "tls-required" else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "no"
        }
        return false
    }
}
