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
        ("", "Empty command"),
        ("FOO", "Unknown command"),
        ("RETR", "RETR needs a message number"),
        ("RETR 0", "RETR needs a message number"),
        ("RETR -1", "RETR needs a message number"),
        ("RETR x", "RETR needs a message number"),
        ("RETR 1 2", "RETR needs a message number"),
        ("LIST 1234567890", "LIST needs a message number"),
        ("STAT 1", "STAT takes no arguments"),
        ("USER", "USER needs exactly one argument: the user name"),
        ("USER a b", "USER needs exactly one argument: the user name"),
        ("PASS", "PASS needs the password"),
        ("TOP 1", "TOP needs a message number and a number of lines"),
        ("TOP 0 1", "TOP needs a message number and a number of lines"),
        ("AUTH A B C", "AUTH takes a mechanism and an optional initial response"),
        ("DELE  1", "DELE needs a message number"),
    ])
    func invalid(line: String, reply: String) throws {
        guard case .failure(let error) = parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(error.reply == reply)
    }
}
