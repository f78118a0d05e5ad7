import Auth
import Foundation
import Testing

@Suite struct PasswdFileUserDatabaseTests {
    static let hash = "$6$WLiXcV/1WOfLUB0y$28JE70yqai5JxxD5sqR9kg4PECpTN2ODF5UtwV/nAWhJoeQTsV6fI53P8Vvnkzdeaa6yp7ri5zdJeg0cAQls70"

    @Test func minimalLineUsesDefaultDomain() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "alice:\(Self.hash)\n")
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "Example.ORG")
        let user = try #require(db.lookup("alice"))
        #expect(user.login == "alice@example.org")
        #expect(user.localPart == "alice")
        #expect(user.domain == "example.org")
        #expect(user.passwordHash == Self.hash)
        #expect(user.uid == nil && user.gid == nil && user.home == nil && user.extraFields.isEmpty)
        #expect(db.lookup("alice@example.org") == user)
        #expect(db.lookup("alice@EXAMPLE.org") == user)
        #expect(db.lookup("Alice") == nil, "local part is case-sensitive")
        #expect(db.lookup("alice@other.org") == nil)
        #expect(db.lookup("") == nil)
        #expect(db.lookup("@example.org") == nil)
    }

    @Test func fullEightFields() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let line = "bob@Other.net:{SHA512-CRYPT}\(Self.hash):1001:100:Bob B:/srv/mail/bob:/bin/false:userdb_quota_rule=*:storage=1G nopassword=n"
        let path = try dir.write("passwd", line + "\n")
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        let user = try #require(db.lookup("bob@other.NET"))
        #expect(user.login == "bob@other.net")
        #expect(user.passwordHash == Self.hash)
        #expect(user.uid == 1001)
        #expect(user.gid == 100)
        #expect(user.home == "/srv/mail/bob")
        #expect(user.extraFields == ["userdb_quota_rule=*:storage=1G", "nopassword=n"])
        #expect(db.lookup("bob") == nil)
    }

    @Test func commentsBlankLinesPrefixesAndCRLF() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let text = """
        # users of example.org

          # indented comment
        a:{CRYPT}\(Self.hash)
        b:{blf-crypt}$2b$05$MYdHGIVBD/ulHX8OsLEP9OVnWg/dDmVrx3hj1FOtGK.cIq8RbZggW\r
        c:{SHA256-CRYPT}$5$abc$def:::::
        locked:!\(Self.hash)
        """
        let path = try dir.write("passwd", text)
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        #expect(db.allUsers.map(\.login) == ["a@example.org", "b@example.org", "c@example.org", "locked@example.org"])
        #expect(db.lookup("a")?.passwordHash == Self.hash)
        #expect(db.lookup("b")?.passwordHash == "$2b$05$MYdHGIVBD/ulHX8OsLEP9OVnWg/dDmVrx3hj1FOtGK.cIq8RbZggW")
        #expect(db.lookup("c")?.passwordHash == "$5$abc$def")
    }

    @Test(arguments: [
        ("no colon here", 3, "no `:`"),
        ("carol:{PLAIN}secret", 3, "{PLAIN}"),
        ("carol:{PLAIN}secret", 3, "plaintext passwords are not supported"),
        ("carol:secret", 3, "not a crypt hash"),
        ("carol:", 3, "empty"),
        (":\(hash)", 3, "invalid user name"),
        ("carol:\(hash):x1", 3, "uid must be a number"),
        ("carol:\(hash):1:-5", 3, "gid must be a number"),
        ("alice@example.org:\(hash)", 3, "already defined on line 2"),
    ])
    func brokenLinesNameFileAndLine(line: String, number: Int, fragment: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "# header\nalice:\(Self.hash)\n\(line)\n")
        let error = try #require(throws: PasswdFileError.self) {
            try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        }
        #expect(error.line == number)
        #expect(error.description.hasPrefix("\(path):\(number): "))
        #expect(error.description.contains(fragment), "\(error)")
        #expect(!error.description.contains("secret"), "error text must not contain the password")
    }

    @Test func missingFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let error = try #require(throws: PasswdFileError.self) {
            try PasswdFileUserDatabase(path: dir.path("nope"), defaultDomain: "example.org")
        }
        #expect(error.description.contains(dir.path("nope")))
        #expect(error.line == nil)
    }

    @Test func lookupSeesFileChangesWithoutReload() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "alice:\(Self.hash)\n")
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        #expect(db.lookup("bob") == nil)

        // An in-place rewrite (same inode) is noticed, too.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("bob:\(Self.hash)\n".utf8))
        try handle.close()
        #expect(db.lookup("bob")?.login == "bob@example.org")

        // Replaced by rename (what editors and `loft user` do).
        var file = PasswdFile(text: "bob:\(Self.hash)\n", path: path, defaultDomain: "example.org")
        try file.add(name: "carol", hash: Self.hash)
        try file.write(to: path)
        #expect(db.lookup("carol") != nil)
        #expect(db.lookup("alice") == nil)
        #expect(db.lastReloadError == nil)
    }

    @Test func brokenChangeKeepsOldUsersAndReportsError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "alice:\(Self.hash)\n")
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")

        try dir.write("passwd", "alice:\(Self.hash)\nbob:{PLAIN}x\n")
        #expect(db.lookup("alice") != nil)
        #expect(db.lookup("bob") == nil)
        #expect(db.lastReloadError?.line == 2)
        #expect(throws: PasswdFileError.self) { try db.reload() }

        try dir.write("passwd", "alice:\(Self.hash)\nbob:\(Self.hash)\n")
        #expect(db.lookup("bob") != nil)
        #expect(db.lastReloadError == nil)

        try FileManager.default.removeItem(atPath: path)
        #expect(db.lookup("bob") != nil, "last good version stays in effect")
        #expect(db.lastReloadError?.description.contains(path) == true)
    }

    @Test func reloadRereadsOnDemand() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "alice:\(Self.hash)\n")
        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        try dir.write("passwd", "dave:\(Self.hash)\n")
        try db.reload()
        #expect(db.allUsers.map(\.login) == ["dave@example.org"])
    }
}
