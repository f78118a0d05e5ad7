import Auth
import Foundation
import Testing

private func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
private func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

@Suite struct SASLExchangeTests {
    @Test func mechanismNamesAreCaseInsensitive() {
        #expect(SASLExchange(mechanism: "plain")?.mechanism == .plain)
        #expect(SASLExchange(mechanism: "Login")?.mechanism == .login)
        #expect(SASLExchange(mechanism: "CRAM-MD5") == nil)
        #expect(SASLExchange(mechanism: "") == nil)
        #expect(SASLMechanism.allCases.map(\.rawValue) == ["PLAIN", "LOGIN"])
    }

    // MARK: PLAIN (RFC 4616)

    static let plainTable: [(String, SASLStep)] = [
        (b64("\0alice\0s3cret"), .done(SASLCredentials(username: "alice", password: "s3cret"))),
        (b64("alice\0alice\0s3cret"), .done(SASLCredentials(authorizationID: "alice", username: "alice", password: "s3cret"))),
        (b64("\0jörg@example.org\0pässwörd✓"), .done(SASLCredentials(username: "jörg@example.org", password: "pässwörd✓"))),
        (b64("admin\0alice\0s3cret"), .rejected("authorization identity differs from the authentication identity; acting as another user is not supported")),
        (b64("alice\0s3cret"), .malformed("PLAIN response must have three NUL-separated fields, found 2")),
        (b64("\0alice\0s3cret\0extra"), .malformed("PLAIN response must have three NUL-separated fields, found 4")),
        (b64("\0\0s3cret"), .malformed("PLAIN authentication identity is empty")),
        (b64("\0alice\0"), .malformed("PLAIN password is empty")),
        (b64([0, 0x61, 0, 0xFF, 0xFE]), .malformed("PLAIN response is not valid UTF-8")),
        ("=", .malformed("PLAIN response must have three NUL-separated fields, found 1")),
        ("not base64!", .malformed("response is not valid base64")),
        ("AGFsaWNlAHMzY3JldA", .malformed("response is not valid base64")), // missing padding
        ("AGFs aWNl", .malformed("response is not valid base64")),
    ]

    @Test(arguments: plainTable)
    func plainWithInitialResponse(response: String, expected: SASLStep) throws {
        var exchange = try #require(SASLExchange(mechanism: "PLAIN"))
        #expect(exchange.start(initialResponse: response) == expected)
        #expect(exchange.receive(b64("\0alice\0s3cret")) == .malformed("exchange already finished"))
    }

    @Test(arguments: plainTable)
    func plainWithoutInitialResponse(response: String, expected: SASLStep) throws {
        var exchange = try #require(SASLExchange(mechanism: "PLAIN"))
        #expect(exchange.start(initialResponse: nil) == .challenge(""))
        #expect(exchange.receive(response) == expected)
    }

    @Test func plainCancel() {
        var exchange = SASLExchange(.plain)
        #expect(exchange.start(initialResponse: nil) == .challenge(""))
        #expect(exchange.receive("*") == .cancelled)
        #expect(exchange.receive(b64("\0alice\0s3cret")) == .malformed("exchange already finished"))
    }

    @Test func malformedTextsNeverContainThePayload() {
        let secret = "Sup3rSecret"
        for response in [b64("x\0y\0\(secret)\0z"), b64("admin\0alice\0\(secret)"), b64("\0\0\(secret)"), secret + "!"] {
            var exchange = SASLExchange(.plain)
            let step = exchange.start(initialResponse: response)
            switch step {
            case .malformed(let text), .rejected(let text):
                #expect(!text.contains(secret))
                #expect(!text.contains(response))
            default:
                Issue.record("expected a failure, got \(step)")
            }
        }
    }

    // MARK: LOGIN (draft-murchison-sasl-login)

    @Test func loginChallengesAreTheStandardPrompts() {
        var exchange = SASLExchange(.login)
        #expect(exchange.start(initialResponse: nil) == .challenge("VXNlcm5hbWU6"))
        #expect(exchange.receive(b64("alice")) == .challenge("UGFzc3dvcmQ6"))
        #expect(exchange.receive(b64("s3cret")) == .done(SASLCredentials(username: "alice", password: "s3cret")))
    }

    @Test func loginInitialResponseIsTheUsername() {
        var exchange = SASLExchange(.login)
        #expect(exchange.start(initialResponse: b64("alice@example.org")) == .challenge("UGFzc3dvcmQ6"))
        #expect(exchange.receive(b64("pässwörd✓")) == .done(SASLCredentials(username: "alice@example.org", password: "pässwörd✓")))
    }

    static let loginTable: [([String], SASLStep)] = [
        (["*"], .cancelled),
        ([b64("alice"), "*"], .cancelled),
        ([""], .malformed("username is empty")),
        (["="], .malformed("username is empty")),
        (["%%%%"], .malformed("response is not valid base64")),
        ([b64([0x61, 0, 0x62])], .malformed("username contains a NUL byte")),
        ([b64([0xC3, 0x28])], .malformed("username is not valid UTF-8")),
        ([b64("alice"), b64([0x70, 0, 0x77])], .malformed("password contains a NUL byte")),
        ([b64("alice"), b64([0xFF])], .malformed("password is not valid UTF-8")),
        ([b64("alice"), "bad base64"], .malformed("response is not valid base64")),
        ([b64("alice"), ""], .done(SASLCredentials(username: "alice", password: ""))),
    ]

    @Test(arguments: loginTable)
    func loginResponses(lines: [String], expected: SASLStep) {
        var exchange = SASLExchange(.login)
        #expect(exchange.start(initialResponse: nil) == .challenge("VXNlcm5hbWU6"))
        var last = SASLStep.cancelled
        for line in lines { last = exchange.receive(line) }
        #expect(last == expected)
        #expect(exchange.receive(b64("x")) == .malformed("exchange already finished"))
    }

    @Test func receiveBeforeStartIsMalformed() {
        var exchange = SASLExchange(.login)
        #expect(exchange.receive(b64("alice")) == .malformed("exchange not started"))
    }
}
