/// The answer to one lookup: the records (empty on NODATA or NXDOMAIN) and how far to trust them.
public struct DNSAnswer<Record: Sendable & Equatable>: Sendable, Equatable {
    /// The name asked, lowercased, without the trailing dot.
    public var name: String
    /// The records of the asked type; empty on NODATA and on NXDOMAIN.
    public var records: [Record]
    public var status: DNSSECStatus
    /// False on NXDOMAIN (which may be `.secure`: authenticated denial, RFC 4035 §5.4).
    public var nameExists: Bool
    /// Where a CNAME chain led, when one was followed; lowercased, without the trailing dot.
    public var canonicalName: String?

    public init(name: String, records: [Record], status: DNSSECStatus, nameExists: Bool, canonicalName: String?) {
        self.name = name
        self.records = records
        self.status = status
        self.nameExists = nameExists
        self.canonicalName = canonicalName
    }
}
