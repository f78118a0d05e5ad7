/// One tagged client command (RFC 3501 §6, RFC 9051 §6, and the extensions Loft announces).
/// APPEND is not here: its message is streamed, see `IMAPAppendHeader` and
/// `IMAPParseResult.appendStart`.
public struct IMAPCommand: Sendable, Equatable {
    public var tag: String
    public var kind: Kind

    public init(tag: String, _ kind: Kind) {
        self.tag = tag
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        case capability
        case noop
        case logout
        case starttls
        /// RFC 3501 §6.2.2, with the initial response of RFC 4959 (SASL-IR).
        case authenticate(mechanism: String, initialResponse: IMAPInitialResponse?)
        case login(user: [UInt8], password: [UInt8])
        /// RFC 5161.
        case enable([String])
        /// RFC 2971: nil for `ID NIL`.
        case id([IMAPIDParameter]?)
        /// RFC 2342.
        case namespace
        case select(IMAPMailboxName, parameters: [IMAPParameter])
        case examine(IMAPMailboxName, parameters: [IMAPParameter])
        case create(IMAPMailboxName, parameters: [IMAPParameter])
        case delete(IMAPMailboxName)
        case rename(from: IMAPMailboxName, to: IMAPMailboxName, parameters: [IMAPParameter])
        case subscribe(IMAPMailboxName)
        case unsubscribe(IMAPMailboxName)
        /// RFC 3501 §6.3.8 and RFC 5258 LIST-EXTENDED.
        case list(IMAPListCommand)
        case lsub(reference: IMAPMailboxName, pattern: [UInt8])
        case status(IMAPMailboxName, [IMAPStatusAttribute])
        case check
        case close
        /// RFC 3691.
        case unselect
        case expunge
        /// RFC 4315 UIDPLUS.
        case uidExpunge(IMAPSequenceSet)
        case search(IMAPSearchCommand, uid: Bool)
        /// RFC 5256 SORT, RFC 5267 ESORT.
        case sort(IMAPSortCommand, uid: Bool)
        /// RFC 5256 THREAD.
        case thread(IMAPThreadCommand, uid: Bool)
        /// `changedSince`: RFC 7162 §3.1.4 CHANGEDSINCE modifier; `vanished`: its §3.2.6 VANISHED
        /// modifier (UID FETCH with QRESYNC only).
        case fetch(IMAPSequenceSet, [IMAPFetchAttribute], uid: Bool, changedSince: UInt64? = nil, vanished: Bool = false)
        /// `unchangedSince`: RFC 7162 §3.1.3 UNCHANGEDSINCE modifier.
        case store(IMAPSequenceSet, IMAPStoreAction, uid: Bool, unchangedSince: UInt64? = nil)
        case copy(IMAPSequenceSet, IMAPMailboxName, uid: Bool)
        /// RFC 6851.
        case move(IMAPSequenceSet, IMAPMailboxName, uid: Bool)
        /// RFC 2177: the session sends `+ idling`, then calls `IMAPCommandParser.beginIdle()`.
        case idle
        /// RFC 4978: the compression algorithm, upper-cased (only DEFLATE exists).
        case compress(String)
        /// RFC 9208 GETQUOTA, GETQUOTAROOT, SETQUOTA.
        case quota(IMAPQuotaCommand)
        /// RFC 5464 GETMETADATA, SETMETADATA.
        case metadata(IMAPMetadataCommand)
        /// RFC 5465.
        case notify(IMAPNotifyCommand)
    }
}

/// The optional initial response of AUTHENTICATE (RFC 4959): `=` is an empty response.
public enum IMAPInitialResponse: Sendable, Equatable {
    case empty
    /// The base64 text as sent, not decoded.
    case base64(String)
}

