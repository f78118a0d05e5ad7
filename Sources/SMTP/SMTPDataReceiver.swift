import NIOCore

/// Reads the text after `354` (RFC 5321 §4.1.1.4): removes dot-stuffing (§4.5.2) and finds
/// the end of data, which is exactly `CRLF "." CRLF` (the first CRLF may be the one that ended
/// the DATA command). A bare CR or LF never helps to end the data, so `\n.\n`, `\r.\r`,
/// `\n.\r\n` and `\r\n.\n` are content (the "SMTP smuggling" class); the content checker then
/// rejects the message for its bare line ending.
///
/// Fed any split of the input (a byte at a time or all at once), it yields the same content.
public struct SMTPDataReceiver: Sendable {
    private enum State: Sendable {
        /// Right after CRLF (or at the very start).
        case lineStart
        /// `.` at the start of a line, held back.
        case lineStartDot
        /// `.` CR at the start of a line, held back.
        case lineStartDotCR
        /// Inside a line; `afterCR` when the last byte was a CR.
        case inLine(afterCR: Bool)
        case finished
    }

    private var state = State.lineStart

    public init() {}

    /// True once the end-of-data line was read.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Reads from `input` up to and including the end-of-data line (bytes after it stay in
    /// `input`), appending the unstuffed content to `content`. Returns true at the end of data.
    public mutating func consume(_ input: inout ByteBuffer, into content: inout ByteBuffer) -> Bool {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dot = UInt8(ascii: ".")
        var consumed = 0
        var output: [UInt8] = []
        output.reserveCapacity(input.readableBytes)
        defer {
            input.moveReaderIndex(forwardBy: consumed)
            content.writeBytes(output)
        }
        for byte in input.readableBytesView {
            consumed += 1
            switch state {
            case .finished:
                consumed -= 1
                return true
            case .lineStart:
                if byte == dot {
                    state = .lineStartDot
                } else {
                    output.append(byte)
                    state = .inLine(afterCR: byte == cr)
                }
            case .lineStartDot:
                if byte == cr {
                    state = .lineStartDotCR
                } else {
                    // A stuffed dot: drop it, the byte is content.
                    output.append(byte)
                    state = .inLine(afterCR: false)
                }
            case .lineStartDotCR:
                if byte == lf {
                    state = .finished
                    return true
                }
                // ".\r" followed by more: the dot was stuffing, the CR is (bare) content.
                output.append(cr)
                output.append(byte)
                state = .inLine(afterCR: byte == cr)
            case .inLine(let afterCR):
                output.append(byte)
                if afterCR && byte == lf {
                    state = .lineStart
                } else {
                    state = .inLine(afterCR: byte == cr)
                }
            }
        }
        return isFinished
    }
}
