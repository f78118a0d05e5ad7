import NIOCore

/// The dot-stuffed multi-line transfer shared by POP3 (RFC 1939 §3) and SMTP DATA
/// (RFC 5321 §4.5.2), for a message given in pieces of any size: every line ends in CRLF (a
/// bare LF becomes CRLF), a line that starts with "." gets one more ".", a last line without
/// an ending gets one, and `finish` closes the block with ".\r\n". A line may span pieces;
/// a CR at the end of a piece is held back until the next piece says whether LF follows.
public struct DotStuffer: Sendable {
    /// Lines of the body (after the first empty line) still to send, for POP3 TOP; nil sends all.
    private let bodyLineLimit: Int?
    private var atLineStart = true
    private var lineIsEmpty = true
    private var heldCR = false
    private var inBody = false
    private var bodyLinesSent = 0

    public init(bodyLineLimit: Int? = nil) {
        self.bodyLineLimit = bodyLineLimit
    }

    /// True once TOP's body line limit is reached: the rest of the message is not needed.
    public var isComplete: Bool {
        guard inBody, atLineStart, let bodyLineLimit else { return false }
        return bodyLinesSent >= bodyLineLimit
    }

    /// Appends the next piece of the message, encoded, to `out`.
    public mutating func append<Bytes: Collection<UInt8>>(_ piece: Bytes, into out: inout ByteBuffer) {
        let appended: Void? = piece.withContiguousStorageIfAvailable { append($0, into: &out) }
        if appended == nil {
            Array(piece).withUnsafeBufferPointer { append($0, into: &out) }
        }
    }

    /// Ends the block: a last line without an ending gets CRLF, then ".\r\n".
    public mutating func finish(into out: inout ByteBuffer) {
        if !isComplete {
            if heldCR { out.writeInteger(UInt8(ascii: "\r")) }
            if !atLineStart { out.writeStaticString("\r\n") }
        }
        heldCR = false
        atLineStart = true
        out.writeStaticString(".\r\n")
    }

    /// Copies whole runs between line ends: the per-byte work is only the search for LF.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: bytes.count + bytes.count / 32 + 8)
        var position = 0
        while position < bytes.count, !isComplete {
            if heldCR {
                heldCR = false
                if bytes[position] != UInt8(ascii: "\n") {
                    out.writeInteger(UInt8(ascii: "\r"))  // a bare CR inside the line
                    lineIsEmpty = false
                }
            }
            if atLineStart {
                atLineStart = false
                lineIsEmpty = true
                if bytes[position] == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            }
            let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n"))
            var contentEnd = newline ?? bytes.count
            if contentEnd > position, bytes[contentEnd - 1] == UInt8(ascii: "\r") {
                contentEnd -= 1
                if newline == nil { heldCR = true }
            }
            if contentEnd > position {
                out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[position..<contentEnd])))
                lineIsEmpty = false
            }
            guard let newline else { return }
            out.writeStaticString("\r\n")
            endLine()
            position = newline + 1
        }
    }

    private mutating func endLine() {
        atLineStart = true
        if inBody {
            bodyLinesSent += 1
        } else if lineIsEmpty {
            inBody = true
        }
    }
}

public enum DotStuffing {
    /// Appends the whole `message` to `out` as one dot-stuffed block (see `DotStuffer`).
    public static func encode<Bytes: Collection<UInt8>>(
        _ message: Bytes, bodyLineLimit: Int? = nil, into out: inout ByteBuffer
    ) {
        var stuffer = DotStuffer(bodyLineLimit: bodyLineLimit)
        stuffer.append(message, into: &out)
        stuffer.finish(into: &out)
    }
}
