import Testing
@testable import MailStore

@Suite("MaildirLocator")
struct MaildirLocatorTests {
    let locator = MaildirLocator(dataDirectory: "/var/lib/loft/", defaultDomain: "example.org")

    @Test("users map to <data>/mail/<domain>/<localpart>/Maildir, or <home>/Maildir")
    func paths() throws {
        #expect(try locator.path(forUser: "alice@Example.COM") == "/var/lib/loft/mail/example.com/alice/Maildir")
        #expect(try locator.path(forUser: "bob") == "/var/lib/loft/mail/example.org/bob/Maildir")
        #expect(try locator.path(forUser: "carol@example.com", home: "/home/carol/") == "/home/carol/Maildir")
        #expect(try locator.path(forUser: "carol@example.com", home: "") ==
                "/var/lib/loft/mail/example.com/carol/Maildir")
    }

    @Test("user names that would escape the data directory are refused",
          arguments: ["", "@example.com", "alice@", "../etc@example.com", "alice@..", "a/b@example.com", "."])
    func unsafeNames(user: String) {
        #expect(throws: MailStoreError.invalidUserName(user)) { try locator.path(forUser: user) }
    }
}

@Suite struct ArrivalOrderTests {
    @Test("new messages get UIDs in arrival order, microseconds compared as numbers")
    func numericOrder() {
        let names = [
            "1732900000.M99999P7Q2.host", "1732900000.M100000P7Q3.host",
            "1732900001.M5P7Q4.host", "999999999.M1P7Q1.host",
        ]
        #expect(names.sorted(by: MaildirFileName.arrivedBefore) == [
            "999999999.M1P7Q1.host", "1732900000.M99999P7Q2.host",
            "1732900000.M100000P7Q3.host", "1732900001.M5P7Q4.host",
        ])
    }
}
