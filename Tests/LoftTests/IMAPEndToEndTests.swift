import Foundation
import Testing

/// The real `loft serve` IMAP listeners driven by Python's imaplib (and a raw socket where imaplib
/// hides the wire), on the STARTTLS port and the implicit-TLS port. One server per test; each
/// test walks a group of commands the way a mail client uses them.
@Suite(.serialized) struct IMAPEndToEndTests {
    typealias Reply = PythonIMAP.Reply

    static func port(_ server: LoftProcess, _ mode: String) -> Int {
        mode == "ssl" ? server.imapImplicitPort : server.imapStartTLSPort
    }

    /// A small message with its own From, Subject and Message-ID.
    static func simple(_ n: Int) -> [UInt8] {
        Array("""
        From: Sender \(n) <s\(n)@example.net>\r
        To: alice@example.org\r
        Subject: Message \(n)\r
        Message-ID: <m\(n)@example.net>\r
        Date: Mon, 1 Jan 2024 10:00:00 +0000\r
        \r
        Body of message \(n).\r

        """.utf8)
    }

    /// FLAGS (...) of the first response line that has them, lower-cased.
    static func flags(_ line: String) -> Set<String>? {
        guard let start = line.range(of: "FLAGS (") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: ")") else { return nil }
        return Set(rest[..<end].split(separator: " ").map { $0.lowercased() })
    }

    /// Flags per sequence number from the untagged FETCH lines of `reply`, without `\Recent`
    /// (a session property, not the message's).
    static func flagsBySequence(_ reply: Reply) -> [Int: Set<String>] {
        var result: [Int: Set<String>] = [:]
        for line in reply.untagged where line.contains(" FETCH (") {
            let parts = line.split(separator: " ")
            guard let number = Int(parts[1]), let flags = flags(line) else { continue }
            result[number] = flags.subtracting(["\\recent"])
        }
        return result
    }

    /// The numbers of `* SEARCH 1 2 3`.
    static func searched(_ reply: Reply) -> [Int] {
        guard let line = reply.untagged.first(where: { $0.hasPrefix("* SEARCH") }) else { return [-1] }
        return line.split(separator: " ").dropFirst(2).compactMap { Int($0) }
    }

    /// `* STATUS name (MESSAGES 2 UIDNEXT 3)` → ["MESSAGES": 2, "UIDNEXT": 3].
    static func statusItems(_ reply: Reply) -> [String: Int] {
        guard let line = reply.untagged.first(where: { $0.hasPrefix("* STATUS ") }),
              let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { return [:] }
        let words = line[line.index(after: open)..<close].split(separator: " ")
        var items: [String: Int] = [:]
        for index in stride(from: 0, to: words.count - 1, by: 2) { items[words[index].uppercased()] = Int(words[index + 1]) }
        return items
    }

    /// Mailboxes of `* LIST (attributes) "." name [extended data]` lines with their attributes, lower-cased.
    static func listed(_ reply: Reply, kind: String = "LIST") -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for line in reply.lines where line.hasPrefix("* \(kind) (") {
            var rest = Substring(line.dropFirst(kind.count + 4))
            guard let close = rest.firstIndex(of: ")") else { continue }
            let attributes = Set(rest[..<close].split(separator: " ").map { $0.lowercased() })
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            _ = Self.token(&rest)  // the delimiter
            rest = rest.drop { $0 == " " }
            result[Self.token(&rest)] = attributes
        }
        return result
    }

    /// One atom, NIL or quoted string from the front of `text`.
    static func token(_ text: inout Substring) -> String {
        if text.first == "\"" {
            var value = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex, text[index] != "\"" {
                if text[index] == "\\" { index = text.index(after: index) }
                if index < text.endIndex { value.append(text[index]); index = text.index(after: index) }
            }
            text = index < text.endIndex ? text[text.index(after: index)...] : ""
            return value
        }
        let end = text.firstIndex(of: " ") ?? text.endIndex
        defer { text = text[end...] }
        return String(text[..<end])
    }

    static func capabilityWords(_ reply: Reply) -> Set<String> {
        guard let line = reply.untagged.first(where: { $0.hasPrefix("* CAPABILITY ") }) else { return [] }
        return Set(line.split(separator: " ").dropFirst(2).map { $0.uppercased() })
    }

    /// `[COPYUID 7 1:2 5,6]` → ("7", [1, 2], [5, 6]).
    static func copyUID(_ reply: Reply) -> (String, [Int], [Int])? {
        guard let parts = reply.code("COPYUID")?.split(separator: " "), parts.count == 3 else { return nil }
        return (String(parts[0]), uidSet(parts[1]), uidSet(parts[2]))
    }

    /// `1:3,7` → [1, 2, 3, 7] (RFC 4315 uid-set; ranges may be written high:low).
    static func uidSet(_ text: Substring) -> [Int] {
        text.split(separator: ",").flatMap { range -> [Int] in
            let ends = range.split(separator: ":").compactMap { Int($0) }
            guard let low = ends.min(), let high = ends.max() else { return [] }
            return Array(low...high)
        }
    }

    // MARK: - Session commands

    @Test("CAPABILITY before/after TLS and after login, LOGIN, NOOP, ID, ENABLE, NAMESPACE, LOGOUT", arguments: ["starttls", "ssl"])
    func sessionCommands(mode: String) async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        mode, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        m = connect(mode, port, tls=False)
        out["greeting"] = value(text(m.welcome))
        out["before"] = call(m, "capability")
        if mode == "starttls":
            out["login_before_tls"] = call(m, "login", "alice", password)
            out["starttls"] = call(m, "starttls", tls_context())
            out["after_tls"] = call(m, "capability")
        out["wrong_password"] = call(m, "login", "alice", "wrong password")
        out["login"] = call(m, "login", "alice@example.org", password)
        out["after_login"] = call(m, "capability")
        out["noop"] = call(m, "noop")
        out["id"] = call(m, "xatom", "ID", '("name" "loft-e2e" "version" "1")')
        out["enable"] = call(m, "enable", "CONDSTORE")
        out["namespace"] = call(m, "namespace")
        out["logout"] = call(m, "logout")
        # imaplib stops reading at the BYE; the tagged OK must follow it (RFC 3501 §6.1.3).
        r = Raw(port, mode)
        r.login()
        out["raw_logout"] = raw(r.cmd("z", "LOGOUT"))
        out["closed"] = value(r.f.read() == b"")
        done()
        """#, [mode, "\(Self.port(server, mode))", LoftProcess.password])

        let greeting = try #require(r["greeting"]).typ
        #expect(greeting.hasPrefix("* OK"), "\(greeting)")
        let before = Self.capabilityWords(try #require(r["before"]))
        #expect(before.contains("IMAP4REV1"), "\(before)")
        if mode == "starttls" {
            #expect(before.contains("STARTTLS") && before.contains("LOGINDISABLED"), "\(before)")
            #expect(!before.contains("AUTH=PLAIN"), "\(before)")
            // RFC 3501 §6.2.3, RFC 5530: LOGIN is refused while LOGINDISABLED is advertised.
            let refused = try #require(r["login_before_tls"])
            #expect(refused.tagged.contains(" NO [PRIVACYREQUIRED]"), "\(refused)")
            #expect(r["starttls"]?.ok == true, "\(String(describing: r["starttls"]))")
            let afterTLS = Self.capabilityWords(try #require(r["after_tls"]))
            #expect(afterTLS.isSuperset(of: ["AUTH=PLAIN", "AUTH=LOGIN", "IMAP4REV1"]), "\(afterTLS)")
            #expect(!afterTLS.contains("STARTTLS") && !afterTLS.contains("LOGINDISABLED"), "\(afterTLS)")
        } else {
            #expect(before.isSuperset(of: ["AUTH=PLAIN", "AUTH=LOGIN"]), "\(before)")
            #expect(!before.contains("STARTTLS") && !before.contains("LOGINDISABLED"), "\(before)")
        }
        let wrong = try #require(r["wrong_password"])
        #expect(wrong.tagged.contains(" NO [AUTHENTICATIONFAILED]"), "\(wrong)")
        #expect(r["login"]?.ok == true, "\(String(describing: r["login"]))")
        let afterLogin = Self.capabilityWords(try #require(r["after_login"]))
        let expected: Set<String> = ["IMAP4REV1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE",
                                     "UNSELECT", "CHILDREN", "LIST-EXTENDED", "SPECIAL-USE", "STATUS=SIZE"]
        #expect(afterLogin.isSuperset(of: expected), "missing: \(expected.subtracting(afterLogin))")
        #expect(afterLogin.contains { $0.hasPrefix("APPENDLIMIT=") }, "\(afterLogin)")
        #expect(r["noop"]?.ok == true)
        let id = try #require(r["id"])
        #expect(id.ok && id.has("* ID "), "\(id)")
        // RFC 5161: ENABLED lists only what was enabled: CONDSTORE (offered), not what is not.
        let enable = try #require(r["enable"])
        #expect(enable.ok, "\(enable)")
        let enabled = enable.untagged.first { $0.hasPrefix("* ENABLED") }
        #expect(enabled == "* ENABLED CONDSTORE", "\(enable)")
        #expect(afterLogin.contains("CONDSTORE") && afterLogin.contains("ESEARCH"), "\(afterLogin)")
        let namespace = try #require(r["namespace"])
        #expect(namespace.ok && namespace.untagged.contains("* NAMESPACE ((\"\" \".\")) NIL NIL"), "\(namespace)")
        let logout = try #require(r["logout"])
        #expect(logout.typ == "BYE" && logout.has("* BYE"), "\(logout)")
        let rawLogout = try #require(r["raw_logout"])
        #expect(rawLogout.lines.first?.hasPrefix("* BYE") == true && rawLogout.typ == "OK", "\(rawLogout)")
        #expect(r["closed"]?.typ == "True", "the server closes after LOGOUT")
    }

    @Test("AUTHENTICATE PLAIN (imaplib, SASL-IR), AUTHENTICATE LOGIN, a wrong password and a cancelled exchange", arguments: ["starttls", "ssl"])
    func authenticate(mode: String) async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        mode, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        m = connect(mode, port)
        out["imaplib_plain"] = call(m, "authenticate", "PLAIN", lambda challenge: b"\0alice\0" + password.encode())
        out["select_after"] = call(m, "select", "INBOX")
        m.logout()
        b64 = lambda s: base64.b64encode(s.encode()).decode()
        r = Raw(port, mode)
        r.send("c AUTHENTICATE PLAIN\r\n")
        first = r.line()
        r.send("*\r\n")
        out["cancel"] = raw([first] + r.until("c"))
        out["wrong"] = raw(r.cmd("w", "AUTHENTICATE PLAIN " + b64("\0alice\0not the password")))
        out["sasl_ir"] = raw(r.cmd("p", "AUTHENTICATE PLAIN " + b64("\0alice@example.org\0" + password)))
        out["select_sasl_ir"] = raw(r.cmd("s", "SELECT INBOX"))
        r.close()
        r = Raw(port, mode)
        r.send("l AUTHENTICATE LOGIN\r\n")
        lines = [r.line()]
        r.send(b64("alice") + "\r\n")
        lines.append(r.line())
        r.send(b64(password) + "\r\n")
        out["login_mechanism"] = raw(lines + r.until("l"))
        r.close()
        done()
        """#, [mode, "\(Self.port(server, mode))", LoftProcess.password])
        #expect(r["imaplib_plain"]?.ok == true, "\(String(describing: r["imaplib_plain"]))")
        #expect(r["select_after"]?.ok == true, "\(String(describing: r["select_after"]))")
        // RFC 3501 §6.2.2: a cancelled exchange is rejected with BAD.
        let cancel = try #require(r["cancel"])
        #expect(cancel.lines.first?.hasPrefix("+") == true, "\(cancel)")
        #expect(cancel.typ == "BAD", "\(cancel)")
        let wrong = try #require(r["wrong"])
        #expect(wrong.tagged.hasPrefix("w NO [AUTHENTICATIONFAILED]"), "\(wrong)")
        #expect(r["sasl_ir"]?.typ == "OK", "\(String(describing: r["sasl_ir"]))")
        #expect(r["select_sasl_ir"]?.typ == "OK", "\(String(describing: r["select_sasl_ir"]))")
        let login = try #require(r["login_mechanism"])
        #expect(login.lines.prefix(2).allSatisfy { $0.hasPrefix("+") }, "\(login)")
        #expect(login.typ == "OK", "\(login)")
    }

    // MARK: - Mailboxes

    @Test("SELECT and EXAMINE: EXISTS, RECENT, FLAGS, UIDVALIDITY, UIDNEXT, READ-WRITE/READ-ONLY; EXAMINE changes nothing")
    func selectAndExamine() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        m = connect("ssl", port); login(m)
        out["examine"] = call(m, "select", "INBOX", True)
        out["examine_fetch"] = call(m, "fetch", "1", "(BODY[])")
        out["examine_store"] = call(m, "store", "2", "+FLAGS", r"(\Deleted)")
        out["select"] = call(m, "select", "INBOX")
        out["flags"] = call(m, "fetch", "1:3", "(FLAGS)")
        out["select_missing"] = call(m, "select", "Nonexistent")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let select = try #require(r["select"])
        #expect(select.ok, "\(select)")
        #expect(select.untaggedNumber("EXISTS") == 3, "\(select)")
        #expect(select.untaggedNumber("RECENT") != nil, "RFC 3501 §6.3.1: RECENT is required: \(select)")
        #expect(select.has("* FLAGS ("), "\(select)")
        #expect(select.code("PERMANENTFLAGS")?.contains("\\*") == true, "keywords can be stored: \(select)")
        #expect((Int(select.code("UIDVALIDITY") ?? "") ?? 0) > 0, "\(select)")
        #expect(select.code("UIDNEXT") == "4", "\(select)")
        #expect(select.tagged.contains("[READ-WRITE]"), "\(select)")

        let examine = try #require(r["examine"])
        #expect(examine.tagged.contains("[READ-ONLY]"), "\(examine)")
        #expect(examine.untaggedNumber("EXISTS") == 3, "\(examine)")
        #expect(examine.code("UIDVALIDITY") == select.code("UIDVALIDITY"))
        #expect(r["examine_fetch"]?.data.contains(String(decoding: Self.simple(1), as: UTF8.self)) == true)
        // RFC 3501 §6.3.2: no change to the mailbox while it is read-only (whether STORE answers
        // NO or, as Dovecot does, "OK Store ignored", the flags below must be unchanged).
        let flags = Self.flagsBySequence(try #require(r["flags"]))
        #expect(flags.count == 3, "\(flags)")
        #expect(flags[1]?.contains("\\seen") == false, "FETCH BODY[] in EXAMINE must not set \\Seen: \(flags)")
        #expect(flags[2]?.contains("\\deleted") == false, "STORE in EXAMINE must not change flags: \(flags)")
        #expect(r["select_missing"]?.tagged.contains(" NO") == true, "\(String(describing: r["select_missing"]))")
    }

    @Test("CREATE, DELETE, RENAME (INBOX too), SUBSCRIBE/UNSUBSCRIBE/LSUB, LIST variants with special use, STATUS")
    func mailboxManagement() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 2)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        m = connect("ssl", port); login(m)
        items = "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)"
        out["list_initial"] = call(m, "list", '""', '"*"')
        out["create_work"] = call(m, "create", "Work")
        out["create_child"] = call(m, "create", "Work.Projects")
        out["create_spaced"] = call(m, "create", '"My Folder"')
        out["create_again"] = call(m, "create", "Work")
        out["create_inbox"] = call(m, "create", "INBOX")
        out["list_all"] = call(m, "list", '""', '"*"')
        out["list_top"] = call(m, "list", '""', '"%"')
        out["list_children"] = call(m, "list", '""', '"Work.%"')
        out["subscribe"] = call(m, "subscribe", "Work")
        out["lsub"] = call(m, "lsub", '""', '"*"')
        out["thunderbird"] = call(m, "xatom", "LIST", '(SUBSCRIBED) "" "*" RETURN (SPECIAL-USE)')
        out["special_only"] = call(m, "xatom", "LIST", '(SPECIAL-USE) "" "*"')
        out["unsubscribe"] = call(m, "unsubscribe", "Work")
        out["lsub_after"] = call(m, "lsub", '""', '"*"')
        out["rename"] = call(m, "rename", "Work", "Jobs")
        out["list_renamed"] = call(m, "list", '""', '"*"')
        out["delete_child"] = call(m, "delete", "Jobs.Projects")
        out["delete_missing"] = call(m, "delete", "Nope")
        out["delete_inbox"] = call(m, "delete", "INBOX")
        out["list_deleted"] = call(m, "list", '""', '"*"')
        out["status_inbox_before"] = call(m, "status", "INBOX", items)
        out["rename_inbox"] = call(m, "rename", "INBOX", "Old")
        out["status_old"] = call(m, "status", "Old", items)
        out["status_inbox"] = call(m, "status", "INBOX", items)
        out["list_final"] = call(m, "list", '""', '"*"')
        out["select_old"] = call(m, "select", "Old")
        out["old_bodies"] = call(m, "fetch", "1:*", "(BODY.PEEK[])")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let defaults: Set<String> = ["Drafts", "Sent", "Trash", "Junk", "Archive"]
        #expect(Set(Self.listed(try #require(r["list_initial"])).keys) == defaults.union(["INBOX"]), "\(String(describing: r["list_initial"]))")
        for key in ["create_work", "create_child", "create_spaced"] { #expect(r[key]?.ok == true, "\(key): \(String(describing: r[key]))") }
        // RFC 3501 §6.3.3, RFC 5530: creating an existing name (or INBOX) fails.
        let again = try #require(r["create_again"])
        #expect(again.tagged.contains(" NO"), "\(again)")
        #expect(again.tagged.contains("[ALREADYEXISTS]"), "\(again)")
        #expect(r["create_inbox"]?.tagged.contains(" NO") == true, "\(String(describing: r["create_inbox"]))")

        let all = Self.listed(try #require(r["list_all"]))
        #expect(Set(all.keys) == defaults.union(["INBOX", "Work", "Work.Projects", "My Folder"]), "\(all)")
        #expect(all["Work"]?.contains("\\haschildren") == true, "\(all)")
        #expect(all["Work.Projects"]?.contains("\\hasnochildren") == true, "\(all)")
        let top = Self.listed(try #require(r["list_top"]))
        #expect(Set(top.keys) == defaults.union(["INBOX", "Work", "My Folder"]), "\(top)")
        #expect(Set(Self.listed(try #require(r["list_children"])).keys) == ["Work.Projects"])

        #expect(r["subscribe"]?.ok == true)
        let lsub = Self.listed(try #require(r["lsub"]), kind: "LSUB")
        #expect(Set(lsub.keys).isSuperset(of: defaults.union(["Work"])), "\(lsub)")
        #expect(lsub["My Folder"] == nil, "\(lsub)")

        // What Thunderbird sends: subscribed mailboxes with their special-use attributes.
        let thunderbird = Self.listed(try #require(r["thunderbird"]))
        #expect(Set(thunderbird.keys).isSuperset(of: defaults.union(["Work"])), "\(thunderbird)")
        #expect(thunderbird["My Folder"] == nil, "\(thunderbird)")
        #expect(thunderbird.values.allSatisfy { $0.contains("\\subscribed") }, "\(thunderbird)")
        for name in defaults { #expect(thunderbird[name]?.contains("\\" + name.lowercased()) == true, "\(name): \(thunderbird)") }
        #expect(thunderbird["Work"]?.contains("\\sent") == false)
        // RFC 6154 §5.1: the SPECIAL-USE selection option lists only special-use mailboxes.
        let special = Self.listed(try #require(r["special_only"]))
        #expect(Set(special.keys) == defaults, "\(special)")
        for name in defaults { #expect(special[name]?.contains("\\" + name.lowercased()) == true, "\(name): \(special)") }

        #expect(r["unsubscribe"]?.ok == true)
        #expect(Self.listed(try #require(r["lsub_after"]), kind: "LSUB")["Work"] == nil)

        // RFC 3501 §6.3.5: inferior names are renamed too.
        #expect(r["rename"]?.ok == true, "\(String(describing: r["rename"]))")
        let renamed = Self.listed(try #require(r["list_renamed"]))
        #expect(renamed["Jobs"] != nil && renamed["Jobs.Projects"] != nil, "\(renamed)")
        #expect(renamed["Work"] == nil && renamed["Work.Projects"] == nil, "\(renamed)")
        #expect(r["delete_child"]?.ok == true, "\(String(describing: r["delete_child"]))")
        #expect(r["delete_missing"]?.tagged.contains(" NO") == true)
        #expect(r["delete_inbox"]?.tagged.contains(" NO") == true, "RFC 3501 §6.3.4: \(String(describing: r["delete_inbox"]))")
        let afterDelete = Self.listed(try #require(r["list_deleted"]))
        #expect(afterDelete["Jobs.Projects"] == nil && afterDelete["INBOX"] != nil, "\(afterDelete)")

        // RFC 3501 §6.3.5: renaming INBOX moves its messages and leaves INBOX empty.
        #expect(r["rename_inbox"]?.ok == true, "\(String(describing: r["rename_inbox"]))")
        let before = Self.statusItems(try #require(r["status_inbox_before"]))
        let old = Self.statusItems(try #require(r["status_old"]))
        let inbox = Self.statusItems(try #require(r["status_inbox"]))
        let sizes = (1...2).map { Self.simple($0).count }.reduce(0, +)
        #expect(before["MESSAGES"] == 2 && before["UNSEEN"] == 2 && before["SIZE"] == sizes && before["UIDNEXT"] == 3, "\(before)")
        #expect(old["MESSAGES"] == 2 && old["UNSEEN"] == 2 && old["SIZE"] == sizes, "\(old)")
        #expect((old["UIDNEXT"] ?? 0) >= 3 && (old["UIDVALIDITY"] ?? 0) > 0, "\(old)")
        #expect(inbox["MESSAGES"] == 0 && inbox["UNSEEN"] == 0 && inbox["SIZE"] == 0, "\(inbox)")
        // UIDs are never reused within one UIDVALIDITY (RFC 3501 §2.3.1.1).
        #expect(inbox["UIDVALIDITY"] != before["UIDVALIDITY"] || (inbox["UIDNEXT"] ?? 0) >= 3, "\(before) → \(inbox)")
        let final = Self.listed(try #require(r["list_final"]))
        #expect(final["INBOX"] != nil && final["Old"] != nil, "\(final)")
        let bodies = try #require(r["old_bodies"]).data.filter { $0.hasPrefix("From: ") }
        #expect(Set(bodies) == Set((1...2).map { String(decoding: Self.simple($0), as: UTF8.self) }), "\(bodies)")
    }

    @Test("subscriptions: LSUB \"%\" shows the unsubscribed parent of a subscribed name as \\Noselect; LIST (SUBSCRIBED) keeps a subscribed name whose mailbox was deleted")
    func subscriptionEdges() async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        m = connect("ssl", int(sys.argv[1])); login(m)
        m.create("Top.Sub")
        m.subscribe("Top.Sub")
        out["lsub_percent"] = call(m, "lsub", '""', '"%"')
        m.delete("Top.Sub")
        out["lsub_all"] = call(m, "lsub", '""', '"*"')
        out["list_subscribed"] = call(m, "xatom", "LIST", '(SUBSCRIBED) "" "*"')
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        // RFC 3501 §6.3.9: 'A "%" wildcard to LSUB must return foo, not foo/bar, … flagged with \Noselect.'
        let percent = Self.listed(try #require(r["lsub_percent"]), kind: "LSUB")
        #expect(percent["Top"]?.contains("\\noselect") == true, "\(String(describing: r["lsub_percent"]))")
        #expect(percent["Top.Sub"] == nil)
        // Subscriptions outlive their mailboxes (RFC 3501 §6.3.6); RFC 5258 §3.1: LIST (SUBSCRIBED)
        // "MUST include exactly those mailbox names that match … and are subscribed to".
        #expect(Self.listed(try #require(r["lsub_all"]), kind: "LSUB")["Top.Sub"] != nil, "\(String(describing: r["lsub_all"]))")
        let subscribed = Self.listed(try #require(r["list_subscribed"]))
        #expect(subscribed["Top.Sub"]?.isSuperset(of: ["\\subscribed", "\\nonexistent"]) == true, "\(String(describing: r["list_subscribed"]))")
    }

    @Test("RENAME of the selected mailbox (by this session or another): later commands work on it or say it is gone, never NO [SERVERBUG]")
    func renameSelected() async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        a = Raw(port, "ssl"); a.login()
        b = Raw(port, "ssl"); b.login()
        a.cmd("c", "CREATE Projects")
        a.cmd("p", "APPEND Projects {16+}\r\nSubject: p\r\n\r\np\r\n")
        a.cmd("s", "SELECT Projects")
        def attempt(conn, tag, command):
            # A server may end the session (BYE) once the selected mailbox is gone.
            try:
                return raw(conn.cmd(tag, command))
            except (EOFError, OSError):
                return {"typ": "BYE", "lines": [], "data": []}
        out["own_rename"] = raw(a.cmd("r", "RENAME Projects Work"))
        out["own_store"] = attempt(a, "t", "STORE 1 +FLAGS (\\Flagged)")
        out["own_fetch"] = attempt(a, "f", "FETCH 1 (BODY.PEEK[])")
        a = Raw(port, "ssl"); a.login()  # a client told its mailbox is gone starts over
        a.cmd("s2", "SELECT Work")
        out["other_rename"] = raw(b.cmd("r2", "RENAME Work Jobs"))
        out["other_store"] = attempt(a, "t2", "STORE 1 +FLAGS (\\Seen)")
        out["other_fetch"] = attempt(a, "f2", "FETCH 1 (BODY.PEEK[])")
        out["jobs"] = raw(b.cmd("j", "EXAMINE Jobs") + b.cmd("k", "FETCH 1 (FLAGS)"))
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(r["own_rename"]?.typ == "OK" && r["other_rename"]?.typ == "OK")
        let jobs = Self.flagsBySequence(try #require(r["jobs"]))[1] ?? []
        for (key, flag) in [("own_store", "\\flagged"), ("other_store", "\\seen")] {
            let reply = try #require(r[key])
            // Either the session follows its mailbox to the new name (and the flag is there), or it
            // is told that the mailbox went away; "[SERVERBUG]" is neither (RFC 5530 §3).
            #expect(!reply.tagged.contains("[SERVERBUG]"), "\(key): \(reply)")
            #expect(reply.typ != "OK" || jobs.contains(flag), "\(key) answered OK, so \(flag) is set: \(jobs)")
        }
        for key in ["own_fetch", "other_fetch"] {
            #expect(r[key]?.tagged.contains("[SERVERBUG]") == false, "\(key): \(String(describing: r[key]))")
        }
    }

    // MARK: - Messages

    @Test("APPEND with flags and date (APPENDUID; FETCH shows them), TRYCREATE, and a 5 MB message byte-exact")
    func append() async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let message = Self.simple(1)
        let r = try await PythonIMAP.replies(#"""
        from datetime import datetime
        port = int(sys.argv[1])
        msg = sys.stdin.buffer.read()
        m = connect("ssl", port); login(m)
        out["capability"] = call(m, "capability")
        out["append"] = call(m, "append", "INBOX", r"(\Flagged $Forwarded)", '"01-Feb-2024 10:20:30 +0100"', msg)
        out["append_missing"] = call(m, "append", "Nope", None, None, msg)
        out["select"] = call(m, "select", "INBOX")
        def appended(reply):
            found = re.search(r"APPENDUID \d+ (\d+)", reply["lines"][-1] if reply["lines"] else "")
            return found.group(1) if found else "*"
        uid = appended(out["append"])
        out["fetch"] = call(m, "uid", "FETCH", uid, "(FLAGS INTERNALDATE RFC822.SIZE)")
        date = re.search(r'INTERNALDATE "([^"]+)"', " ".join(out["fetch"]["lines"]))
        out["internaldate"] = value(int(datetime.strptime(date.group(1), "%d-%b-%Y %H:%M:%S %z").timestamp()) if date else None)
        out["body"] = call(m, "uid", "FETCH", uid, "(BODY.PEEK[])")
        rng = random.Random(7)
        line = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(76))
        big = b"Subject: big\r\n\r\n" + "".join(line() + "\r\n" for _ in range(5 * 1024 * 1024 // 78)).encode()
        m.logout()
        out["big_size"] = value(len(big))
        m = connect("ssl", port); login(m)
        out["append_big"] = call(m, "append", "Archive", None, None, big)
        if out["append_big"]["typ"] == "OK":
            m.select("Archive")
            typ, data = m.uid("FETCH", appended(out["append_big"]), "(RFC822.SIZE BODY.PEEK[])")
            out["big_fetched"] = value(len(data[0][1]) if data and isinstance(data[0], tuple) else -1)
            out["big_equal"] = value(data[0][1] == big if data and isinstance(data[0], tuple) else False)
            out["big_line"] = value(text(data[0][0]) if data and isinstance(data[0], tuple) else "")
            m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"], input: Data(message))
        let capabilities = Self.capabilityWords(try #require(r["capability"]))
        let limit = capabilities.first { $0.hasPrefix("APPENDLIMIT=") }.flatMap { Int($0.dropFirst("APPENDLIMIT=".count)) }
        #expect((limit ?? 0) >= 5 * 1024 * 1024, "the 5 MB message fits the advertised limit: \(capabilities)")

        let append = try #require(r["append"])
        #expect(append.ok, "\(append)")
        let select = try #require(r["select"])
        // RFC 4315 §3: APPENDUID carries the mailbox's UIDVALIDITY and the new UID.
        #expect(append.code("APPENDUID") == "\(select.code("UIDVALIDITY") ?? "?") 1", "\(append) \(select)")
        let missing = try #require(r["append_missing"])
        #expect(missing.tagged.contains(" NO [TRYCREATE]"), "RFC 3501 §6.3.11: \(missing)")
        let fetch = try #require(r["fetch"])
        let flags = Self.flags(fetch.lines.first ?? "") ?? []
        #expect(flags.isSuperset(of: ["\\flagged", "$forwarded"]), "\(fetch)")
        #expect(!flags.contains("\\seen"), "\(fetch)")
        #expect(fetch.lines.first?.contains("UID 1") == true, "RFC 3501 §6.4.8: \(fetch)")
        #expect(fetch.lines.first?.contains("RFC822.SIZE \(message.count)") == true, "\(fetch)")
        #expect(r["internaldate"]?.typ == "1706779230", "01-Feb-2024 10:20:30 +0100: \(fetch)")
        #expect(r["body"]?.data.dropFirst().first?.latin1Bytes == message)

        try #require(r["append_big"]?.ok == true, "\(String(describing: r["append_big"]))")
        let bigSize = r["big_size"]?.typ ?? "?"
        #expect(r["big_fetched"]?.typ == bigSize)
        #expect(r["big_equal"]?.typ == "True")
        #expect(r["big_line"]?.typ.contains("RFC822.SIZE \(bigSize)") == true, "\(String(describing: r["big_line"]))")
    }

    @Test("a 5 MB message delivered to the Maildir FETCHes byte-exact, whole and in a partial from its middle")
    func fetchLarge() async throws {
        let server = try LoftProcess.imap()
        defer { server.cleanUpNow() }
        // 78-byte numbered lines: every 100-byte window is different.
        var big = Array("Subject: big\r\n\r\n".utf8)
        big.reserveCapacity(5 * 1024 * 1024 + 100)
        for number in 0..<(5 * 1024 * 1024 / 78) {
            big += Array("\(String(repeating: "\(number % 10)", count: 68)) \(10_000_000 + number)\r\n".utf8).suffix(78)
        }
        try server.deliverToAlice(big)
        try await server.startIMAP()
        let r = try await PythonIMAP.replies(#"""
        import hashlib
        m = connect("ssl", int(sys.argv[1])); login(m)
        m.select("INBOX")
        typ, data = m.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
        whole = data[0][1] if data and isinstance(data[0], tuple) else b""
        out["whole"] = value(hashlib.sha256(whole).hexdigest() + " " + str(len(whole)))
        out["line"] = value(text(data[0][0]) if data and isinstance(data[0], tuple) else "")
        typ, data = m.fetch("1", "(BODY.PEEK[]<3000000.100>)")
        out["partial"] = value(base64.b64encode(data[0][1]).decode() if data and isinstance(data[0], tuple) else "")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let digest = try await Subprocess.python("import hashlib, sys; d = sys.stdin.buffer.read(); print(hashlib.sha256(d).hexdigest(), len(d))", input: Data(big))
        #expect(r["whole"]?.typ == digest.output.trimmingCharacters(in: .whitespacesAndNewlines), "\(String(describing: r["line"]))")
        #expect(r["line"]?.typ.contains("RFC822.SIZE \(big.count)") == true, "\(String(describing: r["line"]))")
        #expect(r["partial"].flatMap { Data(base64Encoded: $0.typ) }.map(Array.init) == Array(big[3_000_000..<3_000_100]))
    }

    @Test("CHECK, UNSELECT keeps \\Deleted messages, CLOSE expunges them, EXPUNGE and UID EXPUNGE")
    func expunge() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 6)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        m = connect("ssl", port); login(m)
        m.select("INBOX")
        out["store1"] = call(m, "store", "1", "+FLAGS", r"(\Deleted)")
        out["check"] = call(m, "check")
        out["unselect"] = call(m, "unselect")
        out["select_after_unselect"] = call(m, "select", "INBOX")
        out["close"] = call(m, "close")
        out["select_after_close"] = call(m, "select", "INBOX")
        m.store("2", "+FLAGS", r"(\Deleted)")
        out["expunge"] = call(m, "expunge")
        m.store("1:2", "+FLAGS", r"(\Deleted)")
        out["uid_expunge"] = call(m, "uid", "EXPUNGE", "3")
        out["uids"] = call(m, "uid", "SEARCH", "ALL")
        out["deleted"] = call(m, "uid", "SEARCH", "DELETED")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(r["check"]?.ok == true)
        #expect(r["unselect"]?.ok == true, "\(String(describing: r["unselect"]))")
        #expect(r["select_after_unselect"]?.untaggedNumber("EXISTS") == 6, "UNSELECT does not expunge: \(String(describing: r["select_after_unselect"]))")
        let close = try #require(r["close"])
        #expect(close.ok, "\(close)")
        #expect(!close.has("* 1 EXPUNGE"), "RFC 3501 §6.4.2: CLOSE sends no EXPUNGE responses: \(close)")
        #expect(r["select_after_close"]?.untaggedNumber("EXISTS") == 5, "CLOSE expunged message 1: \(String(describing: r["select_after_close"]))")
        let expunge = try #require(r["expunge"])
        #expect(expunge.ok && expunge.untagged.contains("* 2 EXPUNGE"), "\(expunge)")
        // Messages 1 and 2 (UIDs 2 and 4) are \Deleted; UID EXPUNGE 3 names neither (RFC 4315 §2.1)…
        let uidExpunge = try #require(r["uid_expunge"])
        #expect(uidExpunge.ok, "\(uidExpunge)")
        #expect(!uidExpunge.has("* 1 EXPUNGE") && !uidExpunge.has("* 2 EXPUNGE"), "only UID 3 was named: \(uidExpunge)")
        // …so nothing goes.
        #expect(Self.searched(try #require(r["uids"])) == [2, 4, 5, 6], "\(String(describing: r["uids"]))")
        #expect(Self.searched(try #require(r["deleted"])) == [2, 4])
        #expect(server.aliceMessageFiles().count == 4)
    }

    @Test("UID EXPUNGE removes only the named \\Deleted messages")
    func uidExpungeNamed() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 4)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        m = connect("ssl", int(sys.argv[1])); login(m)
        m.select("INBOX")
        m.store("1:3", "+FLAGS", r"(\Deleted)")
        out["uid_expunge"] = call(m, "uid", "EXPUNGE", "2:3")
        out["uids"] = call(m, "uid", "SEARCH", "ALL")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let expunge = try #require(r["uid_expunge"])
        #expect(expunge.ok, "\(expunge)")
        // Either order is valid: "* 2 EXPUNGE" twice, or "* 3" then "* 2".
        let expunged = expunge.untagged.filter { $0.hasSuffix(" EXPUNGE") }
        #expect(expunged == ["* 2 EXPUNGE", "* 2 EXPUNGE"] || expunged == ["* 3 EXPUNGE", "* 2 EXPUNGE"], "\(expunge)")
        #expect(Self.searched(try #require(r["uids"])) == [1, 4])
        #expect(server.aliceMessageFiles().count == 2)
    }

    @Test("SEARCH and UID SEARCH: ALL, UNSEEN, FROM, SUBJECT, HEADER, SINCE, LARGER, OR, NOT, UID ranges")
    func search() async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        m = connect("ssl", int(sys.argv[1])); login(m)
        def msg(sender, subject, extra="", size=0):
            body = ("x" * 75 + "\r\n") * (size // 77)
            return ("From: %s\r\nTo: alice@example.org\r\nSubject: %s\r\n%s\r\nhello\r\n%s" % (sender, subject, extra, body)).encode()
        m.append("INBOX", None, None, msg("gone@example.org", "throwaway"))
        m.append("INBOX", r"(\Seen)", '"01-Jan-2020 12:00:00 +0000"', msg("Alice <alice@example.org>", "Quarterly report"))
        m.append("INBOX", None, '"15-Jun-2023 12:00:00 +0000"', msg("Bob <bob@example.net>", "Lunch", size=10000))
        m.append("INBOX", r"(\Seen \Flagged)", '"01-Mar-2024 12:00:00 +0000"', msg("carol@example.com", "Re: Quarterly Report", "X-Priority: 1\r\n"))
        m.append("INBOX", None, '"10-Mar-2024 12:00:00 +0000"', msg("Bob <bob@example.net>", "Holiday photos", size=50000))
        m.select("INBOX")
        m.store("1", "+FLAGS", r"(\Deleted)")
        m.expunge()
        # Now sequence numbers 1..4 are UIDs 2..5.
        searches = {
            "all": ("ALL",), "unseen": ("UNSEEN",), "from": ("FROM", "bob"), "subject": ("SUBJECT", "quarterly"),
            "header": ("HEADER", "X-Priority", "1"), "since": ("SINCE", "1-Jan-2024"), "before": ("BEFORE", "1-Jan-2024"),
            "larger": ("LARGER", "20000"), "smaller": ("SMALLER", "1000"), "or": ("OR", "FROM", "carol", "LARGER", "20000"),
            "not": ("NOT", "SEEN"), "flagged_seen": ("FLAGGED", "SEEN"), "range_from": ("2:3", "FROM", "bob"),
            "star": ("3:*",), "text": ("TEXT", "photos"), "body": ("BODY", "hello"),
        }
        for key, criteria in searches.items():
            out[key] = call(m, "search", None, *criteria)
            out["uid_" + key] = call(m, "uid", "SEARCH", *criteria)
        out["uid_uid_range"] = call(m, "uid", "SEARCH", "UID", "3:4")
        out["uid_uid_star"] = call(m, "uid", "SEARCH", "UID", "4:*")
        out["uid_uid_beyond"] = call(m, "uid", "SEARCH", "UID", "100:*")
        out["bad"] = call(m, "search", None, "FROB")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let expected: [String: [Int]] = [
            "all": [1, 2, 3, 4], "unseen": [2, 4], "from": [2, 4], "subject": [1, 3], "header": [3], "since": [3, 4],
            "before": [1, 2], "larger": [4], "smaller": [1, 3], "or": [3, 4], "not": [2, 4], "flagged_seen": [3],
            "range_from": [2], "star": [3, 4], "text": [4], "body": [1, 2, 3, 4],
        ]
        for (key, numbers) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(Self.searched(try #require(r[key])) == numbers, "SEARCH \(key): \(String(describing: r[key]))")
            #expect(Self.searched(try #require(r["uid_" + key])) == numbers.map { $0 + 1 }, "UID SEARCH \(key): \(String(describing: r["uid_" + key]))")
        }
        #expect(Self.searched(try #require(r["uid_uid_range"])) == [3, 4])
        #expect(Self.searched(try #require(r["uid_uid_star"])) == [4, 5])
        // RFC 3501 §6.4.8/§9: "100:*" is 100:5 = 5:100 when 5 is the highest UID.
        #expect(Self.searched(try #require(r["uid_uid_beyond"])) == [5], "\(String(describing: r["uid_uid_beyond"]))")
        let bad = try #require(r["bad"])
        #expect(bad.typ.hasPrefix("EXC") && bad.tagged.contains(" BAD"), "\(bad)")
    }

    /// A multipart message with a text part and a base64 attachment.
    static let multipart = Array("""
    From: Alice Example <alice@example.org>\r
    To: Bob <bob@example.net>\r
    Cc: carol@example.com\r
    Subject: Hello\r
    Date: Mon, 1 Jan 2024 10:00:00 +0000\r
    Message-ID: <m1@example.org>\r
    MIME-Version: 1.0\r
    Content-Type: multipart/mixed; boundary="xyz"\r
    \r
    preamble\r
    --xyz\r
    Content-Type: text/plain; charset=utf-8\r
    \r
    Hello Bob,\r
    See attachment.\r
    --xyz\r
    Content-Type: application/octet-stream; name="a.bin"\r
    Content-Transfer-Encoding: base64\r
    Content-Disposition: attachment; filename="a.bin"\r
    \r
    AAECAwQF\r
    --xyz--\r

    """.utf8)

    /// The same kind of message stored with bare LF line ends (as some tools write Maildirs).
    static let lfOnly = Array("From: lf@example.net\nSubject: LF only\n\nline one\nline two\n".utf8)

    @Test("FETCH/UID FETCH: FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY[] (CRLF even when stored with LF), sections, partials; \\Seen only without PEEK")
    func fetch() async throws {
        let server = try LoftProcess.imap()
        defer { server.cleanUpNow() }
        try server.deliverToAlice(Self.simple(0))
        try server.deliverToAlice(Self.multipart)
        try server.deliverToAlice(Self.lfOnly)
        try await server.startIMAP()
        let r = try await PythonIMAP.replies(#"""
        m = connect(sys.argv[2], int(sys.argv[1])); login(m)
        m.select("INBOX")
        m.store("1", "+FLAGS", r"(\Deleted)")
        m.expunge()
        # Message 1 is UID 2 (multipart), message 2 is UID 3 (LF only).
        out["meta"] = call(m, "fetch", "1", "(FLAGS INTERNALDATE RFC822.SIZE)")
        out["envelope"] = call(m, "fetch", "1", "(ENVELOPE)")
        out["bodystructure"] = call(m, "fetch", "1", "(BODYSTRUCTURE)")
        out["peek"] = call(m, "fetch", "1", "(BODY.PEEK[])")
        out["subject"] = call(m, "fetch", "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out["header"] = call(m, "fetch", "1", "(RFC822.HEADER)")
        out["partial"] = call(m, "fetch", "1", "(BODY.PEEK[]<0.10>)")
        out["flags_after_peek"] = call(m, "fetch", "1", "(FLAGS)")
        out["part1"] = call(m, "fetch", "1", "(BODY[1])")
        out["flags_after_part"] = call(m, "fetch", "1", "(FLAGS)")
        out["lf_size"] = call(m, "uid", "FETCH", "3", "(RFC822.SIZE)")
        out["lf_body"] = call(m, "uid", "FETCH", "3", "(BODY[])")
        out["flags_after_body"] = call(m, "uid", "FETCH", "3", "(FLAGS)")
        out["uid_missing"] = call(m, "uid", "FETCH", "99", "(FLAGS)")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)", "ssl"])

        let meta = try #require(r["meta"]).lines.first ?? ""
        #expect(meta.contains("RFC822.SIZE \(Self.multipart.count)"), "\(meta)")
        #expect(meta.range(of: #"INTERNALDATE "\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}""#, options: .regularExpression) != nil, "\(meta)")
        let envelope = try #require(r["envelope"]).lines.first ?? ""
        let alice = #"(("Alice Example" NIL "alice" "example.org"))"#
        #expect(envelope.contains(#"ENVELOPE ("Mon, 1 Jan 2024 10:00:00 +0000" "Hello" "# + alice + " " + alice + " " + alice
            + #" (("Bob" NIL "bob" "example.net")) ((NIL NIL "carol" "example.com")) NIL NIL "<m1@example.org>")"#), "RFC 3501 §7.4.2: \(envelope)")
        let structure = (try #require(r["bodystructure"]).lines.first ?? "").lowercased()
        #expect(structure.contains(#""mixed" ("boundary" "xyz")"#), "\(structure)")
        #expect(structure.contains(#"("application" "octet-stream" ("name" "a.bin") nil nil "base64" "#), "\(structure)")
        let textPart = #/\("text" "plain" \("charset" "utf-8"\) nil nil "7bit" (\d+) /#
        let part1 = try #require(r["part1"])
        #expect(part1.data.dropFirst().first == "Hello Bob,\r\nSee attachment.", "RFC 2046 §5.1.1: the CRLF before a boundary is the boundary's: \(part1)")
        #expect(structure.firstMatch(of: textPart).map { Int($0.1) } == 27, "the text part's size is BODY[1]'s length: \(structure)")

        #expect(r["peek"]?.data.dropFirst().first?.latin1Bytes == Self.multipart)
        let subject = try #require(r["subject"])
        #expect(subject.data.first?.contains("BODY[HEADER.FIELDS (SUBJECT)]") == true, "\(subject)")
        #expect(subject.data.dropFirst().first == "Subject: Hello\r\n\r\n", "\(subject)")
        let headerEnd = String(decoding: Self.multipart, as: UTF8.self).range(of: "\r\n\r\n")!.upperBound
        #expect(r["header"]?.data.dropFirst().first == String(String(decoding: Self.multipart, as: UTF8.self)[..<headerEnd]))
        let partial = try #require(r["partial"])
        #expect(partial.data.first?.contains("BODY[]<0> {10}") == true, "RFC 3501 §6.4.5: \(partial)")
        #expect(partial.data.dropFirst().first?.latin1Bytes == Array(Self.multipart.prefix(10)))
        #expect(Self.flagsBySequence(try #require(r["flags_after_peek"]))[1] == [], "PEEK, RFC822.HEADER and partial PEEK leave \\Seen alone")
        #expect(Self.flagsBySequence(try #require(r["flags_after_part"]))[1] == ["\\seen"], "BODY[1] sets \\Seen")

        let crlf = Array(String(decoding: Self.lfOnly, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let lfSize = try #require(r["lf_size"]).lines.first ?? ""
        #expect(lfSize.contains("RFC822.SIZE \(crlf.count)") && lfSize.contains("UID 3"), "\(lfSize)")
        let lfBody = try #require(r["lf_body"])
        #expect(lfBody.data.dropFirst().first?.latin1Bytes == crlf, "\(lfBody)")
        #expect(lfBody.data.first?.contains("UID 3") == true, "RFC 3501 §6.4.8: UID FETCH answers with UID: \(lfBody)")
        #expect(Self.flagsBySequence(try #require(r["flags_after_body"]))[2] == ["\\seen"])
        let missing = try #require(r["uid_missing"])
        #expect(missing.ok && missing.untagged.isEmpty, "a UID FETCH of no existing message is OK and empty: \(missing)")
    }

    @Test("STORE/UID STORE: +FLAGS, -FLAGS, FLAGS, FLAGS.SILENT, keywords; a new session sees them")
    func store() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 3)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        port = int(sys.argv[1])
        m = connect("starttls", port); login(m)
        m.select("INBOX")
        out["add"] = call(m, "store", "1", "+FLAGS", r"(\Flagged $Forwarded)")
        out["remove"] = call(m, "store", "1", "-FLAGS", r"(\Flagged)")
        out["silent"] = call(m, "store", "2", "+FLAGS.SILENT", r"(\Answered)")
        out["replace"] = call(m, "store", "3", "FLAGS", r"(\Draft $Label1)")
        out["uid_store"] = call(m, "uid", "STORE", "3", "+FLAGS", r"(\Seen)")
        m.logout()
        m = connect("ssl", int(sys.argv[2])); login(m)
        out["select"] = call(m, "select", "INBOX")
        out["flags"] = call(m, "fetch", "1:3", "(FLAGS)")
        m.logout()
        done()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)"])
        #expect(Self.flagsBySequence(try #require(r["add"]))[1] == ["\\flagged", "$forwarded"], "\(String(describing: r["add"]))")
        #expect(Self.flagsBySequence(try #require(r["remove"]))[1] == ["$forwarded"], "\(String(describing: r["remove"]))")
        let silent = try #require(r["silent"])
        #expect(silent.ok && !silent.untagged.contains { $0.hasPrefix("* 2 FETCH") }, "RFC 3501 §6.4.6: .SILENT: \(silent)")
        #expect(Self.flagsBySequence(try #require(r["replace"]))[3] == ["\\draft", "$label1"])
        let uidStore = try #require(r["uid_store"])
        #expect(uidStore.untagged.first { $0.hasPrefix("* 3 FETCH") }?.contains("UID 3") == true, "RFC 3501 §6.4.8: \(uidStore)")
        #expect(Self.flagsBySequence(uidStore)[3] == ["\\draft", "$label1", "\\seen"])
        let select = try #require(r["select"])
        let flagsLine = select.untagged.first { $0.hasPrefix("* FLAGS (") } ?? ""
        #expect(flagsLine.contains("$Forwarded") && flagsLine.contains("$Label1"), "keywords in use are listed: \(flagsLine)")
        let flags = Self.flagsBySequence(try #require(r["flags"]))
        #expect(flags == [1: ["$forwarded"], 2: ["\\answered"], 3: ["\\draft", "$label1", "\\seen"]], "\(flags)")
    }

    @Test("COPY/UID COPY (COPYUID, flags kept) and MOVE/UID MOVE (messages leave the source); TRYCREATE")
    func copyAndMove() async throws {
        let server = try await LoftProcess.runningIMAP(messages: 4)
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        m = connect("ssl", int(sys.argv[1])); login(m)
        out["select"] = call(m, "select", "INBOX")
        m.store("1", "+FLAGS", r"(\Flagged $Forwarded)")
        out["copy"] = call(m, "copy", "1:2", "Archive")
        out["uid_copy"] = call(m, "uid", "COPY", "3", "Trash")
        out["copy_missing"] = call(m, "copy", "1", "Nope")
        out["move"] = call(m, "xatom", "MOVE", "1 Junk")
        out["uid_move"] = call(m, "uid", "MOVE", "4", "Junk")
        out["inbox_uids"] = call(m, "uid", "SEARCH", "ALL")
        out["status_archive"] = call(m, "status", "Archive", "(MESSAGES)")
        out["status_trash"] = call(m, "status", "Trash", "(MESSAGES)")
        out["status_inbox"] = call(m, "status", "INBOX", "(MESSAGES)")
        out["select_archive"] = call(m, "select", "Archive")
        out["archive"] = call(m, "fetch", "1:*", "(BODY.PEEK[])")
        out["archive_flags"] = call(m, "fetch", "1:*", "(FLAGS)")
        out["select_junk"] = call(m, "select", "Junk")
        out["junk"] = call(m, "fetch", "1:*", "(BODY.PEEK[])")
        out["junk_flags"] = call(m, "fetch", "1:*", "(FLAGS)")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        let validity = try #require(r["select"]?.code("UIDVALIDITY"))
        let copy = try #require(r["copy"])
        let archiveValidity = try #require(r["select_archive"]?.code("UIDVALIDITY"))
        let junkValidity = try #require(r["select_junk"]?.code("UIDVALIDITY"))
        // RFC 4315 §3: COPYUID <destination UIDVALIDITY> <source UIDs> <destination UIDs>.
        #expect(copy.ok && Self.copyUID(copy).map { $0 == (archiveValidity, [1, 2], [1, 2]) } == true, "\(copy)")
        let uidCopy = try #require(r["uid_copy"])
        #expect(uidCopy.ok && Self.copyUID(uidCopy)?.1 == [3] && Self.copyUID(uidCopy)?.2 == [1], "\(uidCopy)")
        #expect(r["copy_missing"]?.tagged.contains(" NO [TRYCREATE]") == true, "\(String(describing: r["copy_missing"]))")
        // RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGE.
        let move = try #require(r["move"])
        #expect(move.ok, "\(move)")
        #expect(move.untagged.contains { $0.hasPrefix("* OK [COPYUID \(junkValidity) 1 1]") }, "\(move)")
        #expect(move.untagged.contains("* 1 EXPUNGE"), "\(move)")
        let uidMove = try #require(r["uid_move"])
        #expect(uidMove.untagged.contains("* 3 EXPUNGE"), "UID 4 is message 3 after the first MOVE: \(uidMove)")
        #expect(uidMove.untagged.contains { $0.hasPrefix("* OK [COPYUID \(junkValidity) 4 2]") }, "\(uidMove)")
        #expect(validity != "")
        #expect(Self.searched(try #require(r["inbox_uids"])) == [2, 3])
        #expect(Self.statusItems(try #require(r["status_archive"]))["MESSAGES"] == 2)
        #expect(Self.statusItems(try #require(r["status_trash"]))["MESSAGES"] == 1)
        #expect(Self.statusItems(try #require(r["status_inbox"]))["MESSAGES"] == 2)
        let archive = try #require(r["archive"])
        #expect(archive.data.filter { $0.hasPrefix("From: ") } == [1, 2].map { String(decoding: Self.simple($0), as: UTF8.self) })
        let archiveFlags = Self.flagsBySequence(try #require(r["archive_flags"]))
        #expect(archiveFlags[1]?.isSuperset(of: ["\\flagged", "$forwarded"]) == true, "COPY keeps flags and keywords: \(archiveFlags)")
        let junk = try #require(r["junk"])
        #expect(junk.data.filter { $0.hasPrefix("From: ") } == [1, 4].map { String(decoding: Self.simple($0), as: UTF8.self) })
        let junkFlags = Self.flagsBySequence(try #require(r["junk_flags"]))
        #expect(junkFlags[1]?.isSuperset(of: ["\\flagged", "$forwarded"]) == true, "MOVE keeps flags and keywords: \(junkFlags)")
        #expect(server.aliceMessageFiles().count == 2)
    }

    @Test("IDLE over TLS: + idling, then DONE ends it with OK", arguments: ["starttls", "ssl"])
    func idle(mode: String) async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        r = Raw(int(sys.argv[1]), sys.argv[2])
        r.login()
        r.cmd("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        first = r.line()
        r.send("DONE\r\n")
        out["idle"] = raw([first] + r.until("i"))
        out["noop"] = raw(r.cmd("n", "NOOP"))
        r.close()
        done()
        """#, ["\(Self.port(server, mode))", mode])
        let idle = try #require(r["idle"])
        #expect(idle.lines.first?.hasPrefix("+ ") == true, "\(idle)")
        #expect(idle.typ == "OK", "\(idle)")
        #expect(r["noop"]?.typ == "OK")
    }
}
