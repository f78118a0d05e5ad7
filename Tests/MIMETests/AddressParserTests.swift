import Testing
@testable import MIME

/// RFC 5322 §3.4 address lists as ENVELOPE shows them: `name route mailbox host` per address
/// ("-" stands for NIL), groups as start and end markers.
@Suite struct AddressParserTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var expected: [String]
        var description: String { input }
    }

    static func render(_ a: IMAPAddress) -> String {
        func s(_ v: [UInt8]?) -> String { v.map { String(decoding: $0, as: UTF8.self) } ?? "-" }
        return "\(s(a.name))|\(s(a.route))|\(s(a.mailbox))|\(s(a.host))"
    }

    static let cases: [Case] = [
        Case(input: "alice@example.com", expected: ["-|-|alice|example.com"]),
        Case(input: "Alice <alice@example.com>", expected: ["Alice|-|alice|example.com"]),
        Case(input: "\"Smith, John\" <js@x.org>", expected: ["Smith, John|-|js|x.org"]),
        Case(input: "\"a\\\"b\" <q@x>", expected: ["a\"b|-|q|x"]),
        Case(input: "alice@example.com (Alice L)", expected: ["Alice L|-|alice|example.com"]),
        Case(input: "(c1) Bob (c2) <bob@x>", expected: ["Bob|-|bob|x"]),
        Case(input: "Mr. John Q. Public <jqp@x>", expected: ["Mr. John Q. Public|-|jqp|x"]),
        Case(input: "=?utf-8?q?J=C3=B6rg?= <j@x>", expected: ["=?utf-8?q?J=C3=B6rg?=|-|j|x"]),
        Case(input: "<@a.example,@b.example:c@d.example>", expected: ["-|@a.example,@b.example|c|d.example"]),
        Case(input: "Team: a@x, B <b@y>;", expected: ["-|-|Team|-", "-|-|a|x", "B|-|b|y", "-|-|-|-"]),
        Case(input: "undisclosed-recipients:;", expected: ["-|-|undisclosed-recipients|-", "-|-|-|-"]),
        Case(input: "a@x, , b@y", expected: ["-|-|a|x", "-|-|b|y"]),
        Case(input: "a . b @ x . y", expected: ["-|-|a.b|x.y"]),
        Case(input: "user@[192.0.2.1]", expected: ["-|-|user|[192.0.2.1]"]),
        Case(input: "\"quoted local\"@example.com", expected: ["-|-|quoted local|example.com"]),
        Case(input: "just-a-name", expected: ["-|-|just-a-name|MISSING_DOMAIN"]),
        Case(input: "<>", expected: ["-|-|MISSING_MAILBOX|MISSING_DOMAIN"]),
        Case(input: "@x", expected: ["-|-|MISSING_MAILBOX|x"]),
        Case(input: "Name <n@x", expected: ["Name|-|n|SYNTAX_ERROR"]),
        Case(input: "a@b.c d@e.f", expected: ["-|-|a|b.c"]),
        Case(input: "[1.2.3.4], a@b", expected: ["-|-|MISSING_MAILBOX|MISSING_DOMAIN"]),
        Case(input: "\"unterminated <x@y>", expected: ["-|-|MISSING_MAILBOX|MISSING_DOMAIN"]),
        Case(input: "", expected: []),
        Case(input: "   (only a comment)  ", expected: []),
        Case(input: "Zoë <zoe@exämple.com>", expected: ["Zoë|-|zoe|exämple.com"]),
    ]

    @Test(arguments: cases)
    func parses(_ c: Case) {
        let list = AddressParser.envelopeAddresses(AddressParser.parse(Array(c.input.utf8)))
        #expect(list.map(Self.render) == c.expected)
    }

    @Test func groupsAreKeptAsGroups() {
        let entries = AddressParser.parse(Array("G: a@x;, b@y".utf8))
        #expect(entries == [
            .group(name: Array("G".utf8), members: [IMAPAddress(mailbox: Array("a".utf8), host: Array("x".utf8))]),
            .mailbox(IMAPAddress(mailbox: Array("b".utf8), host: Array("y".utf8))),
        ])
    }
}
