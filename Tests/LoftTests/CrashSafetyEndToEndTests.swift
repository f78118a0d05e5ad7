import Foundation
import Testing

/// A `250` after DATA means the message is on disk: SIGKILL the server mid-stream and count.
@Suite(.serialized) struct CrashSafetyEndToEndTests {
    @Test("start-up removes what a crash left: queue/tmp files older than an hour (younger ones may be another instance's), Maildir tmp/ files older than 36 hours")
    func startupSweep() async throws {
        let server = try SubmissionEndToEndTests.server()
        defer { server.cleanUpNow() }
        try server.deliverToAlice(Array("Subject: kept\r\n\r\nhi\r\n".utf8))
        let queueTmp = server.directory.path + "/data/queue/tmp"
        try FileManager.default.createDirectory(atPath: queueTmp, withIntermediateDirectories: true)
        let old = Date(timeIntervalSinceNow: -37 * 3600)
        let files = [(queueTmp + "/orphan", Date(timeIntervalSinceNow: -2 * 3600)), (queueTmp + "/in-flight", Date()),
                     (server.aliceMaildir + "/tmp/old", old), (server.aliceMaildir + "/tmp/young", Date())]
        for (path, date) in files {
            try Data("partial".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
        }
        try await server.start(expectedListeners: 3)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: queueTmp)) == ["in-flight"])
        #expect((try? FileManager.default.contentsOfDirectory(atPath: server.aliceMaildir + "/tmp")) == ["young"])
        #expect(server.aliceMessageFiles().count == 1)
        #expect(server.log.contains("removed=1"), "\(server.log)")
    }

    @Test("after SIGKILL mid-stream, every message that got 250 is in the Maildir exactly once, none partial")
    func killDuringSubmissions() async throws {
        let server = try SubmissionEndToEndTests.server()
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 3)
        let accepted = server.directory.appendingPathComponent("accepted")
        try Data().write(to: accepted)

        // Two clients submit numbered messages and print each number once its 250 arrived.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "-c", SubmissionEndToEndTests.prelude + """
        import threading
        out = open(sys.argv[2], "a", buffering=1)
        lock = threading.Lock()
        errors = []
        def submit(worker):
            try:
                s = smtp("implicit", int(sys.argv[1]))
                s.login("alice", \(LoftProcess.password.debugDescription))
                for i in range(400):
                    token = "m%d-%d" % (worker, i)
                    body = ("Subject: %s\\r\\n\\r\\n" % token) + ("line of %s\\r\\n" % token) * 200 + ("END-%s\\r\\n" % token)
                    s.sendmail("alice@example.org", ["alice@example.org"], body.encode())
                    with lock:
                        out.write(token + "\\n")
            except (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                pass  # the server was killed under us: expected
            except Exception as e:
                with lock:
                    errors.append("worker %d: %r" % (worker, e))
        threads = [threading.Thread(target=submit, args=(w,)) for w in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        if errors:
            sys.stderr.write("\\n".join(errors) + "\\n")
            sys.exit(1)
        """, "\(server.port("implicit", protocol: "submission"))", accepted.path]
        client.standardOutput = FileHandle.nullDevice
        let clientErrors = server.directory.appendingPathComponent("client-errors")
        try Data().write(to: clientErrors)
        client.standardError = try FileHandle(forWritingTo: clientErrors)
        try client.run()
        defer { if client.isRunning { client.terminate() } }

        let deadline = ContinuousClock.now + .seconds(60)
        while (try String(contentsOf: accepted, encoding: .utf8)).split(separator: "\n").count < 30,
              ContinuousClock.now < deadline, client.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        server.signal(SIGKILL)
        while client.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        // Only the connection loss the SIGKILL causes may end a client; anything else is a failure.
        let clientErrorText = try String(contentsOf: clientErrors, encoding: .utf8)
        #expect(client.terminationStatus == 0, "\(clientErrorText)")
        await server.stop()

        let acceptedTokens = try String(contentsOf: accepted, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(acceptedTokens.count >= 30)
        try await server.start(expectedListeners: 3)  // starts cleanly on the same Maildir

        var seen: [String: Int] = [:]
        for file in server.aliceMessageFiles() {
            let text = try String(contentsOfFile: "\(server.aliceMaildir)/\(file)", encoding: .utf8)
            let token = try #require(text.firstMatch(of: /Subject: (m\d+-\d+)/)?.1).description
            #expect(text.hasSuffix("END-\(token)\r\n"), "partial message visible: \(file)")
            seen[token, default: 0] += 1
        }
        for token in acceptedTokens {
            #expect(seen[token] == 1, "\(token) got 250 but is stored \(seen[token] ?? 0) times")
        }
        #expect(seen.values.allSatisfy { $0 == 1 })
    }
}
