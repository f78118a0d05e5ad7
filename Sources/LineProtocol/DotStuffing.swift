import NIOCore

/// The dot-stuffed multi-line transfer shared by POP3 (RFC 1939 §3) and SMTP DATA
/// (RFC 5321 §4.5.2).
public enum DotStuffing {
    /// Appends `message` to `out` as a multi-line block: every line ends in CRLF (a bare LF
    /// becomes CRLF), a line that starts with "." gets one more ".", a last line without an
    /// ending gets one, and the block closes with ".\r\n".
    ///
    /// `maxLines` stops after that many lines of the body (the lines after the first empty
    /// line), for POP3 TOP; nil sends everything.
    public static func encode<Bytes: Collection<UInt8>>(
        _ message: Bytes, bodyLineLimit maxLines: Int? = nil, into out: inout ByteBuffer
    ) {
        out.reserveCapacity(minimumWritableBytes: message.count + message.count / 32 + 8)
        var atLineStart = true
        var previous: UInt8 = 0
        var inBody = false
        var bodyLinesSent = 0
        var lineIsEmpty = true
        for byte in message {
            if atLineStart {
                if inBody, let maxLines, bodyLinesSent >= maxLines { break }
                if byte == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
                atLineStart = false
                lineIsEmpty = true
            }
            if byte == UInt8(ascii: "\n") {
                if previous != UInt8(ascii: "\r") { out.writeInteger(UInt8(ascii: "\r")) }
                out.writeInteger(byte)
                if inBody {
                    bodyLinesSent += 1
                } else if lineIsEmpty {
                    inBody = true
                }
                atLineStart = true
            } else {
                out.writeInteger(byte)
                if byte != UInt8(ascii: "\r") { lineIsEmpty = false }
            }
            previous = byte
        }
        if !atLineStart {
            out.writeStaticString("\r\n")
        }
        out.writeStaticString(".\r\n")
    }
}
