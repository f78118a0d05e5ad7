import Foundation

/// One SASL authentication exchange (RFC 4422) for PLAIN or LOGIN, as a value-type state
/// machine shared by SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 §6.2.2) and POP3 AUTH
/// (RFC 5034). The protocol hands in the client's text line (base64, without CRLF) and gets
/// back what to send; base64 coding happens here. Never puts a payload into a message.
public struct SASLExchange: Sendable {
    /// The mechanism of this exchange.
    public let mechanism: SASLMechanism

    private enum State: Sendable {
        case notStarted
        case plainAwaitingResponse
        case loginAwaitingUsername
        case loginAwaitingPassword(username: String)
        case finished
    }

    private var state = State.notStarted

    /// `VXNlcm5hbWU6`, `UGFzc3dvcmQ6`: the LOGIN prompts "Username:" and "Password:" in base64.
    static let usernameChallenge = Data("Username:".utf8).base64EncodedString()
    static let passwordChallenge = Data("Password:".utf8).base64EncodedString()

    /// Starts an exchange for a mechanism name as the client sent it (case-insensitive);
    /// nil for a mechanism Loft does not offer.
    public init?(mechanism: String) {
        guard let known = SASLMechanism(rawValue: mechanism.uppercased()) else { return nil }
        self.mechanism = known
    }

    /// Starts an exchange for a known mechanism.
    public init(_ mechanism: SASLMechanism) {
        self.mechanism = mechanism
    }

    /// Begins the exchange. `initialResponse` is the optional base64 argument of the AUTH /
    /// AUTHENTICATE command (RFC 4422 §4 item 3b); `=` stands for an empty initial response
    /// (RFC 4954 §4). LOGIN takes an initial response as the username.
    public mutating func start(initialResponse: String?) -> SASLStep {
        guard case .notStarted = state else { return finish(.malformed("exchange already started")) }
        switch mechanism {
        case .plain:
            state = .plainAwaitingResponse
            guard let initialResponse else { return .challenge("") }
            return process(initialResponse)
        case .login:
            state = .loginAwaitingUsername
            guard let initialResponse else { return .challenge(Self.usernameChallenge) }
            return process(initialResponse)
        }
    }

    /// Processes the client's response line to the last challenge: base64 text, an empty line
    /// (empty response), or `*` to cancel.
    public mutating func receive(_ line: String) -> SASLStep {
        switch state {
        case .notStarted: return finish(.malformed("exchange not started"))
        case .finished: return .malformed("exchange already finished")
        default: break
        }
        if line == "*" { return finish(.cancelled) }
        return process(line)
    }

    private mutating func process(_ text: String) -> SASLStep {
        guard let bytes = Self.decode(text) else {
            return finish(.malformed("response is not valid base64"))
        }
        switch state {
        case .plainAwaitingResponse:
            return finish(Self.plain(bytes))
        case .loginAwaitingUsername:
            switch Self.text(bytes, what: "username") {
            case .failure(let failure): return finish(failure.step)
            case .success(let username):
                guard !username.isEmpty else { return finish(.malformed("username is empty")) }
                state = .loginAwaitingPassword(username: username)
                return .challenge(Self.passwordChallenge)
            }
        case .loginAwaitingPassword(let username):
            switch Self.text(bytes, what: "password") {
            case .failure(let failure): return finish(failure.step)
            case .success(let password): return finish(.done(SASLCredentials(username: username, password: password)))
            }
        case .notStarted, .finished:
            return finish(.malformed("unexpected response"))
        }
    }

    private mutating func finish(_ step: SASLStep) -> SASLStep {
        state = .finished
        return step
    }

    /// Base64 (RFC 4648 §4, padded, no whitespace) to bytes. An empty line is an empty
    /// response; `=` is an empty initial response (RFC 4954 §4) and accepted in either place.
    static func decode(_ text: String) -> [UInt8]? {
        if text.isEmpty || text == "=" { return [] }
        guard text.utf8.count % 4 == 0,
              text.utf8.allSatisfy({ $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=")
                  || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                  || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                  || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let data = Data(base64Encoded: text)
        else { return nil }
        return Array(data)
    }

    /// RFC 4616 §2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`.
    static func plain(_ bytes: [UInt8]) -> SASLStep {
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .malformed("PLAIN response must have three NUL-separated fields, found \(parts.count)")
        }
        guard let authzid = String(validating: parts[0], as: UTF8.self),
              let authcid = String(validating: parts[1], as: UTF8.self),
              let password = String(validating: parts[2], as: UTF8.self)
        else { return .malformed("PLAIN response is not valid UTF-8") }
        guard !authcid.isEmpty else { return .malformed("PLAIN authentication identity is empty") }
        guard !password.isEmpty else { return .malformed("PLAIN password is empty") }
        if !authzid.isEmpty, authzid != authcid {
            return .rejected("authorization identity differs from the authentication identity; acting as another user is not supported")
        }
        return .done(SASLCredentials(authorizationID: authzid.isEmpty ? nil : authzid, username: authcid, password: password))
    }

    /// Decoded LOGIN field as UTF-8 without NUL bytes.
    static func text(_ bytes: [UInt8], what: String) -> Result<String, StepFailure> {
        guard !bytes.contains(0) else { return .failure(StepFailure(.malformed("\(what) contains a NUL byte"))) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(StepFailure(.malformed("\(what) is not valid UTF-8")))
        }
        return .success(text)
    }

    /// A step that ends the exchange, as an `Error` so it fits in `Result`.
    struct StepFailure: Error {
        let step: SASLStep
        init(_ step: SASLStep) { self.step = step }
    }
}
