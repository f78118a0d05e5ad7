import NIOCore

/// The dot-stuffed multi-line transfer shared by POP3 (RFC 1939 §3) and SMTP DATA
/// (RFC 5321 §4.5.2).
public enum DotStuffing {
    /// Appends `message` to `out` as a multi-line block: every line ends in CRLF (a bare LF
    /// becomes CRLF), a line that starts with "." gets one more ".", a last line without an
    /// ending gets one, and the block closes with ".\r\n".
    ///
    /// `bodyLineLimit` stops after that many lines of the body (the lines after the first
    /// empty line), for POP3 TOP; nil sends everything.
    public static func encode<Bytes: Collection<UInt8>>(
        _ message: Bytes, bodyLineLimit: Int? = nil, into out: inout ByteBuffer
    ) {
        let encoded: Void? = message.withContiguousStorageIfAvailable { bytes in
            encode(bytes, bodyLineLimit: bodyLineLimit, into: &out)
        }
        if encoded == nil {
            Array(message).withUnsafeBufferPointer { encode($0, bodyLineLimit: bodyLineLimit, into: &out) }
        }
    }

    /// Copies whole lines at a time: the per-byte work is only the search for LF.
    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>, bodyLineLimit: Int?, into out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: bytes.count + bytes.count / 32 + 8)
        var lineStart = 0
        var inBody = false
        var bodyLinesSent = 0
        while lineStart < bytes.count {
            if inBody, let bodyLineLimit, bodyLinesSent >= bodyLineLimit { break }
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            var contentEnd = newline ?? bytes.count
            if let newline, newline > lineStart, bytes[newline - 1] == UInt8(ascii: "\r") {
                contentEnd = newline - 1
            }
            if bytes[lineStart] == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[lineStart..<contentEnd])))
            out.writeStaticString("\r\n")
            if inBody {
                bodyLinesSent += 1
            } else if contentEnd == lineStart {
                inBody = true
            }
            guard let newline else { break }
            lineStart = newline + 1
        }
        out.writeStaticString(".\r\n")
    }
}
