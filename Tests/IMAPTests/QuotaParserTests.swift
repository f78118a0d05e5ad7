import IMAP
import Testing

@Suite("QUOTA command grammar (RFC 9208 §9)")
struct QuotaParserTests {
    static let cases: [ParseCase] = [
        ParseCase("a GETQUOTA \"\"\r\n", command("a", .quota(.getQuota(root: [])))),
        ParseCase("a getquota user\r\n", command("a", .quota(.getQuota(root: Array("user".utf8))))),
        ParseCase("a GETQUOTAROOT INBOX\r\n", command("a", .quota(.getQuotaRoot("INBOX")))),
        ParseCase("a GETQUOTAROOT {4+}\r\nSent\r\n", command("a", .quota(.getQuotaRoot("Sent")))),
        ParseCase("a SETQUOTA \"\" (STORAGE 512 message 100)\r\n", command("a", .quota(.setQuota(root: [], limits: [
            IMAPQuotaResourceLimit(resource: "STORAGE", limit: 512), IMAPQuotaResourceLimit(resource: "MESSAGE", limit: 100),
        ])))),
        ParseCase("a SETQUOTA \"\" ()\r\n", command("a", .quota(.setQuota(root: [], limits: [])))),
        ParseCase("a STATUS INBOX (DELETED-STORAGE DELETED)\r\n", command("a", .status("INBOX", [.deletedStorage, .deleted]))),
        ParseCase("a GETQUOTA\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
        ParseCase("a SETQUOTA \"\" (STORAGE)\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
        ParseCase("a SETQUOTA \"\" (STORAGE x)\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a number"))),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: ParseCase) {
        checkAllSplits(testCase)
    }
}
