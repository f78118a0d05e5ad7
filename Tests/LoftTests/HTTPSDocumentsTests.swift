import Config
import Delivery
import Foundation
@testable import LoftServer
import NIOHTTP1
import Testing

/// The HTTPS listener's documents and routes as pure functions: for a server with all six mail listeners,
/// with implicit TLS only, with STARTTLS only, without POP3 and with plaintext listeners beside.
@Suite("HTTPS: MTA-STS policy, Thunderbird autoconfig, Autodiscover, Apple profile")
struct HTTPSDocumentsTests {
    static func listener(_ proto: ListenerConfiguration.ServiceProtocol, _ tls: ListenerConfiguration.TLSMode, _ port: Int)
        -> (ListenerConfiguration, port: Int) {
        (ListenerConfiguration(protocol: proto, address: ListenAddress(host: "0.0.0.0", port: port), tls: tls), port: port)
    }

    static let all = [
        listener(.pop3, .starttls, 110), listener(.pop3, .implicit, 995), listener(.submission, .starttls, 587),
        listener(.submission, .implicit, 465), listener(.imap, .starttls, 143), listener(.imap, .implicit, 993),
    ]
    static let implicitOnly = [listener(.imap, .implicit, 993), listener(.pop3, .implicit, 995), listener(.submission, .implicit, 465)]
    static let startTLSOnly = [listener(.imap, .starttls, 143), listener(.submission, .starttls, 587)]
    static let noPOP3 = [listener(.imap, .implicit, 993), listener(.imap, .starttls, 143), listener(.submission, .starttls, 587)]
    static let withPlaintext = [listener(.imap, .none, 1143), listener(.pop3, .none, 1110), listener(.imap, .implicit, 993),
                                listener(.submission, .none, 2525), listener(.submission, .implicit, 465)]

    static func settings(_ listeners: [(ListenerConfiguration, port: Int)]) -> MailClientSettings {
        MailClientSettings(hostname: "mail.example.org", localDomains: ["example.org", "Example.NET"], listeners: listeners)
    }

    static func router(_ listeners: [(ListenerConfiguration, port: Int)] = all) -> HTTPSRouter {
        HTTPSRouter(settings: settings(listeners),
                    policy: MTASTSPublishedPolicy(settings: MTASTSSettings(mode: .enforce), hostname: "mail.example.org"))
    }

    static func get(_ uri: String, host: String?, method: HTTPMethod = .GET, body: String = "", sni: String? = nil,
                    router: HTTPSRouter = router()) -> HTTPSResponse {
        router.respond(to: HTTPSRouter.Request(
            method: method, uri: uri, version: .http1_1, host: host, serverName: sni, body: Array(body.utf8)))
    }

    // MARK: Listeners as clients see them

    @Test func implicitTLSComesFirstAndPlaintextListenersAreLeftOut() {
        let all = Self.settings(Self.all)
        #expect(all.imap.map(\.port) == [993, 143])
        #expect(all.pop3.map(\.port) == [995, 110])
        #expect(all.smtp.map(\.port) == [465, 587])
        #expect(all.imap.map(\.security) == [.implicitTLS, .startTLS])
        #expect((all.imap + all.pop3 + all.smtp).allSatisfy { $0.host == "mail.example.org" })
        let mixed = Self.settings(Self.withPlaintext)
        #expect(mixed.imap.map(\.port) == [993] && mixed.pop3.isEmpty && mixed.smtp.map(\.port) == [465])
        #expect(Self.settings(Self.noPOP3).pop3.isEmpty)
    }

    @Test func onlyAddressesOfLocalDomainsAreAccepted() {
        let settings = Self.settings(Self.all)
        #expect(settings.localAddress("alice@example.org")?.canonical == "alice@example.org")
        #expect(settings.localAddress("alice@EXAMPLE.net")?.canonical == "alice@example.net")
        #expect(settings.localAddress("alice@example.com") == nil)
        #expect(settings.localAddress("alice") == nil)
        #expect(settings.localAddress("@example.org") == nil)
        #expect(settings.localAddress("al ice@example.org") == nil)
    }

