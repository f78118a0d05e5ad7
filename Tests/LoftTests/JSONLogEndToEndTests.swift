import Foundation
import Testing

/// `loft serve --log-format json`: every line of the log is one JSON object a log shipper can read.
@Suite struct JSONLogEndToEndTests {
    @Test("each log line is a JSON object with time, level, label and message, and the event's fields")
    func jsonLines() async throws {
        let server = try LoftProcess(listeners: [("pop3", "implicit")], failureDelay: "0s")
        defer { server.cleanUpNow() }
        try await server.start(expectedListeners: 1, arguments: ["--log-format", "json"])
        // A failed login: its event carries the user and the client address as fields.
        let login = try await PythonPOP3.run(#"""
        p = connect("ssl", int(sys.argv[1]))
        p.user("alice")
        try:
            p.pass_("wrong password")
            print("accepted")
        except poplib.error_proto as e:
            print(e)
        p.quit()
        """#, ["\(server.port("implicit"))"])
        #expect(login.output.contains("-ERR"), "\(login.output) \(login.errors)")
        await server.stop()
        let lines = server.log.split(separator: "\n")
        #expect(lines.count >= 3, "\(server.log)")
        var messages: [String] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object != nil, "not a JSON object of strings: \(line)")
            guard let object else { continue }
            #expect(object["time"]?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(line)")
            #expect(["info", "notice", "warning", "error"].contains(object["level"] ?? ""), "\(line)")
            #expect(object["label"] != nil && object["message"] != nil, "\(line)")
            messages.append(object["message"] ?? "")
        }
        let listening = lines.first { $0.contains(#""message":"listening""#) } ?? ""
        #expect(listening.contains(#""listener":"pop3 127.0.0.1:"#), "\(listening)")
        #expect(messages.contains("received signal, stopping"), "\(messages)")
        #expect(lines.contains { $0.contains(#""peer":"127.0.0.1:"#) && $0.contains(#""user":"alice""#) },
                "a session event names its client and user as fields: \(server.log)")
    }
}
