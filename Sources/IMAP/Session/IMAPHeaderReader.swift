import MailStore

/// Reads a stored message only up to the blank line that ends its header (RFC 5322 §2.1):
/// header-only SEARCH keys then cost a few KB per message, not the whole file.
enum IMAPHeaderReader {
    static let chunkSize = 8 * 1024

    /// The header of a stored message, and the blank line after it. Blocking.
    static func header(of uid: UInt32, in mailbox: SharedMailbox) throws -> [UInt8] {
        let reader = try mailbox.openMessage(uid: uid)
        defer { reader.close() }
        return try header(of: reader)
    }

    /// The header and the blank line after it (the whole file when it has no blank line).
    static func header(of reader: MessageFileReader) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let searchFrom = max(0, bytes.count - 3)
            let chunk = try reader.read(upTo: chunkSize)
            if chunk.isEmpty { return bytes }
            bytes += chunk
            if let end = endOfHeader(bytes, from: searchFrom) { return Array(bytes[..<end]) }
        }
    }

    /// The offset just past the first empty line (LF LF, or LF CR LF), from `start`.
    static func endOfHeader(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }
}
