import CoreMetrics

/// The counters a listener's sessions feed, labelled with its protocol (`imap`, `pop3`, `submission`).
/// Made once per listener, so counting is an atomic increment; with no metrics backend bootstrapped they
/// count nothing. Names follow Prometheus conventions (README, "Metrics (Prometheus)").
public struct ConnectionMetrics: Sendable {
    private let loginSucceeded: Counter
    private let loginFailed: Counter
    private let loginRefused: Counter
    private let loginTemporaryFailure: Counter
    private let penaltyHits: Counter
    private let storageErrors: Counter

    public init(protocol name: String) {
        func login(_ outcome: String) -> Counter {
            Counter(label: "loft_logins_total", dimensions: [("protocol", name), ("outcome", outcome)])
        }
        loginSucceeded = login("success")
        loginFailed = login("failure")
        loginRefused = login("refused")
        loginTemporaryFailure = login("tempfail")
        penaltyHits = Counter(label: "loft_auth_penalty_hits_total", dimensions: [("protocol", name)])
        storageErrors = Counter(label: "loft_storage_errors_total", dimensions: [("service", name)])
    }

    /// A login attempt that waited for its address's failure penalty.
    func penaltyApplied() {
        penaltyHits.increment()
    }

    func loginFinished(_ outcome: LoginOutcome) {
        switch outcome {
        case .loggedIn: loginSucceeded.increment()
        case .failed: loginFailed.increment()
        case .tooManySessions: loginRefused.increment()
        case .temporaryFailure: loginTemporaryFailure.increment()
        }
    }

    /// Reading or writing mail failed under a session (logged at error level beside it).
    public func storageFailed() {
        storageErrors.increment()
    }
}
