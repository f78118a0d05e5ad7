import Foundation
import IMAP
import MailStore
import Testing

/// METADATA (RFC 5464) over a real Maildir: server and mailbox entries, DEPTH, MAXSIZE, limits, RENAME, DELETE.
@Suite(.serialized) struct MetadataSessionTests {
    static func session(limits: IMAPLimits = IMAPLimits(), withheld: Set<String> = []) throws -> (TemporaryMailBackend, IMAPHarness) {
        let backend = try TemporaryMailBackend()
        let session = try IMAPHarness(backend: backend, limits: limits, withheld: withheld)
        try session.login()
        return (backend, session)
    }

    @Test("CAPABILITY lists METADATA; withheld, its commands are refused")
    func capability() throws {
        let (backend, session) = try Self.session()
        defer { backend.remove(); session.close() }
        #expect(try session.send("c CAPABILITY\r\n").contains(" METADATA"))
        let (other, withheld) = try Self.session(withheld: ["METADATA"])
        defer { other.remove(); withheld.close() }
        #expect(try !withheld.send("c CAPABILITY\r\n").contains("METADATA"))
        #expect(try withheld.send("g GETMETADATA \"\" /shared/comment\r\n") == "g BAD METADATA is not offered on this connection.\r\n")
        #expect(try withheld.send("s SETMETADATA \"\" (/shared/comment \"x\")\r\n") == "s BAD METADATA is not offered on this connection.\r\n")
    }