    // MARK: Thunderbird

    @Test func thunderbirdDescribesEveryTLSListener() throws {
        let xml = ThunderbirdAutoconfig.document(domain: "example.org", settings: Self.settings(Self.all))
        let root = try StrictXMLElement.parseDocument(Array(xml.utf8))
        #expect(root.name == "clientConfig")
        let provider = try #require(root.children(named: "emailProvider").first)
        #expect(provider.children(named: "domain").map(\.text) == ["example.org"])
        let incoming = provider.children(named: "incomingServer")
        #expect(incoming.map { $0.children(named: "port").first?.text } == ["993", "143", "995", "110"])
        #expect(incoming.map { $0.children(named: "socketType").first?.text } == ["SSL", "STARTTLS", "SSL", "STARTTLS"])
        #expect(incoming.allSatisfy { $0.children(named: "username").first?.text == "%EMAILADDRESS%" })
        #expect(incoming.allSatisfy { $0.children(named: "authentication").first?.text == "password-cleartext" })
        let outgoing = provider.children(named: "outgoingServer")
        #expect(outgoing.map { $0.children(named: "port").first?.text } == ["465", "587"])
        #expect(outgoing.map { $0.children(named: "socketType").first?.text } == ["SSL", "STARTTLS"])
        #expect(xml.contains(#"<incomingServer type="imap">"#) && xml.contains(#"<incomingServer type="pop3">"#)
                && xml.contains(#"<outgoingServer type="smtp">"#))
    }

    @Test func withoutPOP3ThereIsNoPOP3Server() {
        let xml = ThunderbirdAutoconfig.document(domain: "example.org", settings: Self.settings(Self.noPOP3))
        #expect(!xml.contains("pop3"))
        #expect(xml.components(separatedBy: "<incomingServer").count - 1 == 2)
    }

    // MARK: Autodiscover

    static func autodiscoverRequest(_ address: String, schema: String = AutodiscoverRequest.requestSchema) -> String {
        """
        <?xml version="1.0" encoding="utf-8"?>
        <Autodiscover xmlns="\(schema)">
          <Request>
            <EMailAddress>\(address)</EMailAddress>
            <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
          </Request>
        </Autodiscover>
        """
    }

    @Test func theAutodiscoverRequestIsRead() throws {
        #expect(try AutodiscoverRequest.parse(Array(Self.autodiscoverRequest("alice@example.org").utf8)).emailAddress == "alice@example.org")
        // A prefixed namespace, a comment and an escaped character are XML too.
        let prefixed = """
            <a:Autodiscover xmlns:a="\(AutodiscoverRequest.requestSchema)"><!-- Outlook -->
            <a:Request><a:EMailAddress>o&apos;brien&amp;co@example.org</a:EMailAddress></a:Request></a:Autodiscover>
            """
        #expect(try AutodiscoverRequest.parse(Array(prefixed.utf8)).emailAddress == "o'brien&co@example.org")
    }

    static let badRequests: [(String, String)] = [
        ("not XML", "alice@example.org"),
        ("unclosed", "<Autodiscover xmlns=\"\(AutodiscoverRequest.requestSchema)\"><Request><EMailAddress>a@example.org</EMailAddress></Request>"),
        ("mismatched", "<Autodiscover xmlns=\"\(AutodiscoverRequest.requestSchema)\"><Request></EMailAddress></Request></Autodiscover>"),
        ("wrong schema", autodiscoverRequest("alice@example.org", schema: "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006")),
        ("no namespace", "<Autodiscover><Request><EMailAddress>a@example.org</EMailAddress></Request></Autodiscover>"),
        ("no address", "<Autodiscover xmlns=\"\(AutodiscoverRequest.requestSchema)\"><Request></Request></Autodiscover>"),
        ("two addresses", autodiscoverRequest("a@example.org</EMailAddress><EMailAddress>b@example.org")),
        ("a DTD", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + autodiscoverRequest("&e;")),
        ("an unknown entity", autodiscoverRequest("&e;@example.org")),
        ("a second root", autodiscoverRequest("a@example.org") + "<Autodiscover/>"),
        ("another response schema", autodiscoverRequest("a@example.org").replacingOccurrences(of: "2006a<", with: "2006<")),
        ("too deep", String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)),
    ]

