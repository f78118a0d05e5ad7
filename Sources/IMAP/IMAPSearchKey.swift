/// SEARCH / UID SEARCH arguments (RFC 3501 §6.4.4, RFC 4731 ESEARCH).
public struct IMAPSearchCommand: Sendable, Equatable {
    /// The CHARSET argument, nil when absent (US-ASCII).
    public var charset: String?
    /// The keys, ANDed: several top-level keys arrive as `.and`.
    public var key: IMAPSearchKey
    /// RFC 4731 `RETURN (...)`: nil for a plain SEARCH (answered with `* SEARCH`), else the
    /// options of an extended one (answered with `* ESEARCH`; an empty list means ALL).
    public var returnOptions: [IMAPSearchReturnOption]?

    public init(charset: String? = nil, key: IMAPSearchKey, returnOptions: [IMAPSearchReturnOption]? = nil) {
        self.charset = charset
        self.key = key
        self.returnOptions = returnOptions
    }
}

/// RFC 4731 §3.1 `search-return-opt`.
public enum IMAPSearchReturnOption: String, Sendable, Equatable {
    case min = "MIN"
    case max = "MAX"
    case all = "ALL"
    case count = "COUNT"
    /// RFC 5182 SEARCHRES: keep the result for `$`.
    case save = "SAVE"
}

/// RFC 3501 §9 `search-key`. String arguments are the raw astring bytes in the command's
/// charset.
public indirect enum IMAPSearchKey: Sendable, Equatable {
    case all
    case answered
    case bcc([UInt8])
    case before(IMAPDate)
    case body([UInt8])
    case cc([UInt8])
    case deleted
    case draft
    case flagged
    case from([UInt8])
    case header(String, [UInt8])
    case keyword(String)
    case larger(UInt64)
    case new
    case not(IMAPSearchKey)
    case old
    case on(IMAPDate)
    case or(IMAPSearchKey, IMAPSearchKey)
    case recent
    case seen
    case sentBefore(IMAPDate)
    case sentOn(IMAPDate)
    case sentSince(IMAPDate)
    case since(IMAPDate)
    case smaller(UInt64)
    case subject([UInt8])
    case text([UInt8])
    case to([UInt8])
    case uid(IMAPSequenceSet)
    case unanswered
    case undeleted
    case undraft
    case unflagged
    case unkeyword(String)
    case unseen
    case sequenceSet(IMAPSequenceSet)
    /// RFC 7162 §3.1.5: messages whose mod-sequence is at least this (the optional entry name
    /// is accepted and ignored: Loft keeps one mod-sequence per message).
    case modSeq(UInt64)
    /// RFC 8474 §6: the message whose EMAILID this is.
    case emailID(String)
    /// RFC 8474 §6: the messages of this THREADID (none: Loft gives no message a THREADID).
    case threadID(String)
    /// A parenthesized list, or several keys in a row: all must match.
    case and([IMAPSearchKey])
}
