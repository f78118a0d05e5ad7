/// One SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    /// The target host, lowercased, without the trailing dot; "" for "." : the service is decidedly not
    /// available at this domain (RFC 2782, RFC 6186 §4).
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}
