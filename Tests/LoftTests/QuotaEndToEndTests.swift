import Auth
import Foundation
import MailStore
import Testing

/// QUOTA for real clients: imaplib on 143 (STARTTLS) and 993 (implicit TLS), smtplib submitting to a
/// local user whose mailbox is full. Real `loft serve`.
@Suite(.serialized) struct QuotaEndToEndTests {
    @Test("imaplib: GETQUOTAROOT, GETQUOTA, APPEND over quota gets NO [OVERQUOTA], after EXPUNGE it fits again, on both ports")
    func imaplibQuota() async throws {
        let server = try LoftProcess.imap(extraConfig: "\n[quota]\nstorage = \"1M\"\nmessages = 2\n")
        defer { server.cleanUpNow() }
        try await server.startIMAP()
        let r = try await PythonIMAP.replies(#"""
        msg = b"From: alice@example.org\r\nSubject: quota\r\n\r\nhello\r\n"
        for mode, port in (("starttls", int(sys.argv[1])), ("ssl", int(sys.argv[2]))):
            m = connect(mode, port)
            login(m)
            out[mode + "_caps"] = call(m, "capability")
            if mode == "starttls":
                out[mode + "_first"] = call(m, "append", "INBOX", None, None, msg)
                out[mode + "_second"] = call(m, "append", "INBOX", None, None, msg)
            out[mode + "_root"] = call(m, "getquotaroot", "INBOX")
            out[mode + "_over"] = call(m, "append", "INBOX", None, None, msg)
            out[mode + "_select"] = call(m, "select", "INBOX")
            out[mode + "_store"] = call(m, "store", "1", "+FLAGS", "(\\Deleted)")
            out[mode + "_deleted"] = call(m, "status", "INBOX", "(DELETED DELETED-STORAGE)")
            out[mode + "_expunge"] = call(m, "expunge")
            out[mode + "_fits"] = call(m, "append", "INBOX", None, None, msg)
            out[mode + "_quota"] = call(m, "getquota", '""')
            out[mode + "_setquota"] = call(m, "setquota", '""', "(STORAGE 99999)")
            m.logout()
        done()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)"])

        #expect(r["starttls_first"]?.ok == true && r["starttls_second"]?.ok == true)
        for mode in ["starttls", "ssl"] {
            let capabilities = Set((r["\(mode)_caps"]?.data.first ?? "").split(separator: " "))
            #expect(capabilities.isSuperset(of: ["QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"]), "\(mode)")
            let root = try #require(r["\(mode)_root"])
            #expect(root.ok && root.has("* QUOTAROOT \"INBOX\" \"\"") && root.has("* QUOTA \"\" (STORAGE 1 1024 MESSAGE 2 2)"), "\(root)")
            let over = try #require(r["\(mode)_over"])
            #expect(over.typ == "NO" && over.tagged.contains("NO [OVERQUOTA]"), "\(mode): \(over)")
            #expect(r["\(mode)_deleted"]?.data.first?.contains("(DELETED 1 DELETED-STORAGE ") == true,
                    "\(String(describing: r["\(mode)_deleted"]))")
            #expect(r["\(mode)_expunge"]?.ok == true)
            #expect(r["\(mode)_fits"]?.ok == true, "\(mode): \(String(describing: r["\(mode)_fits"]))")
            #expect(r["\(mode)_quota"]?.has("* QUOTA \"\" (STORAGE 1 1024 MESSAGE 2 2)") == true,
                    "\(String(describing: r["\(mode)_quota"]))")
            #expect(r["\(mode)_setquota"]?.typ == "NO")
        }
        #expect(server.aliceMessageFiles().count == 2)
    }

    /// bob's INBOX, as Loft lays it out.
    static func bobMaildir(_ server: LoftProcess) -> String { "\(server.directory.path)/data/mail/example.org/bob/Maildir" }

    static func messageFiles(_ maildir: String) -> [String] {
        ["cur", "new"].flatMap { sub in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(maildir)/\(sub)")) ?? []).map { "\(sub)/\($0)" }
        }.sorted()
    }

    @Test("smtplib: a full local mailbox gets 552 5.2.2 at RCPT while the other recipient gets the message; after DATA the full one is reported")
    func submissionToAFullMailbox() async throws {
        let server = try LoftProcess.imap(more: [("submission", "starttls"), ("submission", "implicit")])
        defer { server.cleanUpNow() }
        let hash = try PasswordHash.make(password: LoftProcess.password)
        let passwd = try FileHandle(forWritingTo: URL(fileURLWithPath: server.passwdPath))
        passwd.seekToEndOfFile()
        passwd.write(Data("bob:\(hash)::::::quota_messages=1\ncarol:\(hash)::::::quota_storage=2K quota_messages=none\n".utf8))
        try passwd.close()
        // bob already has his one message.
        _ = try Maildir.open(path: Self.bobMaildir(server), create: true).deliver(Array("Subject: old\r\n\r\nold\r\n".utf8))
        try await server.startIMAP(more: 2)

        let big = Array(repeating: String(repeating: "x", count: 70), count: 45).joined(separator: "\r\n")
        let result = try await PythonIMAP.run(#"""
        import smtplib
        def smtp(mode, port):
            if mode == "implicit":
                return smtplib.SMTP_SSL("127.0.0.1", port, context=tls_context(), timeout=20)
            s = smtplib.SMTP("127.0.0.1", port, timeout=20)
            s.starttls(context=tls_context())
            return s
        results = {}
        for mode, port in (("starttls", int(sys.argv[1])), ("implicit", int(sys.argv[2]))):
            s = smtp(mode, port)
            s.login("alice", sys.argv[3])
            msg = ("From: alice@example.org\r\nTo: bob@example.org, alice@example.org\r\nSubject: to bob via " + mode + "\r\n\r\nhi\r\n").encode()
            refused = s.sendmail("alice@example.org", ["bob@example.org", "alice@example.org"], msg)
            results[mode] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
            s.quit()
        # After DATA: no SIZE given, so carol's 2K limit is found only once the message is in.
        s = smtp("starttls", int(sys.argv[1]))
        s.login("alice", sys.argv[3])
        big = ("From: alice@example.org\r\nSubject: big\r\n\r\n" + sys.argv[4] + "\r\n").encode()
        s.ehlo_or_helo_if_needed()
        s.mail("alice@example.org")
        results["carol_rcpt"] = list(s.rcpt("carol@example.org"))[0]
        results["alice_rcpt"] = list(s.rcpt("alice@example.org"))[0]
        code, text = s.data(big)
        results["both_data"] = [code, text.decode()]
        s.mail("alice@example.org")
        s.rcpt("carol@example.org")
        code, text = s.data(big)
        results["carol_only_data"] = [code, text.decode()]
        # With SIZE, carol is refused at RCPT already.
        s.mail("alice@example.org", ["SIZE=%d" % len(big)])
        code, text = s.rcpt("carol@example.org")
        results["carol_sized_rcpt"] = [code, text.decode()]
        s.quit()
        print(json.dumps(results))
        """#, ["\(server.port("starttls", protocol: "submission"))", "\(server.port("implicit", protocol: "submission"))",
               LoftProcess.password, big])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.output)")
        for mode in ["starttls", "implicit"] {
            let refused = outcome[mode] as? [String: [Any]]
            #expect(refused?["bob@example.org"]?.first as? Int == 552, "\(mode): \(String(describing: refused))")
            #expect((refused?["bob@example.org"]?.last as? String)?.hasPrefix("5.2.2 ") == true)
            #expect(refused?["alice@example.org"] == nil)
        }
        #expect(Self.messageFiles(Self.bobMaildir(server)).count == 1, "bob got nothing more")
        #expect((outcome["carol_rcpt"] as? Int) == 250 && (outcome["alice_rcpt"] as? Int) == 250)
        #expect((outcome["both_data"] as? [Any])?.first as? Int == 250, "\(String(describing: outcome["both_data"]))")
        let carolOnly = outcome["carol_only_data"] as? [Any]
        #expect(carolOnly?.first as? Int == 552 && (carolOnly?.last as? String)?.hasPrefix("5.2.2 Mailbox full") == true,
                "\(String(describing: carolOnly))")
        let sized = outcome["carol_sized_rcpt"] as? [Any]
        #expect(sized?.first as? Int == 552 && (sized?.last as? String)?.hasPrefix("5.2.2 ") == true, "\(String(describing: sized))")
        #expect(Self.messageFiles("\(server.directory.path)/data/mail/example.org/carol/Maildir").isEmpty)

        // alice: the two messages to bob and her, the big one, and the report about carol.
        let alice = server.aliceMessageFiles()
        let texts = alice.compactMap { try? String(contentsOfFile: "\(server.aliceMaildir)/\($0)", encoding: .utf8) }
        #expect(texts.count == 4, "\(alice)\n\(server.log)")
        #expect(texts.filter { $0.contains("Subject: to bob via") }.count == 2)
        let report = try #require(texts.first { $0.contains("multipart/report") }, "\(texts)")
        #expect(report.contains("Final-Recipient: rfc822; carol@example.org"), "\(report)")
        #expect(report.contains("Status: 5.2.2"))
        #expect(report.contains("Subject: big"), "the report returns the header")
    }

    @Test("an alias with a full member: the other member gets the message, the sender a report naming the member")
    func aliasWithAFullMember() async throws {
        let aliases = FileManager.default.temporaryDirectory.appendingPathComponent("loft-quota-aliases-\(UUID().uuidString)")
        try Data("team@example.org: bob, alice\n".utf8).write(to: aliases)
        defer { try? FileManager.default.removeItem(at: aliases) }
        let server = try LoftProcess.imap(more: [("submission", "starttls")],
                                          extraConfig: "\n[submission]\naliases_file = \"\(aliases.path)\"\n")
        defer { server.cleanUpNow() }
        let hash = try PasswordHash.make(password: LoftProcess.password)
        let passwd = try FileHandle(forWritingTo: URL(fileURLWithPath: server.passwdPath))
        passwd.seekToEndOfFile()
        passwd.write(Data("bob:\(hash)::::::quota_messages=1\n".utf8))
        try passwd.close()
        _ = try Maildir.open(path: Self.bobMaildir(server), create: true).deliver(Array("Subject: old\r\n\r\nold\r\n".utf8))
        try await server.startIMAP(more: 1)

        let result = try await PythonIMAP.run(#"""
        import smtplib
        s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
        s.starttls(context=tls_context())
        s.login("alice", sys.argv[2])
        refused = s.sendmail("alice@example.org", ["team@example.org"], b"From: alice@example.org\r\nSubject: team\r\n\r\nhi\r\n")
        s.quit()
        print(json.dumps({k: v[0] for k, v in refused.items()}))
        """#, ["\(server.port("starttls", protocol: "submission"))", LoftProcess.password])
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        #expect(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "{}",
                "one member has room: RCPT is taken")
        #expect(Self.messageFiles(Self.bobMaildir(server)).count == 1, "bob got nothing more")
        let texts = server.aliceMessageFiles().compactMap { try? String(contentsOfFile: "\(server.aliceMaildir)/\($0)", encoding: .utf8) }
        #expect(texts.count == 2, "\(server.log)")
        #expect(texts.contains { $0.contains("Subject: team") && !$0.contains("multipart/report") })
        let report = try #require(texts.first { $0.contains("multipart/report") }, "\(texts)")
        #expect(report.contains("Final-Recipient: rfc822; bob@example.org"), "\(report)")
        #expect(report.contains("Original-Recipient: rfc822; team@example.org"), "\(report)")
        #expect(report.contains("Status: 5.2.2"))
    }
}
