@testable import Delivery
import Testing

@Suite("MTA-STS: the policy file and TXT record parsers, mx patterns (RFC 8461 §3, §4.1)")
struct MTASTSPolicyTests {
    static func parse(_ text: String) -> Result<MTASTSPolicy, MTASTSError> {
        Result { () throws(MTASTSError) in try MTASTSPolicy.parse(Array(text.utf8)) }
    }

    static let valid: [(name: String, text: String, policy: MTASTSPolicy)] = [
        ("CRLF lines", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
         MTASTSPolicy(mode: .enforce, mx: ["mail.example.com", "*.example.net"], maxAge: 604800)),
        ("LF lines, no final terminator", "version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400",
         MTASTSPolicy(mode: .testing, mx: ["mx.example.org"], maxAge: 86400)),
        ("any order, extra spaces and tabs after the colon and at the end", "max_age:\t 60 \nmx:   MX.Example.ORG\t\nmode: enforce\nversion: STSv1  \n",
         MTASTSPolicy(mode: .enforce, mx: ["mx.example.org"], maxAge: 60)),
        ("unknown keys are ignored, whatever their value", "version: STSv1\nmode: enforce\nx-future_key.v2: a b: c\nmx: a.example\nmax_age: 1\n",
         MTASTSPolicy(mode: .enforce, mx: ["a.example"], maxAge: 1)),
        ("mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 300\n", MTASTSPolicy(mode: .none, mx: [], maxAge: 300)),
        ("the first of a repeated key counts (mx accumulates)", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 5\nmax_age: 9\nmx: b.example\n",
         MTASTSPolicy(mode: .testing, mx: ["a.example", "b.example"], maxAge: 5)),
        ("max_age above a year is capped at a year", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n",
         MTASTSPolicy(mode: .enforce, mx: ["a.example"], maxAge: 31_557_600)),
        ("max_age of exactly a year", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n",
         MTASTSPolicy(mode: .enforce, mx: ["a.example"], maxAge: 31_557_600)),
        ("blank lines are tolerated", "version: STSv1\r\n\r\nmode: enforce\nmx: a.example\n\nmax_age: 0\n\n",
         MTASTSPolicy(mode: .enforce, mx: ["a.example"], maxAge: 0)),
    ]

    @Test("valid policies", arguments: valid.indices)
    func validPolicies(_ index: Int) {
        let (name, text, policy) = Self.valid[index]
        #expect(Self.parse(text) == .success(policy), "\(name)")
    }

    static let invalid: [(text: String, reason: String)] = [
        ("mode: enforce\nmx: a.example\nmax_age: 60\n", "version field is missing"),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n", "is not STSv1"),
        ("version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 60\n", "is not STSv1"),
        ("version: STSv1\nmx: a.example\nmax_age: 60\n", "mode field is missing"),
        ("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 60\n", "is not enforce, testing or none"),
        ("version: STSv1\nmode: enforce\nmx: a.example\n", "max_age field is missing"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "not a number of seconds"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", "not a number of seconds"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", "not a number of seconds"),
        ("version: STSv1\nmode: enforce\nmax_age: 60\n", "needs at least one mx"),
        ("version: STSv1\nmode: testing\nmax_age: 60\n", "needs at least one mx"),
        ("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 60\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx: mail*.example\nmax_age: 60\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 60\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 60\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx: bücher.example\nmax_age: 60\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx:\nmax_age: 60\n", "has no value"),
        ("version STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\n", "not a \"key: value\" line"),
        ("version: STSv1\nmode: enforce\n_mx: a.example\nmax_age: 60\n", "not a policy key"),
        ("<html><body>Not here</body></html>\n", "not a \"key: value\" line"),
        ("", "version field is missing"),
    ]

    @Test("invalid policies are no policy, with the reason", arguments: invalid.indices)
    func invalidPolicies(_ index: Int) {
        let (text, reason) = Self.invalid[index]
        guard case .failure(.invalidPolicy(let why)) = Self.parse(text) else {
            Issue.record("accepted: \(text.debugDescription)")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }

    @Test("a policy that is not UTF-8 is invalid")
    func notUTF8() {
        let bytes = Array("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\nnote: ".utf8) + [0xFF, 0xFE, 0x0A]
        #expect(throws: MTASTSError.invalidPolicy("the policy is not UTF-8 text")) { try MTASTSPolicy.parse(bytes) }
    }

    @Test("mx patterns: a host name matches itself in any case; *. matches exactly one more label")
    func mxMatching() {
        let policy = MTASTSPolicy(mode: .enforce, mx: ["mail.example.com", "*.example.net"], maxAge: 60)
        #expect(policy.allows(mxHost: "mail.example.com"))
        #expect(policy.allows(mxHost: "MAIL.Example.COM."))
        #expect(!policy.allows(mxHost: "mail2.example.com"))
        #expect(!policy.allows(mxHost: "x.mail.example.com"))
        #expect(policy.allows(mxHost: "mx1.example.net"))
        #expect(policy.allows(mxHost: "MX1.EXAMPLE.NET"))
        #expect(!policy.allows(mxHost: "a.b.example.net"))
        #expect(!policy.allows(mxHost: "example.net"))
        #expect(!policy.allows(mxHost: ".example.net"))
        #expect(!policy.allows(mxHost: "mx1.example.network"))
        #expect(!policy.allows(mxHost: "mx1example.net"))
    }

    static let records: [(texts: [String], id: String?)] = [
        (["v=STSv1; id=20160831085700Z;"], "20160831085700Z"),
        (["v=STSv1; id=20160831085700Z"], "20160831085700Z"),
        (["v=STSv1 ;id=abc ; ext_1=value-x;"], "abc"),
        (["v=STSv1;\tid=abc"], "abc"),
        (["v=spf1 -all", "v=STSv1; id=abc"], "abc"),
        (["v=STSv1; id=abc", "v=STSv1; id=def"], nil),  // two STS records: none
        (["v=STSv1; id=abc", "v=STSv1;id=abc"], nil),
        (["v=STSv1; id=abc", "v=STSv1 ; id=broken!"], nil),  // the second is an STS record, so two
        (["v=STSv1;"], nil),
        (["v=STSv1"], nil),
        (["v=STSv1; id="], nil),
        (["v=STSv1; id=" + String(repeating: "a", count: 33)], nil),
        (["v=STSv1; id=" + String(repeating: "a", count: 32)], String(repeating: "a", count: 32)),
        (["v=STSv1; id=ab-c"], nil),
        (["v=STSv1; id=abc; id=def"], nil),
        (["v=STSv1; mode=enforce"], nil),
        (["v=STSv1; id=abc; ext=a=b"], nil),
        (["v=STSv1; id=abc;; "], nil),
        (["v=stsv1; id=abc"], nil),
        (["v=STSv10; id=abc"], nil),
        ([" v=STSv1; id=abc"], nil),
        ([], nil),
    ]

    @Test("the _mta-sts TXT record: exactly one STSv1 record, valid, with one id", arguments: records.indices)
    func txtRecords(_ index: Int) {
        let (texts, id) = Self.records[index]
        #expect(MTASTSRecord.select(from: texts)?.id == id, "\(texts)")
    }
}
