/// Why a lookup or a resolver could not be made.
public enum DNSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer this time: SERVFAIL, REFUSED or another rcode, a timeout, a libunbound error.
    /// Mail to the name is deferred, not bounced.
    case temporary(name: String, type: String, reason: String)
    /// The resolver configuration is unusable; the text names what is wrong.
    case configuration(String)

    public var description: String {
        switch self {
        case let .temporary(name, type, reason):
            return "DNS lookup of \(name) \(type) failed temporarily: \(reason)"
        case let .configuration(problem):
            return "DNS resolver configuration: \(problem)"
        }
    }
}
