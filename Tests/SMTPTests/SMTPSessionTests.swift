import LineProtocol
import NIOCore
@testable import SMTP
import Testing

@Suite struct SMTPSessionTests {
    private func session(_ mode: SMTPSession.TLSMode = .implicit, plaintext: Bool = false) -> SMTPSession {
        var limits = SMTPLimits()
        limits.maxRecipients = 2
        return SMTPSession(configuration: SMTPServerConfiguration(hostname: "mx.example.org", tlsMode: mode, allowPlaintextAuth: plaintext, limits: limits))
    }

    private func line(_ s: inout SMTPSession, _ text: String) -> SMTPSession.Action {
        s.lineReceived(ByteBuffer(string: text))
    }

    /// Greeted and logged in as alice.
    private func loggedIn() -> SMTPSession {
        var s = session()
        _ = line(&s, "EHLO client")
        _ = line(&s, "AUTH PLAIN \(String.alicePlain)")
        _ = s.authenticated(.success(login: "alice@example.org"))
        return s
    }

    /// In a transaction with one accepted recipient.
    private func withRecipient() -> SMTPSession {
        var s = loggedIn()
        _ = line(&s, "MAIL FROM:<alice@example.org>")
        _ = s.senderChecked(.allowed)
        _ = line(&s, "RCPT TO:<bob@example.org>")
        _ = s.recipientChecked(.local)
        return s
    }

    private func code(_ action: SMTPSession.Action) -> String {
        switch action {
        case .reply(let reply): return "\(reply.code) " + (reply.lines.last ?? "")
        case .close(let replies): return "close " + replies.map { "\($0.code) \($0.lines.last ?? "")" }.joined(separator: " | ")
        default: return "\(action)"
        }
    }

    static let rules: [(String, String, String)] = [
        // (setup, command, expected reply prefix)
        ("fresh", "MAIL FROM:<alice@example.org>", "503 5.5.1"),
        ("fresh", "AUTH PLAIN", "503 5.5.1"),
        ("fresh", "VRFY bob", "252 2.5.0"),
        ("fresh", "HELP", "214 2.0.0"),
        ("fresh", "FROB", "500 5.5.1"),
        ("fresh", "QUIT", "close 221 2.0.0"),
        ("fresh", "STARTTLS", "503 5.5.1 TLS already active"),
        ("greeted", "MAIL FROM:<alice@example.org>", "530 5.7.0 Authentication required"),
        ("greeted", "RCPT TO:<bob@example.org>", "503 5.5.1"),
        ("greeted", "DATA", "503 5.5.1"),
        ("greeted", "AUTH CRAM-MD5", "504 5.5.4"),
        ("greeted", "AUTH PLAIN AGFsaWNlAHB3", "authenticate"),
        ("loggedIn", "AUTH PLAIN \(String.alicePlain)", "503 5.5.1"),
        ("loggedIn", "MAIL FROM:<>", "553 5.7.1"),
        ("loggedIn", "MAIL FROM:<älice@example.org>", "553 5.6.7"),
        ("loggedIn", "MAIL FROM:<alice@example.org> SIZE=999999999", "552 5.3.4"),
        ("loggedIn", "MAIL FROM:<alice@example.org> FOO=1", "555 5.5.4"),
        ("loggedIn", "MAIL FROM:<alice@example.org> SMTPUTF8", "checkSender"),
        ("loggedIn", "RCPT TO:<bob@example.org>", "503 5.5.1"),
        ("loggedIn", "DATA", "503 5.5.1"),
        ("loggedIn", "STARTTLS", "503 5.5.1"),
        ("transaction", "MAIL FROM:<alice@example.org>", "503 5.5.1"),
        ("transaction", "DATA", "554 5.5.1"),
        ("transaction", "AUTH PLAIN", "503 5.5.1"),
        ("transaction", "RCPT TO:<bób@example.org>", "553 5.6.7"),
        ("transaction", "RCPT TO:bob", "501 5.1.3"),
        ("transaction", "RSET", "250 2.0.0"),
        ("recipient", "DATA", "receiveData"),
        ("recipient", "BDAT 10 LAST", "receiveChunk"),
        ("recipient", "RCPT TO:<bob@example.org>", "250 2.1.5"),
    ]

    @Test("submission rules and reply codes", arguments: rules)
    func submissionRules(setup: String, command: String, expected: String) {
        var s: SMTPSession
        switch setup {
        case "fresh": s = session()
        case "greeted": s = session(); _ = line(&s, "EHLO client")
        case "loggedIn": s = loggedIn()
        case "transaction":
            s = loggedIn()
            _ = line(&s, "MAIL FROM:<alice@example.org>")
            _ = s.senderChecked(.allowed)
        default: s = withRecipient()
        }
        let result = code(line(&s, command))
        #expect(result.hasPrefix(expected), "\(setup) / \(command): \(result)")
    }

