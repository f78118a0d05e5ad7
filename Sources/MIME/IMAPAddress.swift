/// One mailbox as RFC 3501 §7.4.2 sends it inside ENVELOPE: `(name adl mailbox host)`.
/// Every string is raw header text (RFC 2047 words are not decoded); nil is NIL.
public struct IMAPAddress: Sendable, Hashable {
    public var name: [UInt8]?
    /// The obsolete source route (RFC 5322 §4.4 `obs-route`), e.g. `@a,@b`.
    public var route: [UInt8]?
    public var mailbox: [UInt8]?
    public var host: [UInt8]?

    public init(name: [UInt8]? = nil, route: [UInt8]? = nil, mailbox: [UInt8]? = nil, host: [UInt8]? = nil) {
        self.name = name
        self.route = route
        self.mailbox = mailbox
        self.host = host
    }
}
