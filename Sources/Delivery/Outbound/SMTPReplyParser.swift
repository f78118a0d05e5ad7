/// Turns the bytes a remote SMTP server sends into replies, incrementally: `append` bytes as they arrive,
/// then call `nextReply()` until it returns nil ("need more bytes"). Several replies may sit in the buffer
/// at once (answers to a PIPELINING batch, RFC 2920 §3.2); each call returns the next one.
///
/// RFC 5321 §4.2:
///
///     Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///                  Reply-code [ SP textstring ] CRLF
///     Reply-code = %x32-35 %x30-35 %x30-39
///
/// Lines end in CRLF; a bare LF is accepted too, as every deployed client does. The second and third digits
/// are accepted as any digit (only the first one carries meaning for a client, RFC 5321 §4.2.1). Text that
/// is not UTF-8 is kept with replacement characters. Errors are sticky: once `nextReply()` has thrown, it
/// throws the same error on every call, since the stream is no longer in step.
public struct SMTPReplyParser: Sendable {
    public let maximumLineLength: Int
    public let maximumLines: Int

    private var buffer: [UInt8] = []
    /// The first byte of `buffer` not yet consumed.
    private var start = 0
    /// How many bytes after `start` are already known to contain no LF, so a line drip-fed one byte at a
    /// time is scanned once, not once per byte.
    private var scanned = 0
    /// The code and lines of a multi-line reply whose last line has not arrived yet.
    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var failure: SMTPReplyError?

    /// - Parameters:
    ///   - maximumLineLength: the longest line accepted, in bytes without the line end. RFC 5321 §4.5.3.1.5
    ///     sets 512 for reply lines; real servers exceed it, so the default is generous.
    ///   - maximumLines: the most lines one reply may have (an EHLO reply has a few dozen at most).
    public init(maximumLineLength: Int = 4096, maximumLines: Int = 200) {
        self.maximumLineLength = maximumLineLength
        self.maximumLines = maximumLines
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Drop consumed bytes once they are the larger part of the buffer.
        if start > 4096, start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received but not yet returned as part of a reply.
    public var bufferedByteCount: Int { buffer.count - start }

    /// The next complete reply, or nil when more bytes are needed.
    public mutating func nextReply() throws(SMTPReplyError) -> SMTPClientReply? {
        if let failure { throw failure }
        do {
            return try parseNextReply()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func parseNextReply() throws(SMTPReplyError) -> SMTPClientReply? {
        while let line = try nextLine() {
            guard line.count >= 3,
                  (0x32...0x35).contains(line[line.startIndex]),
                  line.dropFirst().prefix(2).allSatisfy({ (0x30...0x39).contains($0) }),
                  line.count == 3 || line[line.startIndex + 3] == UInt8(ascii: " ")
                  || line[line.startIndex + 3] == UInt8(ascii: "-")
            else {
                throw .malformedLine(String(decoding: line.prefix(100), as: UTF8.self))
            }
            let code = line.prefix(3).reduce(0) { $0 * 10 + Int($1 - 0x30) }
            let isLast = line.count == 3 || line[line.startIndex + 3] == UInt8(ascii: " ")
            let text = line.count > 4 ? String(decoding: line.dropFirst(4), as: UTF8.self) : ""

            if let expected = pendingCode, expected != code {
                throw .codeMismatch(expected: expected, found: code)
            }
            guard pendingLines.count < maximumLines else { throw .tooManyLines(limit: maximumLines) }
            pendingCode = code
            pendingLines.append(text)
            if isLast {
                let reply = SMTPClientReply(code: code, lines: pendingLines)
                pendingCode = nil
                pendingLines = []
                return reply
            }
        }
        return nil
    }

    /// The next line without its line end, or nil when no whole line is buffered.
    private mutating func nextLine() throws(SMTPReplyError) -> ArraySlice<UInt8>? {
        let searchFrom = start + scanned
        guard let lineFeed = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = buffer.count - start
            // A line at the limit may be waiting for the LF of its CR LF; anything longer is too long already.
            if scanned > maximumLineLength + 1
                || (scanned == maximumLineLength + 1 && buffer.last != UInt8(ascii: "\r")) {
                throw .lineTooLong(limit: maximumLineLength)
            }
            return nil
        }
        var end = lineFeed
        if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end - start <= maximumLineLength else { throw .lineTooLong(limit: maximumLineLength) }
        let line = buffer[start..<end]
        start = lineFeed + 1
        scanned = 0
        return line
    }
}
