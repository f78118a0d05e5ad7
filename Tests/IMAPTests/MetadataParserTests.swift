import IMAP
import Testing

@Suite("METADATA command grammar (RFC 5464 §5)")
struct MetadataParserTests {
    static func entry(_ name: String) -> IMAPMetadataEntryName { IMAPMetadataEntryName(Array(name.utf8))! }

    static let cases: [ParseCase] = [
        ParseCase("a GETMETADATA \"\" /shared/comment\r\n",
                  command("a", .metadata(.get("", entries: [entry("/shared/comment")], options: IMAPMetadataOptions())))),
        ParseCase("a getmetadata INBOX (/Private/Comment \"/shared/vendor/x\")\r\n",
                  command("a", .metadata(.get("INBOX", entries: [entry("/private/comment"), entry("/shared/vendor/x")],
                                              options: IMAPMetadataOptions())))),
        ParseCase("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) Sent /private\r\n",
                  command("a", .metadata(.get("Sent", entries: [entry("/private")],
                                              options: IMAPMetadataOptions(maxSize: 1024, depth: .infinity))))),
        ParseCase("a SETMETADATA Sent (/Shared \"x\")\r\n",
                  .error(tag: "a", IMAPParseError(.syntax, "/shared is a namespace, not an entry that can hold a value"))),
        ParseCase("a GETMETADATA Sent /privatex\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/privatex")))),
        ParseCase("a GETMETADATA (MAXSIZE 1024 DEPTH INFINITY) Sent /private/a\r\n",
                  command("a", .metadata(.get("Sent", entries: [entry("/private/a")],
                                              options: IMAPMetadataOptions(maxSize: 1024, depth: .infinity))))),
        ParseCase("a GETMETADATA (depth 1) {5+}\r\nINBOX {10+}\r\n/shared/ab\r\n",
                  command("a", .metadata(.get("INBOX", entries: [entry("/shared/ab")], options: IMAPMetadataOptions(depth: .one))))),
        ParseCase("a SETMETADATA INBOX (/private/comment \"My comment\" /shared/x NIL)\r\n",
                  command("a", .metadata(.set("INBOX", values: [
                      IMAPMetadataValue(entry: entry("/private/comment"), value: Array("My comment".utf8)),
                      IMAPMetadataValue(entry: entry("/shared/x"), value: nil),
                  ])))),
        ParseCase("a SETMETADATA \"\" (/shared/comment {7+}\r\nline\r\n2)\r\n",
                  command("a", .metadata(.set("", values: [
                      IMAPMetadataValue(entry: entry("/shared/comment"), value: Array("line\r\n2".utf8)),
                  ])))),
        ParseCase("a GETMETADATA (DEPTH 2) INBOX /shared/a\r\n", .error(tag: "a", IMAPParseError(.syntax, "DEPTH is 0, 1 or infinity"))),
        ParseCase("a GETMETADATA (COLOUR 2) INBOX /shared/a\r\n",
                  .error(tag: "a", IMAPParseError(.syntax, "Unknown GETMETADATA option COLOUR"))),
        ParseCase("a SETMETADATA INBOX ()\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected an atom or a string"))),
        ParseCase("a SETMETADATA INBOX (/shared/a)\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
        ParseCase("a SETMETADATA INBOX /shared/a \"x\"\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected \"(\" before the entry values"))),
        ParseCase("a SETMETADATA INBOX (/comment \"x\")\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/comment")))),
        ParseCase("a SETMETADATA INBOX (\"/shared/a*\" \"x\")\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/shared/a*")))),
        ParseCase("a GETMETADATA INBOX \"/shared/%\"\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/shared/%")))),
        ParseCase("a GETMETADATA INBOX /shared//a\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/shared//a")))),
        ParseCase("a GETMETADATA INBOX /shared/a/\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/shared/a/")))),
        ParseCase("a GETMETADATA INBOX {11+}\r\n/shared/a\tb\r\n", .error(tag: "a", IMAPParseError(.syntax, invalidEntry("/shared/a\tb")))),
    ]

    static func invalidEntry(_ name: String) -> String {
        "Invalid entry name \(name): it must start with /private/ or /shared/, without *, %, // or a trailing /"
    }

    @Test(arguments: cases)
    func parses(_ testCase: ParseCase) {
        checkAllSplits(testCase)
    }

    @Test("entry names are case-insensitive; DEPTH 1 covers children, infinity every descendant")
    func entryNames() {
        let entry = Self.entry("/Shared/Vendor")
        #expect(entry.name == "/shared/vendor" && !entry.isPrivate && Self.entry("/PRIVATE/x").isPrivate)
        #expect(entry.covers("/shared/vendor", depth: .zero) && !entry.covers("/shared/vendor/a", depth: .zero))
        #expect(entry.covers("/shared/vendor/a", depth: .one) && !entry.covers("/shared/vendor/a/b", depth: .one))
        #expect(entry.covers("/shared/vendor/a/b", depth: .infinity) && !entry.covers("/shared/vendorx", depth: .infinity))
        #expect(IMAPMetadataEntryName(Array("/shared/".utf8)) == nil)
        let root = Self.entry("/shared")
        #expect(root.isNamespaceRoot && root.covers("/shared/a", depth: .one) && !root.covers("/private/a", depth: .infinity))
    }
}