    @Test(arguments: badRequests)
    func malformedOrForeignRequestsAreRefused(_ name: String, _ body: String) {
        #expect(throws: AutodiscoverRequest.Invalid.self, "\(name)") { try AutodiscoverRequest.parse(Array(body.utf8)) }
    }

    @Test func aRequestThatIsNotUTF8IsRefused() {
        let request = Array(Self.autodiscoverRequest("alice@example.org").utf8).map { $0 == UInt8(ascii: "@") ? 0xFF : $0 }
        #expect(throws: AutodiscoverRequest.Invalid(description: "the request is not well-formed XML: not UTF-8")) {
            try AutodiscoverRequest.parse(request)
        }
    }

    @Test func anOversizedRequestIsRefusedUnread() {
        let padded = Self.autodiscoverRequest("alice@example.org").replacingOccurrences(
            of: "<Request>", with: "<Request>" + String(repeating: " ", count: AutodiscoverRequest.maximumSize))
        #expect(throws: AutodiscoverRequest.Invalid(description: "the request is larger than 16384 bytes")) {
            try AutodiscoverRequest.parse(Array(padded.utf8))
        }
    }

    @Test func theAutodiscoverResponseListsEveryTLSListener() throws {
        let xml = AutodiscoverResponse.document(address: "o'brien&co@example.org", settings: Self.settings(Self.all))
        let root = try StrictXMLElement.parseDocument(Array(xml.utf8))
        #expect(root.namespace == "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006")
        let response = try #require(root.children(named: "Response").first)
        #expect(response.namespace == AutodiscoverRequest.responseSchema)
        let account = try #require(response.children(named: "Account").first)
        #expect(account.children(named: "AccountType").first?.text == "email")
        #expect(account.children(named: "Action").first?.text == "settings")
        let protocols = account.children(named: "Protocol")
        func field(_ name: String) -> [String?] { protocols.map { $0.children(named: name).first?.text } }
        #expect(field("Type") == ["IMAP", "IMAP", "POP3", "POP3", "SMTP", "SMTP"])
        #expect(field("Port") == ["993", "143", "995", "110", "465", "587"])
        #expect(field("Encryption") == ["SSL", "TLS", "SSL", "TLS", "SSL", "TLS"])
        #expect(Set(field("SSL")) == ["on"] && Set(field("SPA")) == ["off"] && Set(field("AuthRequired")) == ["on"])
        #expect(Set(field("LoginName")) == ["o'brien&co@example.org"])
        #expect(Set(field("Server")) == ["mail.example.org"])
    }

    // MARK: Apple

    static func plist(_ text: String) throws -> [String: Any] {
        let value = try PropertyListSerialization.propertyList(from: Data(text.utf8), format: nil)
        return try #require(value as? [String: Any])
    }

    @Test func theAppleProfilePrefersIMAPOverImplicitTLS() throws {
        let text = try #require(AppleMailProfile.document(address: "o'brien&co@example.org", settings: Self.settings(Self.all)))
        let profile = try Self.plist(text)
        #expect(profile["PayloadType"] as? String == "Configuration")
        let accounts = try #require(profile["PayloadContent"] as? [[String: Any]])
        let account = try #require(accounts.first)
        #expect(account["PayloadType"] as? String == "com.apple.mail.managed")
        #expect(account["EmailAccountType"] as? String == "EmailTypeIMAP")
        #expect(account["EmailAddress"] as? String == "o'brien&co@example.org")
        #expect(account["IncomingMailServerUsername"] as? String == "o'brien&co@example.org")
        #expect(account["IncomingMailServerHostName"] as? String == "mail.example.org")
        #expect(account["IncomingMailServerPortNumber"] as? Int == 993)
        #expect(account["IncomingMailServerUseSSL"] as? Bool == true)
        #expect(account["OutgoingMailServerPortNumber"] as? Int == 465)
        #expect(account["OutgoingMailServerUseSSL"] as? Bool == true)
    }

    /// The mail account payload of the profile for alice@example.org.
    static func appleAccount(_ listeners: [(ListenerConfiguration, port: Int)]) throws -> [String: Any] {
        let text = try #require(AppleMailProfile.document(address: "alice@example.org", settings: settings(listeners)))
        let accounts = try plist(text)["PayloadContent"] as? [[String: Any]]
        return try #require(accounts?.first)
    }

    @Test func withSTARTTLSOnlyTheProfileUsesThoseImplicitlyNotPlaintext() throws {
        let account = try Self.appleAccount(Self.startTLSOnly)
        #expect(account["IncomingMailServerPortNumber"] as? Int == 143)
        #expect(account["OutgoingMailServerPortNumber"] as? Int == 587)
        #expect(account["IncomingMailServerUseSSL"] as? Bool == true)
    }

    @Test func withOnlyPOP3TheProfileIsPOP() throws {
        let account = try Self.appleAccount([Self.listener(.pop3, .implicit, 995), Self.listener(.submission, .implicit, 465)])
        #expect(account["EmailAccountType"] as? String == "EmailTypePOP")
        #expect(account["IncomingMailServerPortNumber"] as? Int == 995)
    }

    @Test func profileUUIDsAreStablePerAddressAndDistinct() throws {
        let settings = Self.settings(Self.all)
        func uuids(_ address: String) throws -> [String] {
            let profile = try Self.plist(try #require(AppleMailProfile.document(address: address, settings: settings)))
            let account = try #require((profile["PayloadContent"] as? [[String: Any]])?.first)
            return [try #require(profile["PayloadUUID"] as? String), try #require(account["PayloadUUID"] as? String)]
        }
        let alice = try uuids("alice@example.org")
        #expect(try uuids("alice@example.org") == alice)
        #expect(Set(alice + (try uuids("bob@example.org"))).count == 4)
        #expect(alice.allSatisfy { UUID(uuidString: $0) != nil })
    }

    // MARK: Routes

    @Test func theMTASTSPolicyIsServedOnMTASTSHostsOfLocalDomainsOnly() {
        let policy = MTASTSPublishedPolicy(settings: MTASTSSettings(mode: .enforce), hostname: "mail.example.org")
        let served = Self.get("/.well-known/mta-sts.txt", host: "MTA-STS.example.net:443")
        #expect(served.status == .ok && served.body == Array(policy.text.utf8))
        #expect(served.contentType.hasPrefix("text/plain"))
        #expect(Self.get("/.well-known/mta-sts.txt", host: "mta-sts.other.test").status == .notFound)
        #expect(Self.get("/.well-known/mta-sts.txt", host: "example.org").status == .notFound)
        #expect(Self.get("/.well-known/mta-sts.txt", host: "mta-sts.example.org", method: .POST).status == .methodNotAllowed)
        #expect(Self.get("/.well-known/mta-sts.txt", host: "mta-sts.example.org", method: .PUT).headers.first { $0.0 == "Allow" }?.1
                == "GET, HEAD")
    }

    @Test func withoutHostHTTP11IsABadRequestAndHTTP10UsesSNI() {
        #expect(Self.get("/.well-known/mta-sts.txt", host: nil, sni: "mta-sts.example.org").status == .badRequest)
        let http10 = Self.router().respond(to: HTTPSRouter.Request(
            method: .GET, uri: "/.well-known/mta-sts.txt", version: .http1_0, host: nil, serverName: "mta-sts.example.org"))
        #expect(http10.status == .ok)
    }

    @Test func autoconfigIsServedOnAutoconfigHostsAndTheWellKnownPath() {
        #expect(Self.get("/mail/config-v1.1.xml?emailaddress=alice%40example.org", host: "autoconfig.example.org").status == .ok)
        #expect(Self.get("/mail/config-v1.1.xml", host: "autoconfig.example.net").status == .ok)
        #expect(Self.get("/mail/config-v1.1.xml", host: "mail.example.org").status == .notFound)
        #expect(Self.get("/mail/config-v1.1.xml", host: "autoconfig.other.test").status == .notFound)
        #expect(Self.get("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.net", host: "anything.test").status == .ok)
        #expect(Self.get("/.well-known/autoconfig/mail/config-v1.1.xml", host: "example.org").status == .ok)
        #expect(Self.get("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40other.test", host: "example.org").status
                == .notFound)
        #expect(Self.get("/mail/config-v1.1.xml?emailaddress=%4", host: "autoconfig.example.org").status == .badRequest)
        #expect(Self.get("/mail/config-v1.1.xml?emailaddress=%+4", host: "autoconfig.example.org").status == .badRequest)
        let response = Self.get("/mail/config-v1.1.xml", host: "autoconfig.example.org")
        #expect(response.contentType == "application/xml; charset=utf-8")
        #expect(response.headers.contains { $0 == ("Cache-Control", "no-cache") })
    }

    @Test func autodiscoverTakesAPostForALocalAddress() {
        let ok = Self.get("/Autodiscover/Autodiscover.xml", host: "autodiscover.example.org", method: .POST,
                          body: Self.autodiscoverRequest("alice@example.org"))
        #expect(ok.status == .ok && String(decoding: ok.body, as: UTF8.self).contains("<LoginName>alice@example.org</LoginName>"))
        #expect(Self.get("/autodiscover/autodiscover.xml", host: "example.org", method: .POST,
                         body: Self.autodiscoverRequest("alice@other.test")).status == .notFound)
        #expect(Self.get("/autodiscover/autodiscover.xml", host: "example.org", method: .POST, body: "<x/>").status == .badRequest)
        let get = Self.get("/autodiscover/autodiscover.xml", host: "example.org")
        #expect(get.status == .methodNotAllowed && get.headers.contains { $0 == ("Allow", "POST") })
    }

    @Test func theAppleProfileNeedsALocalAddress() {
        let ok = Self.get("/apple/mobileconfig?emailaddress=alice%40example.org", host: "mail.example.org")
        #expect(ok.status == .ok && ok.contentType == "application/x-apple-aspen-config")
        #expect(ok.headers.contains { $0 == ("Content-Disposition", "attachment; filename=\"example.org.mobileconfig\"") })
        #expect(Self.get("/apple/mobileconfig", host: "mail.example.org").status == .badRequest)
        #expect(Self.get("/apple/mobileconfig?emailaddress=alice%40other.test", host: "mail.example.org").status == .notFound)
    }

    @Test func withoutAnOutgoingListenerThereIsNothingToSetUp() {
        let router = Self.router([Self.listener(.imap, .implicit, 993), Self.listener(.submission, .none, 25)])
        #expect(Self.get("/mail/config-v1.1.xml", host: "autoconfig.example.org", router: router).status == .notFound)
        #expect(Self.get("/apple/mobileconfig?emailaddress=alice@example.org", host: "x", router: router).status == .notFound)
    }

    @Test func unknownPathsAndTargetsThatAreNotPaths() {
        #expect(Self.get("/", host: "mail.example.org").status == .notFound)
        #expect(Self.get("/.well-known/mta-sts.txt/../../etc/passwd", host: "mta-sts.example.org").status == .notFound)
        #expect(Self.get("http://mta-sts.example.org/.well-known/mta-sts.txt", host: "mta-sts.example.org").status == .badRequest)
        #expect(Self.get("*", host: "mail.example.org", method: .OPTIONS).status == .badRequest)
    }
}
