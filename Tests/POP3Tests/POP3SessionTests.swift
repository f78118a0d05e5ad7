import NIOCore
@testable import POP3
import Testing

@Suite struct POP3SessionTests {
    private static let messages = [
        POP3MessageInfo(uniqueID: "0000000100000005", size: 120),
        POP3MessageInfo(uniqueID: "0000000200000005", size: 300),
    ]

    private func session(_ mode: POP3Session.TLSMode = .startTLS, plaintext: Bool = false) -> POP3Session {
        POP3Session(configuration: .init(tlsMode: mode, allowPlaintextAuth: plaintext))
    }

    private func loggedIn() -> POP3Session {
        var s = session(.implicit)
        _ = s.lineReceived(ByteBuffer(string: "USER alice"))
        _ = s.lineReceived(ByteBuffer(string: "PASS pw"))
        _ = s.authenticated(.success(login: "alice@example.org"))
        _ = s.maildropOpened(.success(Self.messages))
        return s
    }

    @Test("before STLS: USER, PASS and AUTH are refused with [AUTH], STLS is offered")
    func plaintextRefused() {
        var s = session()
        #expect(s.lineReceived(ByteBuffer(string: "USER alice")) == .reply("-ERR [AUTH] Plaintext authentication is not allowed before STLS."))
        #expect(s.lineReceived(ByteBuffer(string: "AUTH PLAIN AGFsaWNlAHB3")) == .reply("-ERR [AUTH] Plaintext authentication is not allowed before STLS."))
        guard case .replyMultiline(_, let caps) = s.lineReceived(ByteBuffer(string: "CAPA")) else {
            Issue.record("CAPA did not list")
            return
        }
        #expect(caps.contains("STLS"))
        #expect(!caps.contains("USER"))
        #expect(s.lineReceived(ByteBuffer(string: "STLS")) == .startTLS(reply: "+OK Begin TLS negotiation now."))
    }

    @Test("after TLS: STLS is gone from CAPA, USER and SASL appear, a second STLS is refused")
    func afterTLS() {
        var s = session()
        _ = s.lineReceived(ByteBuffer(string: "STLS"))
        s.tlsEstablished()
        guard case .replyMultiline(_, let caps) = s.lineReceived(ByteBuffer(string: "CAPA")) else {
            Issue.record("CAPA did not list")
            return
        }
        #expect(!caps.contains("STLS"))
        #expect(caps.contains("USER"))
        #expect(caps.contains("SASL PLAIN LOGIN"))
        #expect(s.lineReceived(ByteBuffer(string: "STLS")) == .reply("-ERR TLS is already active."))
    }

    @Test("USER learned before STLS is forgotten")
    func userForgottenAfterTLS() {
        var s = session(.startTLS, plaintext: true)
        _ = s.lineReceived(ByteBuffer(string: "USER mallory"))
        _ = s.lineReceived(ByteBuffer(string: "STLS"))
        s.tlsEstablished()
        #expect(s.lineReceived(ByteBuffer(string: "PASS x")) == .reply("-ERR No user name given: send USER first."))
    }

    @Test("a wrong password gets -ERR [AUTH]; the third closes")
    func failures() {
        var s = session(.implicit)
        for attempt in 1...3 {
            _ = s.lineReceived(ByteBuffer(string: "USER alice"))
            #expect(s.lineReceived(ByteBuffer(string: "PASS bad")) == .authenticate(username: "alice", password: "bad"))
            let action = s.authenticated(.failure)
            if attempt < 3 {
                #expect(action == .reply("-ERR [AUTH] Authentication failed."))
            } else {
                #expect(action == .replyAndClose("-ERR [AUTH] Authentication failed. Too many failures, closing."))
            }
        }
    }

    @Test("a second session of the user gets [IN-USE]")
    func inUse() {
        var s = session(.implicit)
        _ = s.lineReceived(ByteBuffer(string: "USER alice"))
        _ = s.lineReceived(ByteBuffer(string: "PASS pw"))
        #expect(s.authenticated(.success(login: "alice@example.org")) == .openMaildrop(login: "alice@example.org"))
        #expect(s.maildropOpened(.failure(.inUse)) == .replyAndClose("-ERR [IN-USE] Mailbox is locked by another POP3 session."))
    }

