import NIOCore
@testable import POP3
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
        ("STAT", .stat), ("LIST", .list(nil)), ("LIST 3", .list(3)), ("RETR 1", .retr(1)), ("retr 42", .retr(42)), ("ReTr 000000007", .retr(7)),
        ("RETR 999999999", .retr(999_999_999)),
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
        ("RETR 1 ", "RETR needs a message number"),
        ("RETR  1", "RETR needs a message number"),
        ("RETR +1", "RETR needs a message number"),
        ("RETR 000000000", "RETR needs a message number"),
        ("RETR 1234567890", "RETR needs a message number"),
        ("RETR\t1", "Unknown command"),
        ("RETRX1", "Unknown command"),
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

    @Test("the RETR lines pipelined at the start of the input, up to the first other line or an incomplete one")
    func pipelinedRetrievals() {
        let input = ByteBuffer(string: "RETR 2\r\nretr 3\nRETR 2\r\nDELE 4\r\nRETR 5\r\n")
        #expect(PipelinedRetrievals.numbers(in: input.readableBytesView, limit: 32) == [2, 3, 2])
        #expect(PipelinedRetrievals.numbers(in: input.readableBytesView, limit: 2) == [2, 3])
        let cut = ByteBuffer(string: "RETR 7\r\nRETR 8")
        #expect(PipelinedRetrievals.numbers(in: cut.readableBytesView, limit: 32) == [7])
        var sliced = ByteBuffer(string: "USER x\r\nRETR 9\r\n")
        sliced.moveReaderIndex(forwardBy: 8)
        #expect(PipelinedRetrievals.numbers(in: sliced.readableBytesView, limit: 32) == [9], "a view that starts mid-buffer")
        #expect(PipelinedRetrievals.numbers(in: ByteBuffer(string: "\r\nRETR 1\r\n").readableBytesView, limit: 32).isEmpty)
    }
}
