import Foundation
import Testing

/// BINARY (RFC 3516) and MULTIAPPEND (RFC 3502) against the real `loft serve`, on the STARTTLS and
/// the implicit-TLS port. imaplib can send neither a MULTIAPPEND nor a literal8, so the script
/// writes the bytes on the TLS socket itself (`Raw`), and checks BINARY's decoding against
/// Python's `email` package.
@Suite(.serialized) struct IMAPEndToEndBinaryTests {
    @Test("a 3-message MULTIAPPEND (one a literal8) reads back byte-exact; one over APPENDLIMIT stores nothing; BINARY decodes base64 as email does",
          arguments: ["starttls", "ssl"])
    func binaryAndMultiAppend(mode: String) async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let port = mode == "ssl" ? server.imapImplicitPort : server.imapStartTLSPort
        let r = try await PythonIMAP.replies(#"""
        import email, email.policy
        from email.mime.multipart import MIMEMultipart
        from email.mime.text import MIMEText
        from email.mime.application import MIMEApplication
        mode, port = sys.argv[1], int(sys.argv[2])
        r = Raw(port, mode)
        out["login"] = raw(r.login())
        caps = r.cmd("C", "CAPABILITY")
        out["capability"] = raw(caps)
        limit = int(re.search(r"APPENDLIMIT=(\d+)", caps[0]).group(1))

        def literal(line):
            # The first literal (or literal8) of a response line, as bytes.
            match = re.search(r"(~?)\{(\d+)\}\r\n", line)
            start = match.end()
            return match.group(1), line[start:start + int(match.group(2))].encode("latin-1")
        def expect_continuation():
            line = r.line()
            if not line.startswith("+"):
                raise Exception("no continuation: " + line)

        messages = [
            b"From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n",
            b"From: a@example.org\r\nSubject: two\r\n\r\nsecond \xe2\x82\xac\r\n",
            b"From: a@example.org\r\nSubject: three\r\n\r\nbinary \x00\x01\x02\xff\r\n",
        ]
        r.send(b"A APPEND INBOX (\\Seen) {%d}\r\n" % len(messages[0]))
        expect_continuation()
        r.send(messages[0] + b" {%d}\r\n" % len(messages[1]))
        expect_continuation()
        r.send(messages[1] + b" (\\Flagged) ~{%d}\r\n" % len(messages[2]))
        expect_continuation()
        r.send(messages[2] + b"\r\n")
        out["multiappend"] = raw(r.until("A"))
        out["select"] = raw(r.cmd("S", "SELECT INBOX"))
        fetched = r.cmd("F", "UID FETCH 1:* (FLAGS BODY.PEEK[])")
        out["fetch"] = raw([l[:80] for l in fetched])
        bodies = [literal(l)[1] for l in fetched if l.startswith("* ") and " FETCH " in l]
        out["byte_exact"] = value(bodies == messages)

        # The 2nd message is over APPENDLIMIT: refused before it is sent, the 1st is not kept.
        r.send(b"B APPEND INBOX {%d+}\r\n" % len(messages[0]) + messages[0] + b" {%d}\r\n" % (limit + 1))
        out["over_limit"] = raw(r.until("B"))
        out["status_after"] = raw(r.cmd("T", "STATUS INBOX (MESSAGES UIDNEXT)"))

        # A base64 attachment, fetched with BINARY, against email's own decoding.
        payload = bytes(random.Random(7).randrange(256) for _ in range(70000)) + b"\x00end"
        mime = MIMEMultipart()
        mime["Subject"] = "attachment"
        mime.attach(MIMEText("see attached"))
        mime.attach(MIMEApplication(payload, Name="data.bin"))
        wire = mime.as_bytes(policy=email.policy.SMTP)
        r.send(b"D APPEND INBOX {%d+}\r\n" % len(wire) + wire + b"\r\n")
        out["append_mime"] = raw(r.until("D"))
        out["noop"] = raw(r.cmd("N", "NOOP"))
        stored = literal(r.cmd("G", "FETCH 4 BODY.PEEK[]")[0])[1]
        expected = email.message_from_bytes(stored).get_payload()[1].get_payload(decode=True)
        binary = r.cmd("H", "FETCH 4 (BINARY.PEEK[2] BINARY.SIZE[2])")
        out["binary"] = raw([l[:60] for l in binary])
        kind, data = literal(binary[0])
        out["binary_kind"] = value(kind)
        out["binary_exact"] = value(data == expected and data == payload)
        out["binary_size"] = value(re.search(r"BINARY\.SIZE\[2\] (\d+)", binary[0]).group(1) == str(len(payload)))
        text_part = r.cmd("I", "FETCH 4 BINARY.PEEK[1]")
        out["text_part"] = value(literal(text_part[0]) == ("", b"see attached"))
        out["seen"] = raw(r.cmd("J", "FETCH 4 FLAGS"))
        r.cmd("Z", "LOGOUT")
        done()
        """#, [mode, "\(port)"])

        #expect(r["login"]?.ok == true, "\(String(describing: r["login"]))")
        let capability = try #require(r["capability"]).lines.first ?? ""
        #expect(capability.contains(" BINARY") && capability.contains(" MULTIAPPEND"), "\(capability)")
        let multiAppend = try #require(r["multiappend"])
        #expect(multiAppend.ok && multiAppend.code("APPENDUID")?.hasSuffix(" 1:3") == true, "\(multiAppend)")
        #expect(try #require(r["select"]).untaggedNumber("EXISTS") == 3)
        let fetch = try #require(r["fetch"])
        #expect(fetch.ok, "\(fetch)")
        #expect(r["byte_exact"]?.typ == "True", "the three messages come back as sent: \(fetch)")
        let overLimit = try #require(r["over_limit"])
        #expect(overLimit.tagged.hasPrefix("B NO [TOOBIG]"), "\(overLimit)")
        let status = try #require(r["status_after"])
        #expect(status.untagged.first?.contains("(MESSAGES 3 UIDNEXT 4)") == true, "the failed MULTIAPPEND stored nothing: \(status)")
        #expect(r["append_mime"]?.ok == true, "\(String(describing: r["append_mime"]))")
        let binary = try #require(r["binary"])
        #expect(binary.ok, "\(binary)")
        #expect(r["binary_kind"]?.typ == "~", "data with NUL comes as a literal8: \(binary)")
        #expect(r["binary_exact"]?.typ == "True", "BINARY[2] is the attachment as email decodes it")
        #expect(r["binary_size"]?.typ == "True", "\(binary)")
        #expect(r["text_part"]?.typ == "True")
        #expect(r["seen"]?.untagged.first?.contains("\\Seen") == false, "PEEK set no flag: \(String(describing: r["seen"]))")
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: server.aliceMaildir + "/tmp")) ?? []
        #expect(tmp.isEmpty, "nothing is left in tmp/: \(tmp)")
    }
}
