import Foundation
import Testing

/// Seeded random mixes of valid and broken IMAP commands (and literals) against the live server
/// over TLS, logged in as alice: every command gets `tag OK|NO|BAD`, the connection only ends
/// after a BYE, and none of it changes the mailbox.
@Suite(.serialized) struct IMAPEndToEndRandomInputTests {
    static let script = #"""
    port, seeds, count = int(sys.argv[1]), [int(s) for s in sys.argv[2].split(",")], int(sys.argv[3])
    # Commands that change nothing on disk, and that no single mutation turns into one that does (the mailbox was selected once before, so SELECT moves
    # no file from new/ to cur/; no message is \Deleted, so CLOSE expunges nothing).
    VALID = [
        "NOOP", "CAPABILITY", "CHECK", "SELECT INBOX", "EXAMINE INBOX", "EXAMINE Archive", "NAMESPACE", "ID NIL",
        'ID ("name" "fuzz")', "ENABLE CONDSTORE", "UNSELECT", "CLOSE", "FETCH 1:* (FLAGS)", "FETCH 1:* FAST", "FETCH 2 ALL",
        "FETCH 1 (BODY.PEEK[HEADER] RFC822.SIZE ENVELOPE BODYSTRUCTURE)", "FETCH 1:2 (BODY.PEEK[1]<0.5> BODY.PEEK[TEXT])",
        "UID FETCH 1:* (UID FLAGS INTERNALDATE)", "SEARCH ALL", "SEARCH OR FROM a SUBJECT b", "SEARCH NOT SEEN LARGER 10",
        "UID SEARCH UID 1:*", "SEARCH CHARSET UTF-8 BODY hello", 'LIST "" *', 'LIST "" %', 'LSUB "" *',
        'LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE CHILDREN)', "STATUS INBOX (MESSAGES UIDNEXT UNSEEN SIZE)",
        "STATUS Sent (MESSAGES)", "SELECT Nope", "COPY 1 Nope", "UID COPY 99 Archive",
    ]
    BROKEN = [
        "", "FETCH", "FETCH 1:* (FLAGS", "FETCH 0 FLAGS", "FETCH 1 BODY[", "FETCH 4294967296 FLAGS", "FETCH * BODY.PEEK[]<10.0>",
        "FETCH 1 (BODY.PEEK[HEADER.FIELDS ()])", "FETCH 1 BODY.PEEK[1.2.3.4.5.6.7.8.9.10.11.12]", "SEARCH FROM", "SEARCH (((",
        "SEARCH LARGER -1", "SEARCH SINCE 32-Foo-2024", "SEARCH CHARSET KOI9 ALL", "STORE 1 +FLAGS", "STORE 1 +FLAGZ (\\Seen",
        "STORE x FLAGZ ()", "STORE 1 FROB (\\Seen)", "COPY 1", "MOVE", "UID MOVE", "APPEND", "APPEND INBOX (\\Seen", "CREATE", "DELETE",
        'DELETE ""', "RENAME INBOX", "SELECT", "UID", "UID FOO 1", "LOGIN alice", "LOGIN alice wrong", "AUTHENTICATE", "AUTHENTICATE FOO",
        "STARTTLS", "STATUS INBOX", "STATUS INBOX (FOO)", "LIST", 'LIST "" "unterminated', "SUBSCRIBE", "UNSUBSCRIBE",
        "ENABLE", "IDLE NOW", "X" * 5000, "FETCH 1 " + "(" * 200, "SEARCH " + "NOT " * 500 + "ALL", "\x00\x01\x02",
        "SELECT \xff\xfe", "FETCH 1 (FLAGS)) extra", "NOOP extra", "EXPUNGE 1", "CLOSE now",
    ]
    LITERALS = [
        ("SEARCH SUBJECT {5+}", "hello", ""), ("SELECT {5}", "INBOX", ""), ("FETCH 1 {3+}", "abc", " FLAGS"),
        ("APPEND Nope {5+}", "hello", ""), ("APPEND Nope (\\Seen) {5}", "hello", ""), ("STATUS {5}", "INBOX", " (MESSAGES)"),
        ("LOGIN {5+}", "alice", " {4+}\r\nnope"), ("SEARCH HEADER {7+}", "Subject", " {0+}\r\n"),
    ]
    HUGE = ["APPEND INBOX {99999999999}", "SEARCH SUBJECT {4294967296}", "APPEND INBOX (\\Seen) {99999999999+}"]
    ALPHABET = "()[]{}<>\"\\*%: .0123456789abcXYZ\x00\x7f\xc3\xff\t"

    def mutate(rng, command):
        if not command:
            return rng.choice(ALPHABET)
        i = rng.randrange(len(command) + 1)
        kind = rng.randrange(3)
        c = rng.choice(ALPHABET.replace("{", ""))
        if kind == 0:
            return command[:i] + c + command[i:]
        if kind == 1 and i < len(command):
            return command[:i] + command[i + 1:]
        return command[:i] + c + command[i + 1:]

    notes, previous = [], [""]
    violations, counts = [], {"OK": 0, "NO": 0, "BAD": 0, "BYE": 0, "commands": 0}

