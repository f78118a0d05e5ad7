import LineProtocol

/// Every IMAP limit with its default, in one place; `LoftServer` fills them from `[imap]`.
public struct IMAPLimits: Sendable, Equatable {
    /// The parser's limits: line length (64 KiB, as Dovecot), literal and APPEND sizes, nesting.
    public var parser = IMAPParserLimits()
    /// RFC 3501 §5.4: an autologout timer of at least 30 minutes.
    public var idleTimeout: Duration = .seconds(30 * 60)
    /// Time from connect to a successful login.
    public var loginTimeout: Duration? = .seconds(120)
    /// How often an idling client hears `* OK Still here` (RFC 2177 §3: keep NAT state alive).
    public var idleKeepalive: Duration = .seconds(120)
    /// Failed logins on one connection before it is closed.
    public var maxAuthFailures = 3
    /// Malformed commands on one connection before it is closed.
    public var maxBadCommands = 20
    /// How often a long SEARCH reports its progress (`* OK [INPROGRESS ...]`, RFC 9585).
    public var searchProgressInterval: Duration = .seconds(10)
    /// Largest METADATA value SETMETADATA stores (RFC 5464 §4.3: more is `NO [METADATA MAXSIZE n]`).
    public var maxMetadataValueSize = 65_536
    /// Most METADATA entries of one mailbox, or of the server for one user, private and shared together
    /// (more is `NO [METADATA TOOMANY]`).
    public var maxMetadataEntries = 100
    /// Most mailboxes one NOTIFY watches for message events (RFC 5465 §3.1: more is refused with
    /// `NO [NOTIFICATIONOVERFLOW]`); each is held open in the registry and watched while NOTIFY lasts.
    public var maxNotifyMailboxes = 200
    /// Most notifications (STATUS per mailbox, LIST, METADATA) waiting for a client that is busy with a
    /// command or not reading; one more ends its NOTIFY with `OK [NOTIFICATIONOVERFLOW]` (§5.8).
    public var maxPendingNotifications = 1000
    /// Bytes of pipelined input held while a command is being served; at least one whole line
    /// (the parser keeps a line in the input until its end arrives).
    public var maxBufferedInput: Int { max(parser.maxLineLength, 64 * 1024) }

    public init() {}
}

extension IMAPLimits {
    /// The part of these limits the shared connection skeleton enforces.
    var connection: ConnectionLimits {
        ConnectionLimits(maxBufferedInput: maxBufferedInput, idleTimeout: idleTimeout, loginTimeout: loginTimeout)
    }
}

/// What one IMAP listener offers.
public struct IMAPConfiguration: Sendable {
    public var tlsMode: TLSMode
    /// Allow LOGIN/AUTHENTICATE without TLS (never by default).
    public var allowPlaintextAuth: Bool
    public var limits: IMAPLimits
    /// Extensions this listener does not offer (names from `IMAPSession.withholdableCapabilities`,
    /// upper case), for clients that misuse one.
    public var withheldCapabilities: Set<String>

    public init(
        tlsMode: TLSMode, allowPlaintextAuth: Bool = false, limits: IMAPLimits = IMAPLimits(),
        withheldCapabilities: Set<String> = []
    ) {
        self.tlsMode = tlsMode
        self.allowPlaintextAuth = allowPlaintextAuth
        self.limits = limits
        self.withheldCapabilities = withheldCapabilities
    }
}
