/// The `[imap]` section: limits of the IMAP service, shared by every IMAP listener.
public struct IMAPSettings: Sendable, Equatable {
    /// RFC 3501 §5.4: the autologout timer is at least 30 minutes.
    public static let minimumIdleTimeout = Duration.seconds(30 * 60)
    public static let defaultIdleTimeout = minimumIdleTimeout
    /// How often an idling client hears `* OK Still here` (Dovecot's default, 2 minutes).
    public static let defaultIdleKeepalive = Duration.seconds(120)
    /// Keepalives must come before the autologout timer, and not flood.
    public static let idleKeepaliveRange = Duration.seconds(10)...Duration.seconds(29 * 60)

    /// Default for `max_line_length`: bytes of one command line (literals not counted), as
    /// Dovecot's `imap_max_line_length`.
    public static let defaultMaxLineLength = 65_536
    /// RFC 7162 §4 asks clients to keep lines under 8192 octets; servers must take at least that.
    public static let maxLineLengthRange = 8_192...1_048_576
    /// Default for `max_folders`: folders per user (INBOX not counted); more get `NO [LIMIT]`.
    public static let defaultMaxFolders = 1_000
    public static let maxFoldersRange = 1...100_000

    /// Default for `max_compressed_sessions`: IMAP sessions that may use COMPRESS=DEFLATE at once
    /// (about 80 KiB of zlib state each); more get `NO [LIMIT]` and go on uncompressed.
    public static let defaultMaxCompressedSessions = 1_000
    public static let maxCompressedSessionsRange = 0...100_000

    /// Default for `metadata_max_value_size`: octets of one METADATA value (RFC 5464); a larger one gets
    /// `NO [METADATA MAXSIZE n]`. At most 64 KiB: values arrive as command literals, which are capped there.
    public static let defaultMetadataMaxValueSize = 65_536
    public static let metadataMaxValueSizeRange = 1_024...65_536
    /// Default for `metadata_max_entries`: METADATA entries per mailbox (and on the server) per user;
    /// more get `NO [METADATA TOOMANY]`.
    public static let defaultMetadataMaxEntries = 100
    public static let metadataMaxEntriesRange = 1...10_000
    /// Default for `notify_max_mailboxes`: mailboxes one NOTIFY may watch (RFC 5465; each is held open
    /// and watched); more get `NO [NOTIFICATIONOVERFLOW]`.
    public static let defaultNotifyMaxMailboxes = 200
    public static let notifyMaxMailboxesRange = 1...10_000
    /// Default for `notify_max_pending`: notifications waiting for a busy client before its NOTIFY ends
    /// with `OK [NOTIFICATIONOVERFLOW]`.
    public static let defaultNotifyMaxPending = 1_000
    public static let notifyMaxPendingRange = 10...100_000

    public var idleTimeout: Duration
    public var idleKeepalive: Duration
    public var maxLineLength: Int
    public var maxFolders: Int
    /// 0: COMPRESS=DEFLATE is not offered.
    public var maxCompressedSessions: Int
    public var metadataMaxValueSize = IMAPSettings.defaultMetadataMaxValueSize
    public var metadataMaxEntries = IMAPSettings.defaultMetadataMaxEntries
    public var notifyMaxMailboxes = IMAPSettings.defaultNotifyMaxMailboxes
    public var notifyMaxPending = IMAPSettings.defaultNotifyMaxPending

    public init(idleTimeout: Duration = IMAPSettings.defaultIdleTimeout,
                idleKeepalive: Duration = IMAPSettings.defaultIdleKeepalive,
                maxLineLength: Int = IMAPSettings.defaultMaxLineLength,
                maxFolders: Int = IMAPSettings.defaultMaxFolders,
                maxCompressedSessions: Int = IMAPSettings.defaultMaxCompressedSessions) {
        self.idleTimeout = idleTimeout
        self.idleKeepalive = idleKeepalive
        self.maxLineLength = maxLineLength
        self.maxFolders = maxFolders
        self.maxCompressedSessions = maxCompressedSessions
    }
}
