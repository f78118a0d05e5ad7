/// A recipient the outbound queue must relay, with its DSN parameters from `RCPT TO` (RFC 3461 §4).
public struct RemoteRecipient: Sendable, Equatable, Codable {
    /// The forward-path as accepted, `local@domain`.
    public var address: String
    /// `NOTIFY=`; nil when the client gave none (the default then is failure and delay, RFC 3461 §4.1).
    public var notify: [DSNNotify]?
    /// `ORCPT=` as received (`addr-type;xtext-encoded address`), nil when absent (RFC 3461 §4.2).
    public var orcpt: String?

    public init(address: String, notify: [DSNNotify]? = nil, orcpt: String? = nil) {
        self.address = address
        self.notify = notify
        self.orcpt = orcpt
    }
}
