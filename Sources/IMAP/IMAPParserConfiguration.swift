/// Which non-synchronizing literals (`{n+}`) the server advertises (RFC 7888).
public enum IMAPLiteralPlusMode: Sendable, Equatable {
    /// Neither LITERAL+ nor LITERAL-: every `{n+}` is refused with `BAD`.
    case none
    /// LITERAL+: non-synchronizing literals of any size up to the limits.
    case literalPlus
    /// LITERAL-: non-synchronizing literals of at most 4096 octets (RFC 7888 §4); a larger one
    /// is refused with `BAD [TOOBIG]`.
    case literalMinus
}

/// Every limit the IMAP command parser applies, with its default, in one place.
public struct IMAPParserLimits: Sendable, Equatable {
    /// Longest command line, CRLF included (literals not counted); Dovecot's `imap_max_line_length` is 64 KiB too.
    public static let defaultMaxLineLength = 65_536
    /// Largest literal inside a command (LOGIN password, mailbox name, search string).
    public static let defaultMaxLiteralSize = 65_536
    /// Most bytes one command may hold in total, lines and argument literals together (an
    /// APPEND message does not count: it is streamed).
    public static let defaultMaxCommandSize = 262_144
    /// Largest APPEND message literal; a larger one is refused with `NO [TOOBIG]`.
    public static let defaultMaxAppendSize = 50 * 1_048_576
    /// Deepest nesting of parentheses, NOT and OR (SEARCH keys, extension values).
    public static let defaultMaxNestingDepth = 64
    /// Most messages in one MULTIAPPEND (RFC 3502); one more is refused with `NO [LIMIT]`.
    public static let defaultMaxMultiAppendMessages = 1_000
    /// Most octets of all messages of one MULTIAPPEND together (each is staged on disk, not in
    /// memory, until the command ends); a message that would pass it is refused with `NO [LIMIT]`.
    /// A single APPEND is bounded by `maxAppendSize` alone.
    public static let defaultMaxMultiAppendSize = 256 * 1_048_576
    /// RFC 7888 §4: the largest non-synchronizing literal a LITERAL- server accepts.
    public static let literalMinusMaximum = 4_096

    public var maxLineLength: Int
    public var maxLiteralSize: Int
    public var maxCommandSize: Int
    public var maxAppendSize: Int
    public var maxNestingDepth: Int
    public var maxMultiAppendMessages = defaultMaxMultiAppendMessages
    public var maxMultiAppendSize = defaultMaxMultiAppendSize

    public init(
        maxLineLength: Int = defaultMaxLineLength,
        maxLiteralSize: Int = defaultMaxLiteralSize,
        maxCommandSize: Int = defaultMaxCommandSize,
        maxAppendSize: Int = defaultMaxAppendSize,
        maxNestingDepth: Int = defaultMaxNestingDepth
    ) {
        self.maxLineLength = maxLineLength
        self.maxLiteralSize = maxLiteralSize
        self.maxCommandSize = maxCommandSize
        self.maxAppendSize = maxAppendSize
        self.maxNestingDepth = maxNestingDepth
    }
}

/// What the parser accepts; the session changes `utf8Accepted` after `ENABLE UTF8=ACCEPT`.
public struct IMAPParserConfiguration: Sendable, Equatable {
    public var limits: IMAPParserLimits
    public var literalPlus: IMAPLiteralPlusMode
    /// RFC 6855 §3: once UTF8=ACCEPT is enabled, quoted strings may hold UTF-8. Until then an
    /// 8-bit octet in a quoted string is a syntax error (RFC 3501 §9 QUOTED-CHAR).
    public var utf8Accepted: Bool

    public init(limits: IMAPParserLimits = IMAPParserLimits(), literalPlus: IMAPLiteralPlusMode = .literalPlus, utf8Accepted: Bool = false) {
        self.limits = limits
        self.literalPlus = literalPlus
        self.utf8Accepted = utf8Accepted
    }
}
