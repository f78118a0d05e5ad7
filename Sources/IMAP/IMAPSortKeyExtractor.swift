import MIME

/// Reads from a message header exactly what a SORT or THREAD needs (RFC 5256 §2, §3; RFC 5957 §3).
/// Pure; `needsHeader` tells the caller whether the header must be read at all (ARRIVAL and SIZE
/// come from the index).
public struct IMAPSortKeyExtractor: Sendable {
    public enum Field: Sendable, Hashable {
        case sentDate, subject, from, to, cc, displayFrom, displayTo, threading
    }

    public let fields: Set<Field>

    public init(fields: Set<Field>) {
        self.fields = fields
    }

    /// The fields a SORT's keys use.
    public init(sorting criteria: [IMAPSortCriterion]) {
        var fields = Set<Field>()
        for criterion in criteria {
            switch criterion.key {
            case .arrival, .size: break
            case .date: fields.insert(.sentDate)
            case .subject: fields.insert(.subject)
            case .from: fields.insert(.from)
            case .to: fields.insert(.to)
            case .cc: fields.insert(.cc)
            case .displayFrom: fields.insert(.displayFrom)
            case .displayTo: fields.insert(.displayTo)
            }
        }
        self.init(fields: fields)
    }

    /// The fields a THREAD algorithm uses: both order by sent date and group by base subject;
    /// REFERENCES also reads the message IDs.
    public init(threading algorithm: IMAPThreadAlgorithm) {
        var fields: Set<Field> = [.sentDate, .subject]
        if algorithm == .references { fields.insert(.threading) }
        self.init(fields: fields)
    }

    public var needsHeader: Bool { !fields.isEmpty }

    static let dateField = Array("date".utf8), subjectField = Array("subject".utf8), fromField = Array("from".utf8)
    static let toField = Array("to".utf8), ccField = Array("cc".utf8), messageIDField = Array("message-id".utf8)
    static let referencesField = Array("references".utf8), inReplyToField = Array("in-reply-to".utf8)

    /// The header fields these keys read (RFC 5322 §3.6 allows one of each; the first counts).
    var wantedFields: [[UInt8]] {
        var names: [[UInt8]] = []
        if fields.contains(.sentDate) { names.append(Self.dateField) }
        if fields.contains(.subject) { names.append(Self.subjectField) }
        if fields.contains(.from) || fields.contains(.displayFrom) { names.append(Self.fromField) }
        if fields.contains(.to) || fields.contains(.displayTo) { names.append(Self.toField) }
        if fields.contains(.cc) { names.append(Self.ccField) }
        if fields.contains(.threading) { names += [Self.messageIDField, Self.referencesField, Self.inReplyToField] }
        return names
    }

    /// The keys of one message; `header` is its header section (nil or empty: none of the fields is there).
    public func keys(header: [UInt8]?, sequenceNumber: UInt32, internalDate: Int64, size: Int) -> IMAPSortKeys {
        var keys = IMAPSortKeys(sequenceNumber: sequenceNumber, internalDate: internalDate, size: size)
        guard needsHeader, let header, !header.isEmpty else { return keys }
        let names = wantedFields
        let values = IMAPHeaderFieldScan.firstValues(of: names, in: header)
        func field(_ name: [UInt8]) -> [UInt8]? { names.firstIndex(of: name).flatMap { values[$0] } }
        if fields.contains(.sentDate), let date = field(Self.dateField), let seconds = IMAPSentDate.seconds(of: date) {
            keys.sentDate = seconds
        }
        if fields.contains(.subject) {
            let base = IMAPBaseSubject(IMAPEncodedWords.decode(field(Self.subjectField) ?? []))
            keys.baseSubject = base.text
            keys.isReplyOrForward = base.isReplyOrForward
        }
        if fields.contains(.from) { keys.from = Self.firstMailbox(field(Self.fromField)) }
        if fields.contains(.to) { keys.to = Self.firstMailbox(field(Self.toField)) }
        if fields.contains(.cc) { keys.cc = Self.firstMailbox(field(Self.ccField)) }
        if fields.contains(.displayFrom) { keys.displayFrom = Self.firstDisplay(field(Self.fromField)) }
        if fields.contains(.displayTo) { keys.displayTo = Self.firstDisplay(field(Self.toField)) }
        if fields.contains(.threading) {
            keys.messageID = field(Self.messageIDField).flatMap(IMAPMessageIDs.first(in:))
            // RFC 5256 §3 step 1: References, else the first valid ID of In-Reply-To.
            keys.references = field(Self.referencesField).map(IMAPMessageIDs.all(in:)) ?? []
            if keys.references.isEmpty, let parent = field(Self.inReplyToField).flatMap(IMAPMessageIDs.first(in:)) {
                keys.references = [parent]
            }
        }
        return keys
    }

    /// The first address as ENVELOPE lists it (a group's first entry is its name).
    static func firstAddress(_ value: [UInt8]?) -> IMAPAddress? {
        guard let value else { return nil }
        return AddressParser.envelopeAddresses(AddressParser.parse(value)).first
    }

    /// RFC 5256 §3 FROM/TO/CC: the addr-mailbox of the first address, case-mapped; empty without one.
    static func firstMailbox(_ value: [UInt8]?) -> [UInt8] {
        casemapped(firstAddress(value)?.mailbox.map(IMAPEncodedWords.decode) ?? [])
    }

    /// RFC 5957 §3 DISPLAYFROM/DISPLAYTO: the first address's display-name (RFC 2047 decoded), or,
    /// when it has none or an empty one, its addr-mailbox "@" addr-host.
    static func firstDisplay(_ value: [UInt8]?) -> [UInt8] {
        guard let address = firstAddress(value) else { return [] }
        if let name = address.name.map(IMAPEncodedWords.decode), name.contains(where: { $0 != 0x20 && $0 != 0x09 }) {
            return casemapped(name)
        }
        var addrSpec = address.mailbox ?? []
        if let host = address.host { addrSpec += [UInt8(ascii: "@")] + host }
        return casemapped(addrSpec)
    }

    /// RFC 4790 §9.2 "i;ascii-casemap": a-z compare as A-Z.
    static func casemapped(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
    }
}
