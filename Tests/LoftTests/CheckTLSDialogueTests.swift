import Testing
@testable import LoftServer

/// The protocol dialogues of `loft check-tls` without sockets: whole conversations, drip-fed one
/// byte at a time where framing matters, and the command-line target rules.
@Suite struct CheckTLSDialogueTests {
    /// Feeds `text` one byte at a time and returns every step asked for.
    static func drip<D: TLSCheckDialogue>(_ dialogue: inout D, _ text: String) throws -> [TLSCheckStep] {
        var steps: [TLSCheckStep] = []
        for byte in Array(text.utf8) { steps += try dialogue.receive([byte]) }
        return steps
    }

    @Test("SMTP: greeting, EHLO, STARTTLS, EHLO again inside TLS, QUIT; AUTH PLAIN before TLS is flagged, REQUIRETLS after it seen")
    func smtpConversation() throws {
        var dialogue = SMTPCheckDialogue(heloName: "checker.example", mode: .starttls)
        #expect(try Self.drip(&dialogue, "220 mx.example ESMTP\r\n") == [.send("EHLO checker.example", awaiting: "the EHLO reply")])
        #expect(try Self.drip(&dialogue, "250-mx.example\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 STARTTLS\r\n")
                == [.send("STARTTLS", awaiting: "the STARTTLS reply")])
        #expect(try Self.drip(&dialogue, "220 2.0.0 go ahead\r\n") == [.startTLS])
        #expect(dialogue.bufferedByteCount == 0)
        #expect(dialogue.tlsEstablished() == [.send("EHLO checker.example", awaiting: "the EHLO reply after TLS")])
        #expect(try Self.drip(&dialogue, "250-mx.example\r\n250 REQUIRETLS\r\n") == [.send("QUIT", awaiting: "the QUIT reply")])
        #expect(dialogue.saidGoodbye)
        #expect(try Self.drip(&dialogue, "221 bye\r\n") == [.finish])
        let transcript = dialogue.transcript
        #expect(transcript.greeting == "220 mx.example ESMTP")
        #expect(transcript.startTLSReply == "220 2.0.0 go ahead")
        #expect(transcript.beforeTLS?.startTLS == true)
        #expect(transcript.beforeTLS?.plaintextLogins == ["AUTH PLAIN", "AUTH LOGIN"])
        #expect(transcript.beforeTLS?.requireTLS == false)
        #expect(transcript.afterTLS?.requireTLS == true)
        #expect(transcript.afterTLS?.startTLS == false)
        #expect(transcript.problem == nil)
    }

    @Test("SMTP: bytes after the STARTTLS go-ahead stay buffered, so the connection refuses to start TLS over them")
    func smtpInjectionIsVisible() throws {
        var dialogue = SMTPCheckDialogue(heloName: "c", mode: .starttls)
        _ = try dialogue.receive(Array("220 mx\r\n250-mx\r\n250 STARTTLS\r\n".utf8))
        let steps = try dialogue.receive(Array("220 go\r\n250 injected before the handshake\r\n".utf8))
        #expect(steps == [.startTLS])
        #expect(dialogue.bufferedByteCount > 0)
    }

    @Test("SMTP: no STARTTLS offered, a refused STARTTLS, a 554 greeting, a reply that is not SMTP")
    func smtpRefusals() throws {
        var plain = SMTPCheckDialogue(heloName: "c", mode: .starttls)
        _ = try plain.receive(Array("220 mx\r\n".utf8))
        #expect(try plain.receive(Array("250-mx\r\n250 8BITMIME\r\n".utf8)) == [.send("QUIT", awaiting: "the QUIT reply")])
        #expect(plain.transcript.beforeTLS?.startTLS == false)
        #expect(plain.transcript.problem == nil)

        var refused = SMTPCheckDialogue(heloName: "c", mode: .starttls)
        _ = try refused.receive(Array("220 mx\r\n250-mx\r\n250 STARTTLS\r\n".utf8))
        #expect(try refused.receive(Array("454 4.7.0 TLS not available\r\n".utf8)) == [.send("QUIT", awaiting: "the QUIT reply")])
        #expect(refused.transcript.problem == "the server refused STARTTLS: 454 4.7.0 TLS not available")

        var closed = SMTPCheckDialogue(heloName: "c", mode: .starttls)
        #expect(try closed.receive(Array("554 5.7.1 go away\r\n".utf8)) == [.send("QUIT", awaiting: "the QUIT reply")])
        #expect(closed.transcript.problem == "the server refused the session: 554 5.7.1 go away")

        var garbage = SMTPCheckDialogue(heloName: "c", mode: .starttls)
        #expect(throws: TLSCheckDialogueError.self) { try garbage.receive(Array("HTTP/1.1 400 Bad Request\r\n".utf8)) }
    }

    @Test("IMAP: untagged CAPABILITY lines between other untagged data, LOGINDISABLED, the tagged STARTTLS answer")
    func imapConversation() throws {
        var dialogue = IMAPCheckDialogue(mode: .starttls)
        #expect(try Self.drip(&dialogue, "* OK ready\r\n") == [.send("c1 CAPABILITY", awaiting: "the CAPABILITY answer")])
        let steps = try Self.drip(&dialogue, "* CAPABILITY IMAP4rev1 STARTTLS\r\n* OK still here\r\n* CAPABILITY LOGINDISABLED\r\nc1 OK done\r\n")
        #expect(steps == [.send("c2 STARTTLS", awaiting: "the STARTTLS answer")])
        #expect(try Self.drip(&dialogue, "c2 OK Begin TLS\r\n") == [.startTLS])
        #expect(dialogue.tlsEstablished() == [.send("c3 CAPABILITY", awaiting: "the CAPABILITY answer after TLS")])
        #expect(try Self.drip(&dialogue, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nc3 OK\r\n") == [.send("c4 LOGOUT", awaiting: "the LOGOUT answer")])
        #expect(try Self.drip(&dialogue, "* BYE\r\nc4 OK\r\n") == [.finish])
        let transcript = dialogue.transcript
        #expect(transcript.beforeTLS?.lines == ["IMAP4rev1", "STARTTLS", "LOGINDISABLED"])
        #expect(transcript.beforeTLS?.loginDisabled == true)
        #expect(transcript.beforeTLS?.plaintextLogins == [])
        #expect(transcript.afterTLS?.authMechanisms == ["PLAIN"])
        #expect(transcript.afterTLS?.loginDisabled == false)
        #expect(transcript.startTLSReply == "c2 OK Begin TLS")
    }

    @Test("IMAP: LOGIN allowed in clear before TLS is a plaintext login; no STARTTLS means LOGOUT")
    func imapPlaintextLogin() throws {
        var dialogue = IMAPCheckDialogue(mode: .starttls)
        _ = try dialogue.receive(Array("* OK ready\r\n".utf8))
        #expect(try dialogue.receive(Array("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nc1 OK\r\n".utf8))
                == [.send("c2 LOGOUT", awaiting: "the LOGOUT answer")])
        #expect(dialogue.transcript.beforeTLS?.plaintextLogins == ["LOGIN", "AUTH PLAIN"])
        #expect(dialogue.transcript.beforeTLS?.startTLS == false)
    }

    @Test("POP3: CAPA's multi-line answer ends with a lone dot and is dot-unstuffed; USER and SASL PLAIN before STLS are flagged")
    func pop3Conversation() throws {
        var dialogue = POP3CheckDialogue(mode: .starttls)
        #expect(try Self.drip(&dialogue, "+OK hello\r\n") == [.send("CAPA", awaiting: "the CAPA answer")])
        #expect(try Self.drip(&dialogue, "+OK list\r\nUSER\r\nSASL PLAIN\r\n..ODD\r\nSTLS\r\n.\r\n") == [.send("STLS", awaiting: "the STLS answer")])
        #expect(try Self.drip(&dialogue, "+OK go\r\n") == [.startTLS])
        #expect(dialogue.tlsEstablished() == [.send("CAPA", awaiting: "the CAPA answer after TLS")])
        #expect(try Self.drip(&dialogue, "+OK\r\nUSER\r\n.\r\n") == [.send("QUIT", awaiting: "the QUIT answer")])
        #expect(try Self.drip(&dialogue, "+OK bye\r\n") == [.finish])
        #expect(dialogue.transcript.beforeTLS?.lines == ["USER", "SASL PLAIN", ".ODD", "STLS"])
        #expect(dialogue.transcript.beforeTLS?.plaintextLogins == ["USER", "AUTH PLAIN"])
        #expect(dialogue.transcript.afterTLS?.startTLS == false)
    }

    @Test("POP3: a server without CAPA still gets STLS")
    func pop3WithoutCAPA() throws {
        var dialogue = POP3CheckDialogue(mode: .starttls)
        _ = try dialogue.receive(Array("+OK hello\r\n".utf8))
        #expect(try dialogue.receive(Array("-ERR unknown command\r\n".utf8)) == [.send("STLS", awaiting: "the STLS answer")])
        #expect(dialogue.transcript.beforeTLS == nil)
    }

    @Test("HOST[:PORT] with the defaults by port and by protocol", arguments: [
        ("mail.example.org:587", nil, nil, "mail.example.org", 587, TLSCheckProtocol.submission, TLSCheckMode.starttls),
        ("mail.example.org:465", nil, nil, "mail.example.org", 465, .submission, .implicit),
        ("mx.example.net:25", nil, nil, "mx.example.net", 25, .smtp, .starttls),
        ("[2001:db8::1]:993", nil, nil, "2001:db8::1", 993, .imap, .implicit),
        ("2001:db8::1", TLSCheckProtocol.pop3, nil, "2001:db8::1", 110, .pop3, .starttls),
        ("imap.example.org", .imap, TLSCheckMode.implicit, "imap.example.org", 993, .imap, .implicit),
        ("192.0.2.1:995", nil, nil, "192.0.2.1", 995, .pop3, .implicit),
        ("192.0.2.1:2525", .smtp, nil, "192.0.2.1", 2525, .smtp, .starttls),
        ("192.0.2.1:1465", .submission, .implicit, "192.0.2.1", 1465, .submission, .implicit),
    ] as [(String, TLSCheckProtocol?, TLSCheckMode?, String, Int, TLSCheckProtocol, TLSCheckMode)])
    func targets(input: String, proto: TLSCheckProtocol?, mode: TLSCheckMode?, host: String, port: Int,
                 expectedProtocol: TLSCheckProtocol, expectedMode: TLSCheckMode) throws {
        let target = try TLSCheckTarget.parse(input, protocol: proto, mode: mode, name: nil, caFile: nil)
        #expect(target.host == host)
        #expect(target.port == port)
        #expect(target.protocol == expectedProtocol)
        #expect(target.mode == expectedMode)
        #expect(target.referenceName == host)
    }

    @Test("targets that cannot be checked say why", arguments: [
        ("mail.example.org", "give a port"),
        ("mail.example.org:2525", "not a standard mail port"),
        ("mail.example.org:0", "not a port number"),
        ("[2001:db8::1", "missing"),
        (":587", "the host is empty"),
    ])
    func badTargets(input: String, message: String) {
        #expect {
            try TLSCheckTarget.parse(input, protocol: nil, mode: nil, name: nil, caFile: nil)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
