@testable import ACME
import Foundation
import Testing
import TLS

/// The CA's JSON documents (RFC 8555 §7.1 examples) and problem documents (§6.7).
struct ACMEDocumentTests {
    func response(_ status: Int, _ json: String, headers: [(String, String)] = []) -> ACMEHTTPResponse {
        ACMEHTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }

    @Test("directory (RFC 8555 §7.1.1)")
    func directory() throws {
        let json = """
        {"newNonce":"https://example.com/acme/new-nonce","newAccount":"https://example.com/acme/new-account",
         "newOrder":"https://example.com/acme/new-order","revokeCert":"https://example.com/acme/revoke-cert",
         "keyChange":"https://example.com/acme/key-change","meta":{"termsOfService":"https://example.com/acme/terms/2017-5-30",
         "externalAccountRequired":false}}
        """
        let directory: ACMEDirectory = try ACMEIssuer.decode(response(200, json), "directory")
        #expect(directory.newOrder == "https://example.com/acme/new-order")
        #expect(directory.meta?.termsOfService == "https://example.com/acme/terms/2017-5-30")
        #expect(throws: ACMEError.self) { let _: ACMEDirectory = try ACMEIssuer.decode(response(200, "{}"), "directory") }
    }

    @Test("order and authorization with challenges (RFC 8555 §7.1.3, §7.1.4)")
    func orderAndAuthorization() throws {
        let order: ACMEOrder = try ACMEIssuer.decode(response(201, """
        {"status":"pending","expires":"2016-01-05T14:09:07.99Z","identifiers":[{"type":"dns","value":"www.example.org"}],
         "authorizations":["https://example.com/acme/authz/PAniVnsZcis"],"finalize":"https://example.com/acme/order/TOlocE8rfgo/finalize"}
        """), "order")
        #expect(order.status == "pending")
        #expect(order.identifiers == [.dns("www.example.org")])
        #expect(order.certificate == nil)
        let authorization: ACMEAuthorization = try ACMEIssuer.decode(response(200, """
        {"status":"pending","identifier":{"type":"dns","value":"www.example.org"},
         "challenges":[{"type":"http-01","url":"https://example.com/acme/chall/prV_B7yEyA4","status":"pending","token":"DGyRejmCefe7v4NfDGDKfA"},
                       {"type":"tls-alpn-01","url":"https://example.com/acme/chall/x","status":"invalid","token":"evaGxfADs6pSRb2LAv9IZ",
                        "error":{"type":"urn:ietf:params:acme:error:connection","detail":"refused"}}]}
        """), "authorization")
        #expect(authorization.challenges.map(\.type) == ["http-01", "tls-alpn-01"])
        #expect(authorization.challenges[1].error?.type == "urn:ietf:params:acme:error:connection")
    }

    @Test("problem documents become errors that say what the CA said (RFC 8555 §6.7)")
    func problems() throws {
        let refused = response(400, """
        {"type":"urn:ietf:params:acme:error:malformed","detail":"Some of the identifiers requested were rejected",
         "subproblems":[{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"Invalid underscore in DNS name",
                         "identifier":{"type":"dns","value":"_example.org"}}]}
        """, headers: [("Content-Type", "application/problem+json")])
        #expect(throws: ACMEError.problem(
            ACMEProblem(type: "urn:ietf:params:acme:error:malformed", detail: "Some of the identifiers requested were rejected",
                        subproblems: [ACMEProblem(type: "urn:ietf:params:acme:error:rejectedIdentifier",
                                                  detail: "Invalid underscore in DNS name")]),
            status: 400, url: "https://ca.test/new-order")) {
            _ = try ACMESession.checked(refused, url: "https://ca.test/new-order")
        }
        do {
            _ = try ACMESession.checked(response(503, "<html>down</html>"), url: "https://ca.test/dir")
            Issue.record("a 503 must fail")
        } catch let error as ACMEError {
            #expect(error.description == "https://ca.test/dir: HTTP 503: about:blank: <html>down</html>")
        }
        let fine = response(201, "{}", headers: [("replay-nonce", "abc"), ("Location", "https://ca.test/acct/1")])
        #expect(try ACMESession.checked(fine, url: "u").header("Replay-Nonce") == "abc")
        #expect(fine.header("location") == "https://ca.test/acct/1")
    }
}
