import Synchronization
import Auth
import Foundation
import Testing

@Suite struct PasswordHashTests {
    static let password = "pässwörd✓ 42"

    /// Hashes made by the system tools every admin uses (password piped on stdin).
    static let toolInvocations: [(String, [String])] = [
        ("/usr/bin/mkpasswd", ["-m", "yescrypt", "-s"]),
        ("/usr/bin/mkpasswd", ["-m", "bcrypt", "-s"]),
        ("/usr/bin/mkpasswd", ["-m", "sha-512", "-s"]),
        ("/usr/bin/mkpasswd", ["-m", "sha-256", "-s"]),
        ("/usr/bin/openssl", ["passwd", "-6", "-stdin"]),
    ]

    @Test(arguments: toolInvocations)
    func hashesFromSystemToolsVerify(tool: String, arguments: [String]) throws {
        let hash = try runTool(tool, arguments, input: Self.password + "\n")
        #expect(hash.hasPrefix("$"))
        #expect(PasswordHash.verify(password: Self.password, against: hash))
        #expect(!PasswordHash.verify(password: "pässwörd✓ 43", against: hash))
        #expect(!PasswordHash.verify(password: "", against: hash))
    }

    @Test(arguments: [PasswordScheme.yescrypt, .sha512crypt, .bcrypt])
    func madeHashesVerify(scheme: PasswordScheme) throws {
        let hash = try PasswordHash.make(password: Self.password, scheme: scheme)
        let prefix = switch scheme {
        case .yescrypt: "$y$"
        case .sha512crypt: "$6$"
        case .bcrypt: "$2b$12$"
        }
        #expect(hash.hasPrefix(prefix))
        #expect(PasswordHash.verify(password: Self.password, against: hash))
        #expect(!PasswordHash.verify(password: "wrong", against: hash))
    }

    @Test func defaultSchemeIsYescryptWithFreshSalt() throws {
        let first = try PasswordHash.make(password: "secret")
        let second = try PasswordHash.make(password: "secret")
        #expect(first.hasPrefix("$y$"))
        #expect(first != second)
    }

    @Test func passwordWithNulIsRefused() throws {
        #expect(throws: PasswordHashError.self) { try PasswordHash.make(password: "abc\0def") }
        let hash = try PasswordHash.make(password: "abc", scheme: .sha512crypt)
        // A C string would stop at the NUL and accept "abc"; we must not.
        #expect(!PasswordHash.verify(password: "abc\0def", against: hash))
    }

    @Test(arguments: [
        "", "*", "*0", "!", "x", "$", "$9$xx", "$6$", "$y$", "$2b$99$abc", "$y$j9T$short$",
        "!$6$abc$def", "ab01FAX.bQRSU", // traditional DES: refused outright
        "$6$" + String(repeating: "a", count: 5000), "\u{0}", "$y$j9T$\u{0}",
    ])
    func invalidHashesFailWithoutCrashing(hash: String) {
        #expect(!PasswordHash.verify(password: "password", against: hash))
        #expect(!PasswordHash.verify(password: "", against: hash))
    }

    @Test func concurrentVerificationsAreCorrect() throws {
        let hashes = try [
            PasswordHash.make(password: "right", scheme: .yescrypt),
            PasswordHash.make(password: "right", scheme: .sha512crypt),
        ]
        let results = Mutex<[Bool?]>(Array(repeating: nil, count: 16))
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let hash = hashes[index % 2]
            let shouldMatch = index % 4 < 2
            let ok = PasswordHash.verify(password: shouldMatch ? "right" : "wrong", against: hash)
            results.withLock { $0[index] = (ok == shouldMatch) }
        }
        #expect(results.withLock { $0 } == Array(repeating: true, count: 16))
    }
}
