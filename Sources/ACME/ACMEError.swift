/// Why an ACME operation failed, in words an admin can act on.
public enum ACMEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The CA could not be reached or answered outside HTTP (connection, TLS, time limit, size limit).
    case transport(String)
    /// The CA answered with an RFC 7807 problem document (RFC 8555 §6.7).
    case problem(ACMEProblem, status: Int, url: String)
    /// The CA answered something this client cannot use.
    case invalidResponse(String)
    /// An authorization or order ended in a state other than valid.
    case failed(String)

    public var description: String {
        switch self {
        case .transport(let text): text
        case .problem(let problem, let status, let url): "\(url): HTTP \(status): \(problem)"
        case .invalidResponse(let text): "unusable answer from the CA: \(text)"
        case .failed(let text): text
        }
    }
}

/// An ACME problem document (RFC 8555 §6.7, RFC 7807).
public struct ACMEProblem: Sendable, Equatable, Decodable, CustomStringConvertible {
    public static let badNonce = "urn:ietf:params:acme:error:badNonce"

    public var type: String
    public var detail: String?
    public var status: Int?
    /// Per-identifier problems (RFC 8555 §6.7.1).
    public var subproblems: [ACMEProblem]?

    public init(type: String, detail: String? = nil, status: Int? = nil, subproblems: [ACMEProblem]? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
        self.subproblems = subproblems
    }

    public var description: String {
        var text = type
        if let detail { text += ": " + detail }
        for sub in subproblems ?? [] { text += " [\(sub)]" }
        return text
    }
}
