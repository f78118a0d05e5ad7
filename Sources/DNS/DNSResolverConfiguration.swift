/// Where a `DNSResolver` sends its queries and which keys it trusts.
public struct DNSResolverConfiguration: Sendable, Equatable {
    /// Upstream resolvers, "address" or "address@port" ("127.0.0.1@5353", "::1").
    /// Empty: the nameservers of /etc/resolv.conf. The upstream must pass RRSIGs through, or
    /// signed answers come back bogus.
    public var forwarders: [String]
    /// Trust anchors as RR text, DS or DNSKEY ("example.test. IN DS 12345 13 2 ABCD...").
    public var trustAnchors: [String]
    /// A file of trust anchors in zone-file format, read once and never written
    /// (e.g. /usr/share/dns/root.key from dns-root-data). No RFC 5011 rollover tracking.
    public var trustAnchorFile: String?
    /// Zones libunbound answers locally by default (RFC 6761 names such as "test." and its
    /// children, "invalid.", "local.") that must be resolved through the forwarders instead.
    public var transparentZones: [String]

    public init(forwarders: [String] = [], trustAnchors: [String] = [], trustAnchorFile: String? = nil,
                transparentZones: [String] = []) {
        self.forwarders = forwarders
        self.trustAnchors = trustAnchors
        self.trustAnchorFile = trustAnchorFile
        self.transparentZones = transparentZones
    }
}
