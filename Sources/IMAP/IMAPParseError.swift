/// Why a command could not be parsed. The session answers `tag BAD <message>` (or
/// `tag NO [TOOBIG]` when `responseCode` says so), or `* BAD` when the tag is unknown.
public struct IMAPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case syntax
        case unknownCommand
        case lineTooLong
        case commandTooLarge
        /// A literal over `maxLiteralSize` or `maxAppendSize`, or a non-synchronizing literal
        /// over 4096 octets under LITERAL- (RFC 7888 §4).
        case literalTooLarge
        /// `{n+}` while neither LITERAL+ nor LITERAL- is advertised.
        case nonSynchronizingLiteralNotAllowed
        case nestingTooDeep
        /// After IDLE, a line other than DONE (RFC 2177).
        case expectedDone
    }

    /// How the session answers: BAD for malformed input, NO for a well-formed command the
    /// server will not carry out (an APPEND message over `maxAppendSize`: `NO [TOOBIG]`).
    public enum Reply: Sendable, Equatable {
        case bad, no
    }

    public var kind: Kind
    public var reply: Reply
    /// Human text for the BAD/NO line.
    public var message: String
    /// `TOOBIG` (RFC 4469 / RFC 7888) when the session should say so; nil otherwise.
    public var responseCode: String?
    /// Octets of a non-synchronizing literal the client is sending anyway and the parser will
    /// skip (with the rest of that command) before the next command. A session may prefer to
    /// close the connection instead when this is large.
    public var skippedLiteralOctets: Int
    /// The input cannot be resynchronised (a literal whose size does not even fit a number):
    /// the session should answer `* BYE` and close.
    public var isFatal: Bool

    public init(
        _ kind: Kind, _ message: String, reply: Reply = .bad, responseCode: String? = nil, skippedLiteralOctets: Int = 0,
        isFatal: Bool = false
    ) {
        self.kind = kind
        self.reply = reply
        self.message = message
        self.responseCode = responseCode
        self.skippedLiteralOctets = skippedLiteralOctets
        self.isFatal = isFatal
    }

    public var description: String { message }
}
