/// The `[dns]` section: the validating resolver outbound delivery uses (MX, addresses, TLSA, MTA-STS).
public struct DNSSettings: Sendable, Equatable {
    /// Debian's root trust anchor (package `dns-root-data`), used when the file exists and none is set.
    public static let debianRootTrustAnchor = "/usr/share/dns/root.key"

    /// Resolvers to forward to (`forwarders`, "127.0.0.1", "::1@5353"); empty: those of `/etc/resolv.conf`.
    public var forwarders: [String]
    /// A file of trust anchors (`trust_anchor_file`), absolute; nil: no file. Defaults to Debian's root anchor
    /// unless `trust_anchors` lists anchors of its own.
    public var trustAnchorFile: String?
    /// More trust anchors as DS or DNSKEY records in zone-file text (`trust_anchors`).
    public var trustAnchors: [String]
    /// Zones the resolver must look up normally although it serves them locally by default, such as
    /// children of `test.` in test networks (`transparent_zones`).
    public var transparentZones: [String]

    public init(
        forwarders: [String] = [], trustAnchorFile: String? = nil, trustAnchors: [String] = [],
        transparentZones: [String] = []
    ) {
        self.forwarders = forwarders
        self.trustAnchorFile = trustAnchorFile
        self.trustAnchors = trustAnchors
        self.transparentZones = transparentZones
    }
}
