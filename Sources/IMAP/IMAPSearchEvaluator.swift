/// Evaluates SEARCH keys (RFC 3501 §6.4.4) against one message at a time.
///
/// Decisions where the RFC leaves room:
/// - BEFORE/ON/SINCE compare the calendar day of the internal date in the server's zone
///   (`timeZoneOffsetSeconds`, 0 = UTC in Loft).
/// - SENTBEFORE/SENTON/SENTSINCE compare the day written in the Date: header, in its own zone
///   (RFC 3501: "disregarding time and timezone"). A message without a parseable Date: matches none of
///   them (so `NOT SENTBEFORE x` matches it).
/// - String keys are case-insensitive substrings (`IMAPSearchNeedle`); header values are unfolded and their
///   RFC 2047 words decoded; BODY reads the decoded text parts (`IMAPSearchBodyText`); TEXT is the header
///   lines (`Name: value`) or the body.
/// - HEADER with an empty value matches every message that has the field.
/// - Content keys never match when `matches` is given no content.
public struct IMAPSearchEvaluator: Sendable {
    public let key: IMAPSearchKey
    public let lastSequenceNumber: UInt32
    public let lastUID: UInt32
    public let timeZoneOffsetSeconds: Int
    /// Whether any key needs the message content (header or body keys, SENT*).
    public let needsContent: Bool
    /// Whether any key looks past the header (BODY, TEXT): otherwise the header alone will do.
    public let needsBody: Bool

    /// `lastSequenceNumber` / `lastUID` give `*` its value (RFC 3501 §6.4.4, §9). Throws `.badCharset` for a
    /// CHARSET other than US-ASCII or UTF-8 (any case); none means US-ASCII.
    public init(
        _ command: IMAPSearchCommand, lastSequenceNumber: UInt32, lastUID: UInt32, timeZoneOffsetSeconds: Int = 0
    ) throws(IMAPSearchError) {
        if let charset = command.charset {
            let upper = charset.uppercased()
            guard upper == "US-ASCII" || upper == "UTF-8" else { throw .badCharset(charset) }
        }
        key = command.key
        self.lastSequenceNumber = lastSequenceNumber
        self.lastUID = lastUID
        self.timeZoneOffsetSeconds = timeZoneOffsetSeconds
        needsContent = Self.needsContent(command.key)
        needsBody = Self.needsBody(command.key)
    }

    public func matches(_ message: IMAPSearchMessage, content: IMAPMessageContent?) -> Bool {
        var context = content.map(IMAPSearchContent.init)
        return matches(key, message, &context)
    }

