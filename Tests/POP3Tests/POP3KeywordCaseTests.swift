import NIOCore
import POP3
import Testing

/// Found with the `pop3-command` fuzz target's invariant (Fuzz/Crashes/pop3-command/): keywords
/// were matched after `String.uppercased()`, which maps some non-ASCII letters to ASCII ones
/// (dotless "ı" to "I", long "ſ" to "S"), so "lıst" was taken as LIST. Keywords are ASCII
/// (RFC 1939 §3); only ASCII letters are case-folded.
@Suite struct POP3KeywordCaseTests {
    @Test("non-ASCII look-alike keywords are unknown commands", arguments: ["l\u{131}st", "u\u{17F}er alice", "QU\u{131}T", "\u{17F}tat"])
    func lookAlikes(line: String) {
        #expect(throws: POP3ParseError.self) { try POP3Parser.parseCommand(ByteBuffer(string: line)) }
        do {
            _ = try POP3Parser.parseCommand(ByteBuffer(string: line))
        } catch {
            #expect(error.reply == "Unknown command")
        }
    }

    @Test func asciiKeywordsAreStillCaseInsensitive() throws {
        #expect(try POP3Parser.parseCommand(ByteBuffer(string: "lIsT 2")) == .list(2))
    }
}
