import IMAP
import Testing

/// RFC 2047 decoding of header values as SUBJECT and HEADER see them.
@Suite("SEARCH: encoded words in header values (RFC 2047)")
struct SearchHeaderDecodingTests {
    static func subjectMatches(_ subject: String, _ needle: String) throws -> Bool {
        let content = IMAPMessageContent(storedBytes: Array("Subject: \(subject)\n\nbody\n".utf8))
        let message = IMAPSearchMessage(sequenceNumber: 1, uid: 1, systemFlags: [], keywords: [], internalDate: 0,
                                        virtualSize: content.bytes.count)
        let evaluator = try IMAPSearchEvaluator(IMAPSearchCommand(charset: "UTF-8", key: .subject(Array(needle.utf8))),
                                                lastSequenceNumber: 1, lastUID: 1)
        return evaluator.matches(message, content: content)
    }

    @Test(arguments: [
        ("=?utf-8?B?SGVsbG8=?= =?UTF-8?Q?_World?=", "hello world", true),  // space between words dropped, `_` is a space
        ("=?utf-8?B?SGVsbG8=?= =?UTF-8?Q?_World?=", "hello  world", false),
        ("=?iso-8859-1?q?caf=E9?= au lait", "CAFÉ AU LAIT", true),
        ("=?us-ascii*en?Q?plain?=", "plain", true),  // RFC 2231 language suffix
        ("=?koi8-r?B?8NLJ18XU?=", "=?koi8-r?B?8NLJ18XU?=", true),  // unknown charset: kept as written
        ("=?utf-8?Q?broken", "broken", true),  // not a complete word: kept
        ("=?utf-8?X?abc?=", "=?UTF-8?x?ABC?=", true),  // unknown encoding: kept as written
        ("a =?utf-8?Q?b?= c", "a b c", true),  // whitespace next to plain text stays
        ("Grüße direkt in UTF-8", "GRÜSSE", false),  // lowercased(), not full case folding
        ("Grüße direkt in UTF-8", "grÜße", true),
    ])
    func subject(_ subject: String, needle: String, matches: Bool) throws {
        #expect(try Self.subjectMatches(subject, needle) == matches)
    }
}
