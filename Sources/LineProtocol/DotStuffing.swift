import Glibc
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

    /// Encodes straight into the buffer's free space, a stretch of lines per call, so that a line
    /// costs a search for LF and one copy rather than several checked buffer writes.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout ByteBuffer) {
        var position = 0
        // Usually enough for the whole piece: a few lines start with a dot or end in a bare LF.
        var room = bytes.count + bytes.count / 32 + 8
        while position < bytes.count, !isComplete {
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { target in
                encode(bytes, from: &position, into: target)
            }
            // Out of room: the worst case for the rest (every byte a bare LF, doubled) surely fits.
            room = 2 * (bytes.count - position) + 8
        }
    }

    /// Encodes from `position` as long as the next line (or the piece's unfinished end of one)
    /// surely fits into `target`, at most its run + 4 bytes (a held CR, a dot, CRLF). Returns the
    /// bytes written; `target` always has room for the first line (see `append`).
    private mutating func encode(
        _ bytes: UnsafeBufferPointer<UInt8>, from position: inout Int, into target: UnsafeMutableRawBufferPointer
    ) -> Int {
        let base = bytes.baseAddress!
        var written = 0
        while position < bytes.count, !isComplete {
            let newline = memchr(base + position, 0x0A, bytes.count - position)
                .map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base }
            var contentEnd = newline ?? bytes.count
            guard target.count - written >= contentEnd - position + 4 else { break }
            if heldCR {
                heldCR = false
                if bytes[position] != UInt8(ascii: "\n") {
                    target[written] = UInt8(ascii: "\r")  // a bare CR inside the line
                    written += 1
                    lineIsEmpty = false
                }
            }
            if atLineStart {
                atLineStart = false
                lineIsEmpty = true
                if bytes[position] == UInt8(ascii: ".") {
                    target[written] = UInt8(ascii: ".")
                    written += 1
                }
            }
            if contentEnd > position, bytes[contentEnd - 1] == UInt8(ascii: "\r") {
                contentEnd -= 1
                if newline == nil { heldCR = true }
            }
            if contentEnd > position {
                (target.baseAddress! + written).copyMemory(from: base + position, byteCount: contentEnd - position)
                written += contentEnd - position
                lineIsEmpty = false
            }
            guard let newline else {
                position = bytes.count
                break
            }
            target[written] = UInt8(ascii: "\r")
            target[written + 1] = UInt8(ascii: "\n")
            written += 2
            endLine()
            position = newline + 1
        }
        return written
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
