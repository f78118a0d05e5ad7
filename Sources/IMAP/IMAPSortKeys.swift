/// What SORT and THREAD compare of one message (RFC 5256 §2, §3; RFC 5957 §3): made by
/// `IMAPSortKeyExtractor`, consumed by `IMAPSorter` and `IMAPThreader`. Text keys are already
/// case-mapped for "i;ascii-casemap" (a-z as A-Z), so they compare byte for byte.
public struct IMAPSortKeys: Sendable, Equatable {
    /// Position in the session's view (the final tie-break, RFC 5256 §3).
    public var sequenceNumber: UInt32
    /// INTERNALDATE, seconds since 1970 (ARRIVAL).
    public var internalDate: Int64
    /// RFC822.SIZE (SIZE).
    public var size: Int
    /// RFC 5256 §2.2 sent date in seconds since 1970 UTC: the Date: header, or INTERNALDATE when it is
    /// missing or cannot be parsed.
    public var sentDate: Int64
    /// RFC 5256 §2.1 base subject (SUBJECT, threading).
    public var baseSubject: [UInt8] = []
    /// Whether the subject marks a reply or forward (REFERENCES step 5).
    public var isReplyOrForward = false
    /// addr-mailbox of the first From, To and Cc address (empty when there is none).
    public var from: [UInt8] = []
    public var to: [UInt8] = []
    public var cc: [UInt8] = []
    /// RFC 5957 §3 display forms of the first From and To address.
    public var displayFrom: [UInt8] = []
    public var displayTo: [UInt8] = []
    /// The normalised Message-ID (`IMAPMessageIDs`), nil when missing or invalid.
    public var messageID: [UInt8]?
    /// RFC 5256 §3 REFERENCES step 1: the valid IDs of References, else the first valid one of
    /// In-Reply-To, else none.
    public var references: [[UInt8]] = []

    public init(sequenceNumber: UInt32, internalDate: Int64, size: Int, sentDate: Int64? = nil) {
        self.sequenceNumber = sequenceNumber
        self.internalDate = internalDate
        self.size = size
        self.sentDate = sentDate ?? internalDate
    }
}
