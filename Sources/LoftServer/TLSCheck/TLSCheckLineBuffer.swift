/// Splits what an IMAP or POP3 server sends into lines (CRLF, or a bare LF as servers send in
/// practice) with a length limit, for the check dialogues. SMTP uses `SMTPReplyParser` instead.
struct TLSCheckLineBuffer {
    /// The longest line accepted, without its line end. Capability lines are short; a server
    /// that sends more is not speaking the protocol.
    static let maximumLineLength = 16 * 1024

    private var bytes: [UInt8] = []

    var bufferedByteCount: Int { bytes.count }

    mutating func append(_ more: [UInt8]) {
        bytes += more
    }

    /// The next whole line without its line end (invalid UTF-8 replaced), or nil when none is buffered.
    mutating func nextLine() throws(TLSCheckDialogueError) -> String? {
        guard let lineFeed = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            if bytes.count > Self.maximumLineLength {
                throw TLSCheckDialogueError(description: "a line longer than \(Self.maximumLineLength) bytes")
            }
            return nil
        }
        var end = lineFeed
        if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end <= Self.maximumLineLength else {
            throw TLSCheckDialogueError(description: "a line longer than \(Self.maximumLineLength) bytes")
        }
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        bytes.removeSubrange(...lineFeed)
        return line
    }
}
