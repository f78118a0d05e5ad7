import Foundation
import Testing

/// Two `loft serve` processes on one data directory (as on a shared NFS or CephFS store) behind
/// Debian's HAProxy with PROXY protocol: what one instance stores, the other serves at once.
@Suite(.serialized) struct MultiInstanceEndToEndTests {
    /// Per instance: PROXY listeners for HAProxy (IMAP and POP3 implicit TLS, submission STARTTLS) and
    /// direct ones for the checks that must reach one instance (IMAP and POP3 STARTTLS, submission implicit).
    static let listeners: String = {
        var text = ""
        for (proto, tls, proxy) in [("imap", "implicit", true), ("pop3", "implicit", true), ("submission", "starttls", true),
                                    ("imap", "starttls", false), ("pop3", "starttls", false), ("submission", "implicit", false)] {
            text += "\n[[listener]]\nprotocol = \"\(proto)\"\naddress = \"127.0.0.1:0\"\ntls = \"\(tls)\"\n"
            if proxy { text += "proxy_protocol = true\nproxy_trusted = [\"127.0.0.1\"]\n" }
        }
        return text
    }()

    @Test("submitted through one instance, seen at once by IDLE on the other; same UIDs on both; POP3 IN-USE across them; HAProxy spreads 12 submissions and none is lost or doubled")
    func sharedStore() async throws {
        let first = try LoftProcess(listeners: [], failureDelay: "100ms", extraConfig: Self.listeners)
        defer { first.cleanUpNow() }
        let second = try LoftProcess(listeners: [], failureDelay: "100ms", extraConfig: Self.listeners)
        defer { second.cleanUpNow() }
        // The second instance serves the first one's store and users.
        let config = try String(contentsOfFile: second.configPath, encoding: .utf8)
            .replacingOccurrences(of: second.directory.path + "/data", with: first.directory.path + "/data")
            .replacingOccurrences(of: second.passwdPath, with: first.passwdPath)
        try Data(config.utf8).write(to: URL(fileURLWithPath: second.configPath))
        try await first.start(expectedListeners: 6)
        try await second.start(expectedListeners: 6)
        let haproxy = try TestHAProxy([
            .init(name: "imaps", loftPorts: [first.imapImplicitPort, second.imapImplicitPort], serverOptions: "send-proxy-v2"),
            .init(name: "pop3s", loftPorts: [first.port("implicit"), second.port("implicit")], serverOptions: "send-proxy-v2"),
            .init(name: "submission", loftPorts: [first.port("starttls", protocol: "submission"),
                                                  second.port("starttls", protocol: "submission")], serverOptions: "send-proxy"),
        ])
        defer { haproxy.stop() }

        let r = try await PythonIMAP.replies(#"""
        import smtplib, poplib
        a_submission, b_imap, a_imap, a_pop3, b_pop3, lb_imap, lb_pop3, lb_submission, password = [int(x) for x in sys.argv[1:9]] + [sys.argv[9]]
        def submit(port, starttls, subject):
            s = smtplib.SMTP_SSL("127.0.0.1", port, context=tls_context(), timeout=20) if not starttls else smtplib.SMTP("127.0.0.1", port, timeout=20)
            if starttls:
                s.starttls(context=tls_context())
            s.login("alice", password)
            s.sendmail("alice@example.org", ["alice@example.org"], ("From: alice@example.org\r\nTo: alice@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\nbody\r\n").encode())
            s.quit()

        # IDLE on the second instance; the message goes in through the first.
        b = Raw(b_imap, "starttls"); b.login()
        out["select"] = raw(b.cmd("s", "SELECT INBOX"))
        b.send("i IDLE\r\n")
        out["idle"] = raw([b.line()])
        submit(a_submission, False, "first")
        out["pushed"] = b.wait_for(r"^\* \d+ EXISTS$", timeout=30)
        b.send("DONE\r\n")
        out["done"] = raw(b.until("i"))
        b.close()

        # POP3: a session on one instance locks the maildrop for the other.
        p = poplib.POP3("127.0.0.1", a_pop3, timeout=20); p.stls(context=tls_context()); p.user("alice"); p.pass_(password)
        q = poplib.POP3("127.0.0.1", b_pop3, timeout=20); q.stls(context=tls_context()); q.user("alice")
        try:
            out["second_pop3"] = value(q.pass_(password))
        except poplib.error_proto as e:
            out["second_pop3"] = value(e)
        p.quit()
        q = poplib.POP3("127.0.0.1", b_pop3, timeout=20); q.stls(context=tls_context()); q.user("alice")
        out["after_release"] = value(q.pass_(password))
        q.quit()

        # Through the load balancer: twelve submissions spread over both instances.
        for n in range(12):
            submit(lb_submission, True, "lb%02d" % n)
        time.sleep(0.5)
        views = []
        for port, mode in [(a_imap, "starttls"), (lb_imap, "ssl"), (lb_imap, "ssl")]:
            m = connect(mode, port); login(m)
            m.select("INBOX")
            views.append(call(m, "uid", "FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"))
            m.logout()
        out["view_a"], out["view_lb1"], out["view_lb2"] = views
        p = poplib.POP3_SSL("127.0.0.1", lb_pop3, context=tls_context(), timeout=20)
        p.user("alice"); p.pass_(password)
        out["uidl"] = value(p.uidl()[1])
        p.quit()
        done()
        """#, ["\(first.port("implicit", protocol: "submission"))", "\(second.imapStartTLSPort)", "\(first.imapStartTLSPort)",
               "\(first.port("starttls"))", "\(second.port("starttls"))", "\(haproxy.port("imaps"))", "\(haproxy.port("pop3s"))",
               "\(haproxy.port("submission"))", LoftProcess.password], timeout: .seconds(120))
        #expect(r["idle"]?.lines.first?.hasPrefix("+") == true, "\(String(describing: r["idle"]))")
        #expect(r["pushed"]?.lines.last == "* 1 EXISTS", "\(String(describing: r["pushed"]))")
        #expect(r["second_pop3"]?.typ.contains("[IN-USE]") == true, "\(String(describing: r["second_pop3"]))")
        #expect(r["after_release"]?.typ.contains("+OK") == true, "\(String(describing: r["after_release"]))")

        // The same UID for the same message whichever instance answers, each message once.
        func messages(_ reply: PythonIMAP.Reply?) -> [String] {
            // imaplib's data: "n (UID u BODY[...] {k}", the header literal, ")" for each message.
            var result: [String] = []
            var uid: Substring?
            for item in reply?.data ?? [] {
                if let range = item.range(of: #"UID \d+"#, options: .regularExpression) { uid = item[range] }
                if let range = item.range(of: #"<[a-z0-9]+@example\.org>"#, options: .regularExpression), let current = uid {
                    result.append("\(current) \(item[range])")
                    uid = nil
                }
            }
            return result
        }
        let viewA = messages(r["view_a"])
        #expect(viewA.count == 13, "\(viewA)")
        #expect(Set(viewA.map { $0.split(separator: " ").last! }).count == 13, "no message twice: \(viewA)")
        #expect(messages(r["view_lb1"]) == viewA && messages(r["view_lb2"]) == viewA, "\(String(describing: r["view_lb1"]))")
        let uidl = (r["uidl"]?.typ ?? "").split(separator: ",").count
        #expect(uidl == 13, "\(String(describing: r["uidl"]))")
        // HAProxy took turns: both instances accepted submissions.
        for instance in [first, second] {
            #expect(instance.log.split(separator: "\n").contains { $0.contains("proxy=127.0.0.1") && $0.contains("submission") },
                    "\(instance.log)")
        }
    }
}
