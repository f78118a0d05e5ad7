import Foundation
import Testing

/// `user = "nobody"` with `data_dir` as a new admin leaves it: Loft lays it out for nobody before dropping
/// privileges, and refuses to start (before binding anything) when nobody could not write part of it.
/// Only meaningful when the tests run as root (as CI does).
@Suite(.serialized) struct DataDirectoryEndToEndTests {
    /// A server whose config says `user = "nobody"`, with the test directory open to nobody.
    static func server() throws -> LoftProcess {
        let server = try SubmissionEndToEndTests.server()
        let config = try String(contentsOfFile: server.configPath, encoding: .utf8)
        try Data(("user = \"nobody\"\n" + config).utf8).write(to: URL(fileURLWithPath: server.configPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: server.directory.path)
        return server
    }

    static func owner(_ path: String) -> (uid: uid_t, mode: mode_t)? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return (status.st_uid, status.st_mode & 0o7777)
    }

    @Test("a fresh data_dir with user = \"nobody\": STARTTLS submission gets 250 and POP3 RETR returns the message",
          .enabled(if: geteuid() == 0))
    func freshDataDirectory() async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        let data = "\(server.directory.path)/data"
        #expect(!FileManager.default.fileExists(atPath: data))
        try await server.start(expectedListeners: 3)

        let result = try await SubmissionEndToEndTests.python("""
        s = smtp("starttls", int(sys.argv[1]))
        s.login("alice", \(LoftProcess.password.debugDescription))
        s.mail("alice@example.org")
        s.rcpt("alice@example.org")
        code, text = s.data(sys.stdin.buffer.read())
        s.quit()
        p = connect("ssl", int(sys.argv[2]))
        login(p)
        body = b"\\r\\n".join(p.retr(1)[1]).decode()
        p.quit()
        print(json.dumps({"code": code, "body": body}))
        """, ["\(server.port("starttls", protocol: "submission"))", "\(server.port("implicit"))"],
        input: Data(SubmissionEndToEndTests.message.utf8))
        #expect(result.status == 0, "\(result.errors)\n\(server.log)")
        struct Outcome: Decodable { var code: Int; var body: String }
        let outcome = try JSONDecoder().decode(Outcome.self, from: result.stdout)
        #expect(outcome.code == 250, "\(server.log)")
        #expect(outcome.body.contains("Subject: hello"))

        let nobody = getpwnam("nobody")!.pointee.pw_uid
        for path in [data, "\(data)/mail", "\(data)/queue", "\(data)/queue/tmp", "\(data)/queue/messages",
                     "\(data)/queue/envelopes", server.aliceMaildir] {
            let found = Self.owner(path)
            #expect(found?.uid == nobody && found?.mode == 0o700, "\(path): \(String(describing: found))")
        }
    }

    enum Broken: String, CaseIterable, CustomTestStringConvertible {
        /// alice's Maildir was made by an earlier run as root: everything under data/ is root's, mode 0700.
        case earlierRootRun
        /// Only the Maildir itself is root's; the directories above it are nobody's.
        case rootMaildir
        /// The directory that holds data_dir cannot be entered by nobody.
        case unreachable
        var testDescription: String { rawValue }
    }

    @Test("a data_dir nobody cannot write: loft serve exits non-zero before listening, naming path, owner, mode and user",
          .enabled(if: geteuid() == 0), arguments: Broken.allCases)
    func refusesUnwritable(_ broken: Broken) async throws {
        let server = try Self.server()
        defer { server.cleanUpNow() }
        let data = "\(server.directory.path)/data"
        let nobody = getpwnam("nobody")!.pointee
        let expectedPath: String
        switch broken {
        case .earlierRootRun:
            try server.deliverToAlice(Array("Subject: old\r\n\r\nold\r\n".utf8))
            expectedPath = "\(data)/mail/example.org is owned by root:root (mode 0700)"
        case .rootMaildir:
            try server.deliverToAlice(Array("Subject: old\r\n\r\nold\r\n".utf8))
            for path in [data, "\(data)/mail", "\(data)/mail/example.org", "\(data)/mail/example.org/alice"] {
                #expect(chown(path, nobody.pw_uid, nobody.pw_gid) == 0)
            }
            expectedPath = "\(server.aliceMaildir) is owned by root:root (mode 0700)"
        case .unreachable:
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: server.directory.path)
            expectedPath = "\(server.directory.path) is owned by root:root (mode 0700)"
        }

        if (try? await server.start(expectedListeners: 3)) != nil {
            await server.stop()
            Issue.record("loft started: \(server.log)")
            return
        }
        let process = try #require(server.process)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus != 0)
        let log = server.log
        let line = try #require(log.split(separator: "\n").first { $0.contains("data_dir: ") }, "\(log)")
        #expect(line.contains(expectedPath), "\(line)")
        #expect(line.contains("user \"nobody\""), "\(line)")
        #expect(line.contains("Fix: "), "\(line)")
        #expect(!log.contains("listening"), "refused before binding: \(log)")
    }
}
