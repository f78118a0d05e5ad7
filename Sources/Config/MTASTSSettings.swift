/// The `[mta_sts]` section: the MTA-STS policy (RFC 8461) an https listener serves at
/// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` for every local domain.
public struct MTASTSSettings: Sendable, Equatable {
    /// `mode`: what sending servers do when a delivery fails the policy (RFC 8461 §5).
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case enforce
        case testing
        case none
    }

    /// Default for `max_age`: one week, long enough to matter, short enough to fix a mistake within days.
    public static let defaultMaxAge = 604_800
    /// The longest `max_age` RFC 8461 §3.2 allows (one year, in seconds).
    public static let maximumMaxAge = 31_557_600

    /// `mode`; default `testing`: senders report failures but still deliver, so a certificate or MX
    /// mistake in a first deployment loses no mail.
    public var mode: Mode
    /// `max_age` in seconds (1 ... `maximumMaxAge`).
    public var maxAge: Int
    /// `mx`: the MX host patterns (`mail.example.org`, `*.example.org`, RFC 8461 §4.1); nil: the
    /// configuration's `hostname` alone.
    public var mx: [String]?

    public init(mode: Mode = .testing, maxAge: Int = Self.defaultMaxAge, mx: [String]? = nil) {
        self.mode = mode
        self.maxAge = maxAge
        self.mx = mx
    }
}