    @Test("server entries: set, read back (NIL when missing), remove with NIL; private and shared are apart")
    func serverEntries() throws {
        let (backend, session) = try Self.session()
        defer { backend.remove(); session.close() }
        #expect(try session.send("a GETMETADATA \"\" /shared/comment\r\n")
            == "* METADATA \"\" (\"/shared/comment\" NIL)\r\na OK GETMETADATA completed.\r\n")
        #expect(try session.send("b SETMETADATA \"\" (/shared/comment \"Shared\" /private/comment \"Mine\")\r\n")
            == "b OK SETMETADATA completed.\r\n")
        #expect(try session.send("c GETMETADATA \"\" (/SHARED/Comment /private/comment)\r\n")
            == "* METADATA \"\" (\"/shared/comment\" \"Shared\" \"/private/comment\" \"Mine\")\r\nc OK GETMETADATA completed.\r\n")
        #expect(try session.send("d SETMETADATA \"\" (/shared/comment NIL)\r\n") == "d OK SETMETADATA completed.\r\n")
        #expect(try session.send("e GETMETADATA \"\" (/shared/comment /private/comment)\r\n")
            == "* METADATA \"\" (\"/shared/comment\" NIL \"/private/comment\" \"Mine\")\r\ne OK GETMETADATA completed.\r\n")
        #expect(FileManager.default.fileExists(atPath: backend.root + "/" + MetadataFile.serverFileName))
        // INBOX's entries are its own, though INBOX's folder is the root too.
        #expect(try session.send("f GETMETADATA INBOX /private/comment\r\n")
            == "* METADATA \"INBOX\" (\"/private/comment\" NIL)\r\nf OK GETMETADATA completed.\r\n")
    }

    @Test("a literal value with CRLF and 8-bit octets comes back as a literal")
    func literalValues() throws {
        let (backend, session) = try Self.session()
        defer { backend.remove(); session.close() }
        #expect(try session.send("a SETMETADATA INBOX (/private/note {9}\r\n") == "+ Ready for literal data\r\n")
        #expect(try session.send("two\r\nl\u{e9}s)\r\n") == "a OK SETMETADATA completed.\r\n")
        #expect(try session.send("b GETMETADATA INBOX /private/note\r\n")
            == "* METADATA \"INBOX\" (\"/private/note\" {9}\r\ntwo\r\nl\u{e9}s)\r\nb OK GETMETADATA completed.\r\n")
    }

    @Test("DEPTH 0, 1 and infinity; MAXSIZE leaves long values out and says LONGENTRIES")
    func depthAndMaxSize() throws {
        let (backend, session) = try Self.session()
        defer { backend.remove(); session.close() }
        _ = try session.send("c CREATE Work\r\n")
        #expect(try session.send("s SETMETADATA Work (/shared/v \"top\" /shared/v/a \"1\" /shared/v/a/b \"22\" /shared/v/c \"long value\")\r\n")
            == "s OK SETMETADATA completed.\r\n")
        #expect(try session.send("a GETMETADATA Work /shared/v\r\n") == "* METADATA \"Work\" (\"/shared/v\" \"top\")\r\na OK GETMETADATA completed.\r\n")
        #expect(try session.send("b GETMETADATA (DEPTH 1) Work /shared/v\r\n")
            == "* METADATA \"Work\" (\"/shared/v\" \"top\" \"/shared/v/a\" \"1\" \"/shared/v/c\" \"long value\")\r\nb OK GETMETADATA completed.\r\n")
        #expect(try session.send("r GETMETADATA (DEPTH infinity) Work (/private /shared)\r\n")
            == "* METADATA \"Work\" (\"/shared/v\" \"top\" \"/shared/v/a\" \"1\" \"/shared/v/a/b\" \"22\" \"/shared/v/c\" \"long value\")\r\nr OK GETMETADATA completed.\r\n")
        #expect(try session.send("c GETMETADATA (DEPTH infinity) Work /shared/v/a\r\n")
            == "* METADATA \"Work\" (\"/shared/v/a\" \"1\" \"/shared/v/a/b\" \"22\")\r\nc OK GETMETADATA completed.\r\n")
        #expect(try session.send("d GETMETADATA (MAXSIZE 2 DEPTH infinity) Work /shared/v\r\n")
            == "* METADATA \"Work\" (\"/shared/v/a\" \"1\" \"/shared/v/a/b\" \"22\")\r\nd OK [METADATA LONGENTRIES 10] GETMETADATA completed; longer values left out.\r\n")
        #expect(try session.send("e GETMETADATA (MAXSIZE 0) Work /shared/v\r\n")
            == "e OK [METADATA LONGENTRIES 3] GETMETADATA completed; longer values left out.\r\n")
    }

    @Test("MAXSIZE and TOOMANY refuse the whole command and change nothing; bad names are BAD")
    func limits() throws {
        var limits = IMAPLimits()
        limits.maxMetadataValueSize = 8
        limits.maxMetadataEntries = 2
        let (backend, session) = try Self.session(limits: limits)
        defer { backend.remove(); session.close() }
        #expect(try session.send("a SETMETADATA INBOX (/shared/a \"1\" /shared/b \"123456789\")\r\n")
            == "a NO [METADATA MAXSIZE 8] SETMETADATA failed: a value is longer than 8 octets.\r\n")
        #expect(try session.send("b SETMETADATA INBOX (/shared/a \"1\" /private/a \"2\")\r\n") == "b OK SETMETADATA completed.\r\n")
        #expect(try session.send("c SETMETADATA INBOX (/shared/a \"changed\" /shared/c \"3\")\r\n")
            == "c NO [METADATA TOOMANY] SETMETADATA failed: more than 2 entries.\r\n")
        #expect(try session.send("d GETMETADATA INBOX (/shared/a /shared/c)\r\n")
            == "* METADATA \"INBOX\" (\"/shared/a\" \"1\" \"/shared/c\" NIL)\r\nd OK GETMETADATA completed.\r\n")
        #expect(try session.send("e SETMETADATA INBOX (/shared/a \"changed\" /private/a NIL /shared/c \"3\")\r\n") == "e OK SETMETADATA completed.\r\n")
        #expect(try session.send("f SETMETADATA INBOX (/comment \"x\")\r\n").hasPrefix("f BAD Invalid entry name /comment"))
        #expect(try session.send("g GETMETADATA INBOX \"/shared/*\"\r\n").hasPrefix("g BAD Invalid entry name /shared/*"))
        #expect(try session.send("h NOOP\r\n") == "h OK NOOP completed.\r\n")
    }

    @Test("a missing mailbox is NO [NONEXISTENT]; RENAME carries the entries, DELETE drops them")
    func renameAndDelete() throws {
        let (backend, session) = try Self.session()
        defer { backend.remove(); session.close() }
        #expect(try session.send("a GETMETADATA Nowhere /shared/comment\r\n") == "a NO [NONEXISTENT] GETMETADATA failed: no such mailbox.\r\n")
        #expect(try session.send("b SETMETADATA Nowhere (/shared/comment \"x\")\r\n") == "b NO [NONEXISTENT] SETMETADATA failed: no such mailbox.\r\n")
        _ = try session.send("c CREATE Old\r\n")
        _ = try session.send("d SETMETADATA Old (/private/comment \"kept\")\r\n")
        #expect(try session.send("e RENAME Old New\r\n").hasPrefix("e OK"))
        #expect(try session.send("f GETMETADATA New /private/comment\r\n")
            == "* METADATA \"New\" (\"/private/comment\" \"kept\")\r\nf OK GETMETADATA completed.\r\n")
        #expect(try session.send("g DELETE New\r\n").hasPrefix("g OK"))
        _ = try session.send("h CREATE New\r\n")
        #expect(try session.send("i GETMETADATA New /private/comment\r\n")
            == "* METADATA \"New\" (\"/private/comment\" NIL)\r\ni OK GETMETADATA completed.\r\n")
    }
}
