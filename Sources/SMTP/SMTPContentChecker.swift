import NIOCore

/// Why a received message is refused after its content arrived.
public enum SMTPContentRejection: Sendable, Equatable, CustomStringConvertible {
    /// A CR not followed by LF, or an LF not preceded by CR.
    case bareLineEnding
    /// A line longer than the limit (octets including CRLF).
    case lineTooLong(limit: Int)
    /// More octets than the limit.
    case tooLarge(limit: Int)

    /// The reply for the end of DATA or the BDAT chunk where it was found.
    public var reply: SMTPReply {
        switch self {
        case .bareLineEnding: SMTPReply(550, "5.6.11 bare LF/CR not allowed")
        case .lineTooLong(let limit): SMTPReply(550, "5.6.0 Message has a line longer than \(limit) octets (RFC 5321 4.5.3.1.6)")
        case .tooLarge(let limit): SMTPReply(552, "5.3.4 Message size exceeds fixed limit of \(limit) octets")
        }
    }

    public var description: String {
        switch self {
        case .bareLineEnding: "bare CR or LF in message"
        case .lineTooLong(let limit): "line longer than \(limit) octets"
        case .tooLarge(let limit): "message larger than \(limit) octets"
        }
    }
}

/// Watches the message content (after dot-unstuffing) as it streams by: size, line length
/// and line endings. The first problem found is kept; the caller stops storing from then on
/// but keeps reading to the end, and answers with `rejection.reply`.
public struct SMTPContentChecker: Sendable {
    public let maxMessageSize: Int
    public let maxLineLength: Int
    public private(set) var size = 0
    public private(set) var rejection: SMTPContentRejection?
    private var lineLength = 0
    private var afterCR = false

    public init(maxMessageSize: Int, maxLineLength: Int) {
        self.maxMessageSize = maxMessageSize
        self.maxLineLength = maxLineLength
    }

    /// Checks the next content bytes.
    public mutating func check(_ bytes: ByteBuffer) {
        size += bytes.readableBytes
        if size > maxMessageSize {
            // The size problem wins: the client should learn the message is too big to retry.
            rejection = .tooLarge(limit: maxMessageSize)
            return
        }
        guard rejection == nil else { return }
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        for byte in bytes.readableBytesView {
            lineLength += 1
            if afterCR && byte != lf {
                rejection = .bareLineEnding
                return
            }
            if byte == lf {
                guard afterCR else { rejection = .bareLineEnding; return }
                lineLength = 0
            } else if lineLength > maxLineLength - 2 && byte != cr {
                // The limit counts the CRLF, so text may fill all but two octets.
                rejection = .lineTooLong(limit: maxLineLength)
                return
            }
            afterCR = byte == cr
        }
    }

    /// Call at the end of the content: a CR left at the very end is bare too.
    public mutating func finish() {
        if rejection == nil && afterCR { rejection = .bareLineEnding }
    }
}