/// One `string SP nstring` pair of an ID command (RFC 2971 §3.3).
public struct IMAPIDParameter: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]?

    public init(key: [UInt8], value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A mailbox name exactly as the client sent it (astring bytes, modified UTF-7 or, with
/// UTF8=ACCEPT, UTF-8). Decoding it is MailStore's job.
public struct IMAPMailboxName: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(stringLiteral value: String) {
        self.bytes = Array(value.utf8)
    }

    /// `INBOX` in any case means the inbox (RFC 3501 §5.1).
    public var isInbox: Bool {
        bytes.count == 5 && bytes.map { $0 & 0xDF } == Array("INBOX".utf8)
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// A generic extension parameter (RFC 4466 §2.1: `select-param`, `create-param`,
/// `rename-param`): a label and an optional value.
public struct IMAPParameter: Sendable, Equatable {
    public var name: String
    public var value: IMAPTaggedValue?

    public init(name: String, value: IMAPTaggedValue? = nil) {
        self.name = name
        self.value = value
    }
}

/// RFC 4466 `tagged-ext-val`, kept uninterpreted.
public indirect enum IMAPTaggedValue: Sendable, Equatable {
    /// `tagged-ext-simple`: a sequence set or a number, as text.
    case simple(String)
    /// An astring inside `tagged-ext-comp` (also `\Flag`-like words such as CREATE's USE list).
    case string([UInt8])
    /// A parenthesized list.
    case list([IMAPTaggedValue])
}

/// STATUS data items (RFC 3501 §6.3.10, RFC 9051 §6.3.11, RFC 7162, RFC 8438).
public enum IMAPStatusAttribute: String, Sendable, Equatable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
    case deleted = "DELETED"
    case size = "SIZE"
    case highestModSeq = "HIGHESTMODSEQ"
    /// RFC 9208 §4.2.
    case deletedStorage = "DELETED-STORAGE"
    /// RFC 8474 §4.3.
    case mailboxID = "MAILBOXID"
}

/// A message flag (RFC 3501 §2.3.2). Keywords compare case-insensitively in IMAP; these keep
/// the client's spelling.
public enum IMAPFlag: Sendable, Hashable {
    case answered
    case flagged
    case deleted
    case seen
    case draft
    /// `\` atom other than the five system flags above (for example `\Recent`), without the `\`.
    case `extension`(String)
    /// A keyword atom such as `$Forwarded` or `NonJunk`.
    case keyword(String)
}

/// STORE's data item (RFC 3501 §6.4.6).
public struct IMAPStoreAction: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case replace, add, remove
    }

    public var mode: Mode
    public var silent: Bool
    public var flags: [IMAPFlag]

    public init(mode: Mode, silent: Bool, flags: [IMAPFlag]) {
        self.mode = mode
        self.silent = silent
        self.flags = flags
    }
}

/// The data of an APPEND command up to its message literal (RFC 3501 §6.3.11). The message
/// itself follows as `IMAPParseResult.appendData` chunks.
public struct IMAPAppendHeader: Sendable, Equatable {
    public var tag: String
    public var mailbox: IMAPMailboxName
    public var flags: [IMAPFlag]
    public var internalDate: IMAPDateTime?
    /// The declared size of the message literal.
    public var messageSize: Int
    /// Whether the client waits for a `+` before sending the message (`{n}` rather than `{n+}`).
    public var synchronizing: Bool
    /// A literal8 `~{n}` (RFC 3516 §4.4): the message may hold NUL octets.
    public var binary = false
    /// 1 for the first message; MULTIAPPEND (RFC 3502) goes on with 2, 3, ... under the same tag
    /// and mailbox, and the command ends with a single `appendEnd` after the last one.
    public var messageNumber = 1

    public init(
        tag: String, mailbox: IMAPMailboxName, flags: [IMAPFlag], internalDate: IMAPDateTime?, messageSize: Int,
        synchronizing: Bool
    ) {
        self.tag = tag
        self.mailbox = mailbox
        self.flags = flags
        self.internalDate = internalDate
        self.messageSize = messageSize
        self.synchronizing = synchronizing
    }
}

/// A calendar day (`date` in SEARCH, RFC 3501 §9).
public struct IMAPDate: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

/// APPEND's `date-time` (RFC 3501 §9): a day, a time and a zone offset in minutes east of UTC.
public struct IMAPDateTime: Sendable, Hashable {
    public var date: IMAPDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var zoneMinutes: Int

    public init(date: IMAPDate, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneMinutes = zoneMinutes
    }
}
