import NIOCore
import SMTP
import Testing

/// Found with the `smtp-command` fuzz target's invariant (Fuzz/Crashes/smtp-command/): verbs
/// were matched after `String.uppercased()`, which maps dotless "ı" to "I" and long "ſ" to "S",
/// so "maıl FROM:<…>" was taken as MAIL. Verbs are ASCII (RFC 5321 §2.4).
@Suite struct SMTPVerbCaseTests {
    @Test("non-ASCII look-alike verbs are unknown commands",
          arguments: ["ma\u{131}l FROM:<a@example.org>", "\u{17F}tarttls", "qu\u{131}t"])
    func lookAlikes(line: String) {
        #expect(throws: SMTPParseError(500, "5.5.1 Unknown command")) { try SMTPParser.parseCommand(ByteBuffer(string: line)) }
    }

    @Test func asciiVerbsAreStillCaseInsensitive() throws {
        #expect(try SMTPParser.parseCommand(ByteBuffer(string: "qUiT")) == .quit)
    }
}
