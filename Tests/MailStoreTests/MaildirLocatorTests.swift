import Testing
import MailStore

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