    @Test("SASL PLAIN with an initial response")
    func saslPlain() {
        var s = session(.implicit)
        // "\0alice\0pw"
        #expect(s.lineReceived(ByteBuffer(string: "AUTH PLAIN AGFsaWNlAHB3")) == .authenticate(username: "alice", password: "pw"))
    }

    @Test("SASL LOGIN step by step, and * cancels")
    func saslLogin() {
        var s = session(.implicit)
        #expect(s.lineReceived(ByteBuffer(string: "AUTH LOGIN")) == .reply("+ VXNlcm5hbWU6"))
        #expect(s.lineReceived(ByteBuffer(string: "YWxpY2U=")) == .reply("+ UGFzc3dvcmQ6"))
        #expect(s.lineReceived(ByteBuffer(string: "cHc=")) == .authenticate(username: "alice", password: "pw"))
        var t = session(.implicit)
        _ = t.lineReceived(ByteBuffer(string: "AUTH LOGIN"))
        #expect(t.lineReceived(ByteBuffer(string: "*")) == .reply("-ERR Authentication cancelled."))
        #expect(t.lineReceived(ByteBuffer(string: "NOOP")) == .reply("-ERR Not logged in: that command needs a login first."))
    }

    @Test("STAT, LIST, UIDL, DELE, RSET in TRANSACTION")
    func transaction() {
        var s = loggedIn()
        #expect(s.lineReceived(ByteBuffer(string: "STAT")) == .reply("+OK 2 420"))
        #expect(s.lineReceived(ByteBuffer(string: "LIST 2")) == .reply("+OK 2 300"))
        #expect(s.lineReceived(ByteBuffer(string: "LIST 3")) == .reply("-ERR No such message."))
        #expect(s.lineReceived(ByteBuffer(string: "UIDL")) == .replyMultiline("+OK Unique-ID listing follows", ["1 0000000100000005", "2 0000000200000005"]))
        #expect(s.lineReceived(ByteBuffer(string: "DELE 1")) == .reply("+OK Message 1 deleted."))
        #expect(s.lineReceived(ByteBuffer(string: "DELE 1")) == .reply("-ERR No such message."))
        #expect(s.lineReceived(ByteBuffer(string: "RETR 1")) == .reply("-ERR No such message."))
        #expect(s.lineReceived(ByteBuffer(string: "STAT")) == .reply("+OK 1 300"))
        #expect(s.lineReceived(ByteBuffer(string: "LIST")) == .replyMultiline("+OK 1 messages", ["2 300"]))
        #expect(s.lineReceived(ByteBuffer(string: "RSET")) == .reply("+OK 2 messages."))
        #expect(s.lineReceived(ByteBuffer(string: "RETR 1")) == .retrieve(index: 0, size: 120, topLines: nil))
        #expect(s.lineReceived(ByteBuffer(string: "TOP 2 5")) == .retrieve(index: 1, size: 300, topLines: 5))
    }

    @Test("QUIT commits deletions only in UPDATE; a dropped connection commits nothing")
    func quitAndDrop() {
        var s = loggedIn()
        _ = s.lineReceived(ByteBuffer(string: "DELE 2"))
        #expect(s.lineReceived(ByteBuffer(string: "QUIT")) == .commitDeletions([1]))
        #expect(s.isCommitting)
        #expect(s.deletionsCommitted(success: true) == .replyAndClose("+OK Logging out, messages deleted."))

        var dropped = loggedIn()
        _ = dropped.lineReceived(ByteBuffer(string: "DELE 2"))
        dropped.connectionClosed()
        #expect(dropped.isClosed)
        #expect(dropped.lineReceived(ByteBuffer(string: "QUIT")) == .none)
    }

    @Test("a failed commit answers -ERR [SYS/TEMP]")
    func failedCommit() {
        var s = loggedIn()
        _ = s.lineReceived(ByteBuffer(string: "DELE 1"))
        _ = s.lineReceived(ByteBuffer(string: "QUIT"))
        #expect(s.deletionsCommitted(success: false) == .replyAndClose("-ERR [SYS/TEMP] Some deleted messages could not be removed."))
    }

    @Test("bad input keeps the session usable")
    func badInput() {
        var s = loggedIn()
        #expect(s.lineReceived(ByteBuffer(string: "XYZZY")) == .reply("-ERR Unknown command"))
        #expect(s.lineTooLong() == .reply("-ERR Line too long (limit 512 octets)"))
        #expect(s.lineReceived(ByteBuffer(string: "NOOP")) == .reply("+OK"))
    }
}
