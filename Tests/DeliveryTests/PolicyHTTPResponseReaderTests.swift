@testable import Delivery
import Testing

@Suite("MTA-STS: reading the policy host's HTTP response")
struct PolicyHTTPResponseReaderTests {
    /// Feeds `response` whole, then one byte at a time; both must give the same result.
    static func read(_ response: String, closedCleanly: Bool? = nil, limit: Int = 64 * 1024)
        -> (whole: PolicyHTTPResponseReader.Progress, dripped: PolicyHTTPResponseReader.Progress) {
        func run(_ pieces: [[UInt8]]) -> PolicyHTTPResponseReader.Progress {
            var reader = PolicyHTTPResponseReader(maximumBodySize: limit)
            var progress = PolicyHTTPResponseReader.Progress.needMore
            for piece in pieces {
                progress = reader.append(piece)
                if progress != .needMore { return progress }
            }
            if let closedCleanly { progress = reader.connectionClosed(cleanly: closedCleanly) }
            return progress
        }
        let bytes = Array(response.utf8)
        return (run([bytes]), run(bytes.map { [$0] }))
    }

    static let policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example\r\nmax_age: 86400\r\n"

    static let complete: [(name: String, response: String, closed: Bool?)] = [
        ("Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(policy.utf8.count)\r\n\r\n\(policy)", nil),
        ("Content-Length, extra bytes after the body ignored", "HTTP/1.1 200 OK\r\nContent-Length: \(policy.utf8.count)\r\n\r\n\(policy)junk", nil),
        ("HTTP/1.0, bare LF line ends", "HTTP/1.0 200 OK\ncontent-length: \(policy.utf8.count)\n\n\(policy)", nil),
        ("chunked with an extension and trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10;ext=1\r\nversion: STSv1\r\n\r\n"
            + String(policy.utf8.count - 16, radix: 16) + "\r\n" + String(decoding: policy.utf8.dropFirst(16), as: UTF8.self) + "\r\n0\r\nX-Trailer: y\r\n\r\n", nil),
        ("chunked wins over Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(policy.utf8.count, radix: 16) + "\r\n\(policy)\r\n0\r\n\r\n", nil),
        ("until a clean close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n\(policy)", true),
    ]

    @Test("complete responses give the body", arguments: complete.indices)
    func completeResponses(_ index: Int) {
        let (name, response, closed) = Self.complete[index]
        let result = Self.read(response, closedCleanly: closed)
        #expect(result.whole == .complete(Array(Self.policy.utf8)), "\(name)")
        #expect(result.dripped == .complete(Array(Self.policy.utf8)), "\(name), one byte at a time")
    }

    static let failures: [(response: String, closed: Bool?, reason: String)] = [
        ("HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n", nil, "redirects are not followed"),
        ("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", nil, "HTTP status 302"),
        ("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", nil, "HTTP status 404, not 200"),
        ("HTTP/1.1 204 No Content\r\n\r\n", nil, "HTTP status 204"),
        ("SSH-2.0-OpenSSH_9.2\r\n\r\n", nil, "not an HTTP/1.x response"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n", nil, "larger than 64 KiB"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n", nil, "invalid Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", nil, "invalid Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nil, "unsupported Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", nil, "invalid chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", nil, "does not end with CRLF"),
        ("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", nil, "invalid header field"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true, "closed the connection before the end of the policy"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true, "closed the connection before the end of the policy"),
        ("HTTP/1.1 200 OK\r\nContent-Le", true, "before the end of the response header"),
        ("HTTP/1.0 200 OK\r\n\r\n\(policy)", false, "without TLS close_notify"),
    ]

    @Test("failures say why", arguments: failures.indices)
    func failingResponses(_ index: Int) {
        let (response, closed, reason) = Self.failures[index]
        for progress in [Self.read(response, closedCleanly: closed).whole, Self.read(response, closedCleanly: closed).dripped] {
            guard case .failed(let why) = progress else {
                Issue.record("\(response.debugDescription): \(progress)")
                continue
            }
            #expect(why.contains(reason), "\(why)")
        }
    }

    @Test("a body over the cap fails however it is framed, as soon as the cap is passed")
    func bodyCap() {
        let big = String(repeating: "x", count: 101)
        for response in [
            "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n\(big)",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n\(big.prefix(80))\r\n15\r\n\(big.prefix(21))\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\n\r\n\(big)",
        ] {
            var reader = PolicyHTTPResponseReader(maximumBodySize: 100)
            #expect(reader.append(Array(response.utf8)) == .failed("the policy is larger than 100 bytes"), "\(response.prefix(40))")
        }
        var exact = PolicyHTTPResponseReader(maximumBodySize: 100)
        #expect(exact.append(Array("HTTP/1.1 200 OK\r\n\r\n\(big.dropLast())".utf8)) == .needMore)
        #expect(exact.connectionClosed(cleanly: true) == .complete(Array(big.dropLast().utf8)))
    }

    @Test("a header that never ends is refused at its cap")
    func headerCap() {
        var reader = PolicyHTTPResponseReader(maximumBodySize: 1024, maximumHeadSize: 64)
        let progress = reader.append(Array(("HTTP/1.1 200 OK\r\nX-Filler: " + String(repeating: "a", count: 100)).utf8))
        #expect(progress == .failed("the response header is longer than 64 bytes"))
    }
}