    @Test("sender and recipient checks map to their replies; the recipient limit gives 452 4.5.3")
    func backendAnswers() {
        var s = loggedIn()
        #expect(line(&s, "MAIL FROM:<eve@example.org>") == .checkSender(address: "eve@example.org", login: "alice@example.org"))
        #expect(code(s.senderChecked(.refused)).hasPrefix("553 5.7.1"))
        _ = line(&s, "MAIL FROM:<team@example.org>")
        #expect(code(s.senderChecked(.unavailable("aliases cannot be read")))
            == "451 4.3.0 Sender address <team@example.org> cannot be checked now: aliases cannot be read")
        _ = line(&s, "MAIL FROM:<alice@example.org>")
        #expect(code(s.senderChecked(.allowed)) == "250 2.1.0 Ok")
        #expect(line(&s, "RCPT TO:<nobody@example.org>") == .checkRecipient("nobody@example.org"))
        #expect(code(s.recipientChecked(.unknownLocal)).hasPrefix("550 5.1.1"))
        _ = line(&s, "RCPT TO:<x@example.org>")
        #expect(code(s.recipientChecked(.unavailable("disk full"))).hasPrefix("450 4.2.1"))
        _ = line(&s, "RCPT TO:<a@example.net>")
        #expect(code(s.recipientChecked(.remote)) == "250 2.1.5 Ok")
        _ = line(&s, "RCPT TO:<b@example.net>")
        #expect(code(s.recipientChecked(.local)) == "250 2.1.5 Ok")
        #expect(code(line(&s, "RCPT TO:<c@example.net>")).hasPrefix("452 4.5.3"))
    }

    @Test("AUTH: challenges, cancel, failure, temporary failure, too many failures close")
    func auth() {
        var s = session()
        _ = line(&s, "EHLO client")
        #expect(code(line(&s, "AUTH LOGIN")) == "334 VXNlcm5hbWU6")
        #expect(code(line(&s, "*")) == "501 5.0.0 Authentication cancelled")
        #expect(code(line(&s, "AUTH PLAIN")) == "334 ")
        #expect(line(&s, String.alicePlain) == .authenticate(username: "alice@example.org", password: "secret"))
        #expect(code(s.authenticated(.temporaryFailure("db down"))).hasPrefix("454 4.7.0"))
        for attempt in 1...3 {
            _ = line(&s, "AUTH PLAIN \(String.alicePlain)")
            let result = code(s.authenticated(.failure))
            #expect(result.hasPrefix(attempt < 3 ? "535 5.7.8" : "close 421 4.7.0"))
        }
        #expect(s.isClosed)
    }

    @Test("before TLS: no AUTH keyword, AUTH gets 538, MAIL asks for STARTTLS; plaintext may be allowed")
    func plaintext() {
        var s = session(.startTLS)
        guard case .reply(let ehlo) = line(&s, "EHLO client") else { Issue.record("no EHLO reply"); return }
        #expect(ehlo.lines.contains("STARTTLS"))
        #expect(!ehlo.lines.contains { $0.hasPrefix("AUTH") })
        #expect(code(line(&s, "AUTH PLAIN \(String.alicePlain)")).hasPrefix("538 5.7.11"))
        #expect(code(line(&s, "MAIL FROM:<alice@example.org>")) == "530 5.7.0 Must issue a STARTTLS command first")
        #expect(code(line(&s, "STARTTLS now")).hasPrefix("501 5.5.4"))
        #expect(line(&s, "STARTTLS") == .startTLS(SMTPReply(220, "2.0.0 Ready to start TLS")))

        var open = session(.none, plaintext: true)
        guard case .reply(let plainEhlo) = line(&open, "EHLO client") else { Issue.record("no EHLO reply"); return }
        #expect(plainEhlo.lines.last == "AUTH PLAIN LOGIN")
        #expect(code(line(&open, "STARTTLS")).hasPrefix("502 5.5.1"))
    }

    @Test("REQUIRETLS (RFC 8689): advertised only over TLS, refused without it, kept in the envelope")
    func requireTLS() {
        var plain = session(.none, plaintext: true)
        guard case .reply(let plainEhlo) = line(&plain, "EHLO client") else { Issue.record("no EHLO reply"); return }
        #expect(!plainEhlo.lines.contains("REQUIRETLS"))
        _ = line(&plain, "AUTH PLAIN \(String.alicePlain)")
        _ = plain.authenticated(.success(login: "alice@example.org"))
        #expect(code(line(&plain, "MAIL FROM:<alice@example.org> REQUIRETLS")) == "530 5.7.10 REQUIRETLS needs a TLS connection")

        var secure = session()
        guard case .reply(let ehlo) = line(&secure, "EHLO client") else { Issue.record("no EHLO reply"); return }
        #expect(ehlo.lines.contains("REQUIRETLS"))
        _ = line(&secure, "AUTH PLAIN \(String.alicePlain)")
        _ = secure.authenticated(.success(login: "alice@example.org"))
        #expect(code(line(&secure, "MAIL FROM:<alice@example.org> REQUIRETLS")).hasPrefix("checkSender"))
        _ = secure.senderChecked(.allowed)
        _ = line(&secure, "RCPT TO:<bob@example.net>")
        _ = secure.recipientChecked(.remote)
        guard case .receiveData(let envelope, _) = line(&secure, "DATA") else { Issue.record("no DATA"); return }
        #expect(envelope.requireTLS)
        #expect(code(line(&secure, "MAIL FROM:<alice@example.org> REQUIRETLS=YES")).hasPrefix("5"))
    }

    @Test("a commit in flight gets its 250 before the shutdown 421")
    func shutdownWaitsForCommit() {
        var s = withRecipient()
        guard case .receiveData = line(&s, "DATA") else { Issue.record("DATA refused"); return }
        s.contentEnded()
        #expect(s.serverShuttingDown() == .none)
        guard case .close(let replies) = s.messageFinished(.committed) else { Issue.record("no close"); return }
        #expect(replies.map(\.code) == [250, 421])
        #expect(replies[1] == SMTPReply(421, "4.3.2 Server shutting down"))
    }

    @Test("idle timeout closes with 421 4.4.2")
    func idle() {
        var s = session()
        #expect(s.idleTimeoutFired() == .close([SMTPReply(421, "4.4.2 mx.example.org Error: timeout exceeded")]))
    }
}
