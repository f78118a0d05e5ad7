/// One MX record (RFC 1035 §3.3.9).
public struct MXRecord: Sendable, Equatable {
    public var preference: UInt16
    /// The exchange, lowercased, without the trailing dot; "" for the null MX "." (RFC 7505):
    /// the domain accepts no mail.
    public var host: String

    public init(preference: UInt16, host: String) {
        self.preference = preference
        self.host = host
    }

    /// True for the null MX of RFC 7505 §3.
    public var isNullMX: Bool { host.isEmpty }
}
