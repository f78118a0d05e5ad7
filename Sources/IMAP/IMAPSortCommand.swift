/// RFC 5256 §3 `sort-key`, with RFC 5957 DISPLAYFROM and DISPLAYTO.
public enum IMAPSortKey: String, Sendable, Equatable, CaseIterable {
    case arrival = "ARRIVAL"
    case cc = "CC"
    case date = "DATE"
    case from = "FROM"
    case size = "SIZE"
    case subject = "SUBJECT"
    case to = "TO"
    /// RFC 5957 §3.
    case displayFrom = "DISPLAYFROM"
    /// RFC 5957 §3.
    case displayTo = "DISPLAYTO"
}

/// RFC 5256 §3 `sort-criterion = ["REVERSE" SP] sort-key`: REVERSE turns this key only around,
/// never the sequence-number tie-break.
public struct IMAPSortCriterion: Sendable, Equatable {
    public var key: IMAPSortKey
    public var reverse: Bool

    public init(_ key: IMAPSortKey, reverse: Bool = false) {
        self.key = key
        self.reverse = reverse
    }
}

/// SORT / UID SORT (RFC 5256 §3, RFC 5267 §3 ESORT): the keys, and the search they sort the result of.
/// `search.charset` is always set (SORT's charset is not optional); `search.returnOptions` is the
/// ESORT `RETURN (...)`, nil for a plain SORT.
public struct IMAPSortCommand: Sendable, Equatable {
    public var criteria: [IMAPSortCriterion]
    public var search: IMAPSearchCommand

    public init(criteria: [IMAPSortCriterion], search: IMAPSearchCommand) {
        self.criteria = criteria
        self.search = search
    }
}

/// RFC 5256 §3 `thread-alg`: the two algorithms the RFC defines.
public enum IMAPThreadAlgorithm: String, Sendable, Equatable, CaseIterable {
    case orderedSubject = "ORDEREDSUBJECT"
    case references = "REFERENCES"

    /// The capability that announces it (RFC 5256 §1).
    public var capability: String { "THREAD=" + rawValue }
}

/// THREAD / UID THREAD (RFC 5256 §3).
public struct IMAPThreadCommand: Sendable, Equatable {
    public var algorithm: IMAPThreadAlgorithm
    public var search: IMAPSearchCommand

    public init(algorithm: IMAPThreadAlgorithm, search: IMAPSearchCommand) {
        self.algorithm = algorithm
        self.search = search
    }
}
