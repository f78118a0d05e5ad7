/// A SEARCH string, compared as a case-insensitive substring (RFC 3501 §6.4.4). Both sides are folded
/// the same way: ASCII letters lowered byte by byte, and text with any non-ASCII byte lowered through
/// Swift's Unicode `lowercased()` (invalid UTF-8 becomes U+FFFD first).
struct IMAPSearchNeedle: Sendable {
    let folded: [UInt8]

    init(_ bytes: [UInt8]) {
        folded = Self.fold(bytes)
    }

    static func fold(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) { return bytes.map(IMAPByte.lower) }
        return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8)
    }

    /// Whether the needle occurs in text already folded with `fold`. An empty needle is found anywhere.
    func isFound(inFolded haystack: [UInt8]) -> Bool {
        guard let first = folded.first else { return true }
        guard haystack.count >= folded.count else { return false }
        let lastStart = haystack.count - folded.count
        var i = 0
        while i <= lastStart {
            if haystack[i] == first {
                var k = 1
                while k < folded.count, haystack[i + k] == folded[k] { k += 1 }
                if k == folded.count { return true }
            }
            i += 1
        }
        return false
    }

    func isFound(in text: [UInt8]) -> Bool {
        isFound(inFolded: Self.fold(text))
    }
}
