import NIOCore
import POP3
import Testing

@Suite struct POP3ParserTests {
    private func parse(_ line: String) -> Result<POP3Command, POP3ParseError> {
        Result { () throws(POP3ParseError) in try POP3Parser.parseCommand(ByteBuffer(string: line)) }
    }

    @Test("valid commands", arguments: [
        ("CAPA", POP3Command.capa), ("capa", .capa), ("StLs", .stls),
        ("USER alice", .user("alice")), ("PASS secret with spaces", .pass("secret with spaces")),
        ("AUTH", .auth(mechanism: nil, initialResponse: nil)),
        ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH PLAIN AGFsaWNlAHB3", .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHB3")),
        ("STAT", .stat), ("LIST", .list(nil)), ("LIST 3", .list(3)), ("RETR 1", .retr(1)),
        ("TOP 2 0", .top(2, lines: 0)), ("UIDL", .uidl(nil)), ("UIDL 7", .uidl(7)),
        ("DELE 4", .dele(4)), ("RSET", .rset), ("NOOP", .noop), ("QUIT", .quit),
    ])
    func valid(line: String, command: POP3Command) {
        #expect(parse(line) == .success(command))
    }

    @Test("invalid lines get a reason", arguments: [
        "", "FOO", "RETR", "RETR 0", "RETR -1", "RETR x", "RETR 1 2", "LIST 1234567890", "STAT 1",
        "USER", "USER a b", "PASS", "TOP 1", "TOP 0 1", "AUTH A B C", "DELE  1",
    ])
    func invalid(line: String) throws {
        guard case .failure(let error) = parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(!error.reply.isEmpty)
    }
}