    class Session:
        def __init__(self):
            self.r = Raw(port, "ssl")
            self.r.sock.settimeout(10)
            self.r.login("L0")
            self.r.cmd("S0", "SELECT INBOX")

    def run(session, tag, head, literal=None, tail="", huge=False):
        """Sends one command; returns the session to go on with (a new one after a BYE)."""
        r = session.r
        counts["commands"] += 1
        line = tag + " " + head
        before = previous[0]
        shown = line if literal is None else line + "\\r\\n" + literal + tail.replace("\r\n", "\\r\\n")
        sync = literal is not None and not head.endswith("+}")
        try:
            if literal is not None and not sync:
                r.send(line + "\r\n" + literal + tail + "\r\n")
            else:
                r.send(line + "\r\n")
            before, previous[0] = previous[0], shown
            while True:
                response = r.line()
                if response.startswith("+"):
                    if literal is None and re.search(r"\{\d+\}$", head):
                        # The client cannot send gigabytes: not a protocol error, but worth a note.
                        notes.append("%r → %r" % (shown[:80], response[:120]))
                        break
                    if sync:
                        sync = False
                        r.send(literal + tail + "\r\n")
                    elif head.startswith("IDLE"):
                        r.send("DONE\r\n")
                    else:
                        r.send("*\r\n")
                    continue
                if response.startswith("* BYE"):
                    counts["BYE"] += 1
                    try:
                        while r.line():
                            pass
                    except Exception:
                        pass
                    r.close()
                    return Session()
                if response.startswith(tag + " "):
                    status = response.split(" ")[1] if " " in response else ""
                    if status in ("OK", "NO", "BAD"):
                        counts[status] += 1
                    else:
                        violations.append("%r → %r" % (shown[:80], response[:120]))
                    if not (huge and head.endswith("+}")):
                        return session
                    # The announced octets never come: the server reads the next commands as
                    # literal data, so this connection is done.
                    notes.append("%r → %r" % (shown[:80], response[:120]))
                    break
                if not response.startswith("* "):
                    violations.append("%r → unexpected line %r (the command before: %r)" % (shown[:80], response[:120], before[:80]))
        except EOFError:
            violations.append("%r → connection closed without BYE" % shown[:80])
        except (socket.timeout, TimeoutError):
            # A server may wait for the gigabytes a non-synchronizing literal announced.
            (notes if huge else violations).append("%r → no tagged response within 10 s" % shown[:80])
        except (ssl.SSLError, OSError) as e:
            violations.append("%r → %r" % (shown[:80], e))
        try:
            r.close()
        except Exception:
            pass
        return Session()

    for seed in seeds:
        rng = random.Random(seed)
        session = Session()
        for n in range(count):
            tag = "t%d.%d" % (seed, n)
            pick = rng.random()
            if pick < 0.35:
                session = run(session, tag, rng.choice(VALID))
            elif pick < 0.6:
                session = run(session, tag, rng.choice(BROKEN))
            elif pick < 0.85:
                session = run(session, tag, mutate(rng, rng.choice(VALID + BROKEN)))
            elif pick < 0.97:
                head, literal, tail = rng.choice(LITERALS)
                session = run(session, tag, head, literal, tail)
            elif pick < 0.99:
                session = run(session, tag, rng.choice(HUGE), huge=True)
            else:
                session = run(session, tag, "LOGOUT")
        session.r.cmd("Z", "LOGOUT")
    out["violations"] = {"typ": "", "lines": violations, "data": []}
    out["counts"] = value(json.dumps(counts))
    out["notes"] = {"typ": "", "lines": notes, "data": []}
    done()
    """#

    @Test("random valid and broken commands over TLS: always tag OK/NO/BAD, BYE before any close, mailbox untouched")
    func randomInput() async throws {
        let server = try LoftProcess.imap()
        defer { server.cleanUpNow() }
        for n in 1...3 { try server.deliverToAlice(IMAPEndToEndTests.simple(n)) }
        try server.deliverToAlice(IMAPEndToEndTests.multipart)
        try await server.startIMAP()
        // One SELECT first: it moves new messages to cur/, which is not what this test watches.
        let selected = try await PythonIMAP.replies(#"""
        m = connect("ssl", int(sys.argv[1])); login(m)
        out["select"] = call(m, "select", "INBOX")
        m.logout()
        done()
        """#, ["\(server.imapImplicitPort)"])
        #expect(selected["select"]?.ok == true)
        let before = server.aliceMailboxContents()
        let folders = try FileManager.default.contentsOfDirectory(atPath: server.aliceMaildir).sorted()

        let r = try await PythonIMAP.replies(Self.script, ["\(server.imapImplicitPort)", "1,2,3", "200"], timeout: .seconds(300))
        let violations = try #require(r["violations"]).lines
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
        let counts = try JSONDecoder().decode([String: Int].self, from: Data((r["counts"]?.typ ?? "{}").utf8))
        #expect(counts["commands"] == 600, "\(counts)")
        #expect((counts["OK"] ?? 0) > 50 && (counts["BAD"] ?? 0) > 50, "both kinds were sent: \(counts)")

        #expect(server.aliceMailboxContents() == before, "no message file changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.aliceMaildir).sorted().filter { $0.hasPrefix(".") } == folders.filter { $0.hasPrefix(".") }, "no folder appeared or went")
    }
}
