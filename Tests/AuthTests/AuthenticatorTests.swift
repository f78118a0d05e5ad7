import Auth
import Foundation
import Testing

@Suite struct AuthenticatorTests {
    @Test func successFailureAndPenalty() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let hash = try PasswordHash.make(password: "right", scheme: .sha512crypt)
        let path = try dir.write("passwd", "alice:\(hash):1000:1000::/home/alice\n")
        let penalty = FailurePenalty()
        let auth = try Authenticator(users: PasswdFileUserDatabase(path: path, defaultDomain: "example.org"), penalty: penalty)

        let before = ContinuousClock.now
        #expect(auth.authenticate(login: "alice", password: "wrong", clientIP: "192.0.2.1") == .failure)
        #expect(auth.authenticate(login: "mallory", password: "right", clientIP: "192.0.2.1") == .failure)
        // Seen from before the attempts, two failures mean at least the second step's 4 s.
        #expect(penalty.delay(for: "192.0.2.1", now: before) >= .seconds(4), "two failures recorded")
        #expect(penalty.delay(for: "192.0.2.2") == .zero)

        let result = auth.authenticate(login: "alice@EXAMPLE.org", password: "right", clientIP: "192.0.2.1")
        guard case .success(let user) = result else {
            Issue.record("expected success, got \(result)")
            return
        }
        #expect(user.login == "alice@example.org")
        #expect(user.home == "/home/alice")
        #expect(penalty.delay(for: "192.0.2.1") == .zero, "success resets the penalty")
    }

    @Test func unknownUserWhileFileIsBrokenIsTemporary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let hash = try PasswordHash.make(password: "right", scheme: .sha512crypt)
        let path = try dir.write("passwd", "alice:\(hash)\n")
        let penalty = FailurePenalty()
        let auth = try Authenticator(users: PasswdFileUserDatabase(path: path, defaultDomain: "example.org"), penalty: penalty)
        try FileManager.default.removeItem(atPath: path)

        guard case .temporaryFailure(let text) = auth.authenticate(login: "bob", password: "x", clientIP: "192.0.2.9") else {
            Issue.record("expected a temporary failure")
            return
        }
        #expect(text.contains(path))
        #expect(penalty.delay(for: "192.0.2.9") == .zero, "not the client's fault")
        // Users of the last good version still log in.
        guard case .success(let user) = auth.authenticate(login: "alice", password: "right", clientIP: "192.0.2.9") else {
            Issue.record("alice of the last good version must log in")
            return
        }
        #expect(user.login == "alice@example.org")
    }
}