    static func needsContent(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .bcc, .body, .cc, .from, .header, .subject, .text, .to, .sentBefore, .sentOn, .sentSince: true
        case .not(let inner): needsContent(inner)
        case .or(let a, let b): needsContent(a) || needsContent(b)
        case .and(let keys): keys.contains(where: needsContent)
        default: false
        }
    }

    /// Whether a MODSEQ key is used (the response then reports the highest mod-sequence found).
    public static func usesModSeq(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .modSeq: true
        case .not(let inner): usesModSeq(inner)
        case .or(let a, let b): usesModSeq(a) || usesModSeq(b)
        case .and(let keys): keys.contains(where: usesModSeq)
        default: false
        }
    }

    /// Whether an RFC 8474 key (EMAILID, THREADID) is used.
    public static func usesObjectID(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .emailID, .threadID: true
        case .not(let inner): usesObjectID(inner)
        case .or(let a, let b): usesObjectID(a) || usesObjectID(b)
        case .and(let keys): keys.contains(where: usesObjectID)
        default: false
        }
    }

    static func needsBody(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .body, .text: true
        case .not(let inner): needsBody(inner)
        case .or(let a, let b): needsBody(a) || needsBody(b)
        case .and(let keys): keys.contains(where: needsBody)
        default: false
        }
    }

    func matches(_ key: IMAPSearchKey, _ message: IMAPSearchMessage, _ content: inout IMAPSearchContent?) -> Bool {
        switch key {
        case .all: return true
        case .modSeq(let least): return message.modSeq >= least
        case .emailID(let id): return message.emailID?.description == id
        case .threadID: return false  // RFC 8474 §5.2: no message has a THREADID
        case .and(let keys): return keys.allSatisfy { matches($0, message, &content) }
        case .or(let a, let b): return matches(a, message, &content) || matches(b, message, &content)
        case .not(let inner): return !matches(inner, message, &content)
        case .sequenceSet(let set): return set.contains(message.sequenceNumber, last: lastSequenceNumber)
        case .uid(let set): return set.contains(message.uid, last: lastUID)
        case .answered: return message.systemFlags.contains("answered")
        case .deleted: return message.systemFlags.contains("deleted")
        case .draft: return message.systemFlags.contains("draft")
        case .flagged: return message.systemFlags.contains("flagged")
        case .recent: return message.systemFlags.contains("recent")
        case .seen: return message.systemFlags.contains("seen")
        case .unanswered: return !message.systemFlags.contains("answered")
        case .undeleted: return !message.systemFlags.contains("deleted")
        case .undraft: return !message.systemFlags.contains("draft")
        case .unflagged: return !message.systemFlags.contains("flagged")
        case .unseen: return !message.systemFlags.contains("seen")
        // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
        case .new: return message.systemFlags.contains("recent") && !message.systemFlags.contains("seen")
        case .old: return !message.systemFlags.contains("recent")
        case .keyword(let name): return hasKeyword(name, message)
        case .unkeyword(let name): return !hasKeyword(name, message)
        case .larger(let size): return UInt64(max(0, message.virtualSize)) > size
        case .smaller(let size): return UInt64(max(0, message.virtualSize)) < size
        case .before(let date): return internalDay(message) < Self.days(date)
        case .on(let date): return internalDay(message) == Self.days(date)
        case .since(let date): return internalDay(message) >= Self.days(date)
        case .sentBefore(let date): return sentDay(content).map { $0 < Self.days(date) } ?? false
        case .sentOn(let date): return sentDay(content).map { $0 == Self.days(date) } ?? false
        case .sentSince(let date): return sentDay(content).map { $0 >= Self.days(date) } ?? false
        case .from(let value): return headerContains("From", value, content)
        case .to(let value): return headerContains("To", value, content)
        case .cc(let value): return headerContains("Cc", value, content)
        case .bcc(let value): return headerContains("Bcc", value, content)
        case .subject(let value): return headerContains("Subject", value, content)
        case .header(let name, let value): return headerContains(name, value, content)
        case .body(let value):
            guard var loaded = content else { return false }
            defer { content = loaded }
            return IMAPSearchNeedle(value).isFound(inFolded: loaded.body())
        case .text(let value):
            guard var loaded = content else { return false }
            defer { content = loaded }
            let needle = IMAPSearchNeedle(value)
            return needle.isFound(inFolded: loaded.header()) || needle.isFound(inFolded: loaded.body())
        }
    }

    func hasKeyword(_ name: String, _ message: IMAPSearchMessage) -> Bool {
        message.keywords.contains { IMAPByte.equalsIgnoringCase($0.utf8, name.utf8) }
    }

    func internalDay(_ message: IMAPSearchMessage) -> Int64 {
        IMAPCivilDate.split(seconds: message.internalDate + Int64(timeZoneOffsetSeconds)).days
    }

    static func days(_ date: IMAPDate) -> Int64 {
        IMAPCivilDate.days(year: date.year, month: date.month, day: date.day)
    }

    /// RFC 5322 §3.6.1 allows one Date: field; the first one counts.
    func sentDay(_ content: IMAPSearchContent?) -> Int64? {
        guard let value = content?.content.root.header.first("Date") else { return nil }
        return IMAPSentDate.day(of: value)
    }

    /// Whether a field `name` of the top-level header contains `value` (RFC 3501 §6.4.4 HEADER: an empty
    /// value matches any message that has the field).
    func headerContains(_ name: String, _ value: [UInt8], _ content: IMAPSearchContent?) -> Bool {
        guard let content else { return false }
        guard !value.isEmpty else { return content.content.root.header.first(name) != nil }
        let needle = IMAPSearchNeedle(value)
        return content.values(of: name).contains { needle.isFound(in: $0) }
    }
}
