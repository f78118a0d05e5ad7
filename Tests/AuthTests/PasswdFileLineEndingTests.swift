import Auth
import Testing

/// Found by the `passwd` fuzz target (Fuzz/Crashes/passwd/crlf-lines): `PasswdFile` split its
/// text on the Character "\n", and in a Swift String CR LF is one Character, so a passwd-file
/// with CRLF line endings was read as a single line. `loft user list` then showed at most the
/// first user, `add` appended users that already existed, and `del` of the first user removed
/// every line.
@Suite struct PasswdFileLineEndingTests {
    static let text = "# users\r\nalice:$6$s$h:::\r\nbob:$6$s$h\r\ncarol:$6$s$h\r\n"

    @Test func crlfLinesAreSeparateUsers() {
        let file = PasswdFile(text: Self.text, path: "/etc/loft/passwd", defaultDomain: "example.org")
        #expect(file.users == ["alice", "bob", "carol"])
        #expect(file.text == Self.text)
    }

    @Test func editsOnACRLFFileTouchOnlyTheirLine() throws {
        var file = PasswdFile(text: Self.text, path: "/etc/loft/passwd", defaultDomain: "example.org")
        #expect(throws: PasswdFileError.self) { try file.add(name: "bob", hash: "$6$x$y") }
        try file.remove(name: "alice")
        #expect(file.text == "# users\r\nbob:$6$s$h\r\ncarol:$6$s$h\r\n")
        try file.setPassword(name: "carol", hash: "$6$new$hash")
        #expect(file.text == "# users\r\nbob:$6$s$h\r\ncarol:$6$new$hash\r\n")
    }

    @Test func parserAndEditorAgreeOnCRLFFiles() throws {
        let users = try PasswdFileUserDatabase.parseUsers(Array(Self.text.utf8), path: "/etc/loft/passwd", defaultDomain: "example.org")
        #expect(users.map(\.login) == ["alice@example.org", "bob@example.org", "carol@example.org"])
    }
}
