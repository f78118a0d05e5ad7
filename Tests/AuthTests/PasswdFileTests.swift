import Auth
import Foundation
import Testing

@Suite struct PasswdFileTests {
    static let hash = "$6$WLiXcV/1WOfLUB0y$28JE70yqai5JxxD5sqR9kg4PECpTN2ODF5UtwV/nAWhJoeQTsV6fI53P8Vvnkzdeaa6yp7ri5zdJeg0cAQls70"
    static let newHash = "$y$j9T$rYdT1ykXRf4Oui8Y8nzUD1$hGsPGR2DtheXjhqr5/RQN97Y7aslfL3VDv.o4kpkYoB"

    static let original = """
    # Loft users — edited by hand and by `loft user`
    alice:{SHA512-CRYPT}\(hash):1000:1000:Alice:/home/alice:/bin/sh:userdb_quota_rule=*:storage=1G   x=y

    bob@other.org:\(hash)::::::\r
    weird line without colon
    carol:\(hash)
    """

    @Test func loadAndWriteRoundTripsByteForByte() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        for text in [Self.original, Self.original + "\n", "", "\n\n", "# only a comment"] {
            let path = try dir.write("passwd", text)
            let file = try PasswdFile.load(path: path, defaultDomain: "example.org")
            #expect(file.text == text)
            try file.write(to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(text.utf8))
        }
    }

    @Test func editsTouchOnlyTheirLine() throws {
        var file = PasswdFile(text: Self.original + "\n", path: "/x/passwd", defaultDomain: "example.org")
        #expect(file.users == ["alice", "bob@other.org", "carol"])

        try file.setPassword(name: "alice@EXAMPLE.org", hash: Self.newHash)
        try file.setPassword(name: "bob@other.org", hash: Self.newHash)
        try file.remove(name: "carol")
        try file.add(name: "dave", hash: "{CRYPT}" + Self.newHash)

        let expected = """
        # Loft users — edited by hand and by `loft user`
        alice:\(Self.newHash):1000:1000:Alice:/home/alice:/bin/sh:userdb_quota_rule=*:storage=1G   x=y

        bob@other.org:\(Self.newHash)::::::\r
        weird line without colon
        dave:{CRYPT}\(Self.newHash)

        """
        #expect(file.text == expected)
        #expect(file.users == ["alice", "bob@other.org", "dave"])
    }

    @Test func editErrors() throws {
        var file = PasswdFile(text: Self.original, path: "/x/passwd", defaultDomain: "example.org")
        #expect(throws: PasswdFileError.self) { try file.add(name: "alice@example.org", hash: Self.newHash) }
        #expect(throws: PasswdFileError.self) { try file.add(name: "erin", hash: "plaintext") }
        #expect(throws: PasswdFileError.self) { try file.add(name: "erin", hash: "{PLAIN}plaintext") }
        #expect(throws: PasswdFileError.self) { try file.add(name: "erin", hash: Self.newHash + ":1000") }
        #expect(throws: PasswdFileError.self) { try file.add(name: "er in", hash: Self.newHash) }
        #expect(throws: PasswdFileError.self) { try file.setPassword(name: "nobody", hash: Self.newHash) }
        #expect(throws: PasswdFileError.self) { try file.remove(name: "nobody") }
        #expect(file.text == Self.original, "failed edits change nothing")
    }

    @Test func addCreatesMissingFileWith0600() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = dir.path("passwd")
        var file = try PasswdFile.load(path: path, defaultDomain: "example.org")
        #expect(file.users.isEmpty)
        try file.add(name: "alice", hash: Self.newHash)
        try file.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "alice:\(Self.newHash)\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["passwd"])

        let db = try PasswdFileUserDatabase(path: path, defaultDomain: "example.org")
        #expect(db.lookup("alice")?.passwordHash == Self.newHash)
    }

    @Test func rewriteKeepsPermissions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("passwd", "alice:\(Self.hash)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        var file = try PasswdFile.load(path: path, defaultDomain: "example.org")
        try file.setPassword(name: "alice", hash: Self.newHash)
        try file.write(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try PasswdFile.load(path: path, defaultDomain: "example.org").text == "alice:\(Self.newHash)\n")
    }

    @Test func writeThroughSymlinkReplacesTheTarget() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try dir.write("real-passwd", "alice:\(Self.hash)\n")
        let link = dir.path("passwd")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        var file = try PasswdFile.load(path: link, defaultDomain: "example.org")
        try file.remove(name: "alice")
        try file.write(to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "")
    }
}
