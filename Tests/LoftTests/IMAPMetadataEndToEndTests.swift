import Foundation
import MailStore
import Testing

/// METADATA (RFC 5464) for real clients: imaplib (commands registered by name) and a raw socket on 143
/// (STARTTLS) and 993 (implicit TLS), with `loft serve` restarted between setting and reading.
@Suite(.serialized) struct IMAPMetadataEndToEndTests {
    static let helpers = #"""
    imaplib.Commands["GETMETADATA"] = ("AUTH", "SELECTED")
    imaplib.Commands["SETMETADATA"] = ("AUTH", "SELECTED")
    def meta(m, name, *args):
        m.wire = []
        try:
            typ, data = m._simple_command(name, *args)
        except imaplib.IMAP4.error as e:
            typ, data = "EXC: " + str(e), []
        return {"typ": typ, "lines": [text(l).rstrip("\r\n") for l in m.wire], "data": []}
    modes = (("starttls", int(sys.argv[1])), ("ssl", int(sys.argv[2])))

    """#

    @Test("imaplib: SETMETADATA and GETMETADATA (DEPTH, MAXSIZE, literals) on both ports; entries survive a restart, RENAME and not DELETE")
    func metadataAcrossARestart() async throws {
        let server = try LoftProcess.imap(extraConfig: "\n[imap]\nmetadata_max_entries = 5\n")
        defer { server.cleanUpNow() }
        try await server.startIMAP()
        let first = try await PythonIMAP.replies(Self.helpers + #"""
        for mode, port in modes:
            m = connect(mode, port)
            login(m)
            out[mode + "_caps"] = call(m, "capability")
            if mode == "starttls":
                out["create"] = call(m, "create", "Projects")
            out[mode + "_set_server"] = meta(m, "SETMETADATA", '""', '(/shared/comment "Set over %s" /private/vendor/loft/%s "1")' % (mode, mode))
            out[mode + "_set_mailbox"] = meta(m, "SETMETADATA", "Projects", '(/private/comment "p-%s")' % mode)
            out[mode + "_depth"] = meta(m, "GETMETADATA", "(DEPTH infinity)", '""', "/private/vendor")
            out[mode + "_maxsize"] = meta(m, "GETMETADATA", "(MAXSIZE 3)", '""', "/shared/comment")
            out[mode + "_bad"] = meta(m, "GETMETADATA", '""', "/comment")
            out[mode + "_missing"] = meta(m, "SETMETADATA", "Nowhere", '(/shared/comment "x")')
            m.logout()
            r = Raw(port, mode)
            r.login()
            r.send("n SETMETADATA Projects (/shared/note-%s {6}\r\n" % mode)
            cont = r.line()
            r.send(b"a\r\nb\xe9!)\r\n")
            out[mode + "_literal"] = raw([cont] + r.until("n"))
            r.close()
        done()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)"])

        #expect(first["create"]?.ok == true)
        for mode in ["starttls", "ssl"] {
            let capabilities = (first["\(mode)_caps"]?.data.first ?? "").split(separator: " ")
            #expect(capabilities.contains("METADATA"), "\(mode)")
            #expect(first["\(mode)_set_server"]?.ok == true, "\(String(describing: first["\(mode)_set_server"]))")
            #expect(first["\(mode)_set_mailbox"]?.ok == true)
            let depth = try #require(first["\(mode)_depth"])
            let expectedDepth = mode == "starttls" ? #"* METADATA "" ("/private/vendor" NIL "/private/vendor/loft/starttls" "1")"#
                : #"* METADATA "" ("/private/vendor" NIL "/private/vendor/loft/ssl" "1" "/private/vendor/loft/starttls" "1")"#
            #expect(depth.ok && depth.untagged == [expectedDepth], "\(depth)")
            let maxSize = try #require(first["\(mode)_maxsize"])
            #expect(maxSize.ok && maxSize.untagged.isEmpty && maxSize.code("METADATA LONGENTRIES") == "\("Set over \(mode)".count)", "\(maxSize)")
            #expect(first["\(mode)_bad"]?.typ.hasPrefix("EXC:") == true && first["\(mode)_bad"]?.typ.contains("BAD") == true,
                    "\(String(describing: first["\(mode)_bad"]))")
            #expect(first["\(mode)_missing"]?.typ == "NO" && first["\(mode)_missing"]?.tagged.contains("[NONEXISTENT]") == true)
            let literal = try #require(first["\(mode)_literal"])
            #expect(literal.lines.first?.hasPrefix("+ ") == true && literal.tagged == "n OK SETMETADATA completed.", "\(literal)")
        }
        #expect(FileManager.default.fileExists(atPath: server.aliceMaildir + "/.Projects/" + MetadataFile.mailboxFileName))

        // A new process reads what the old one wrote.
        #expect(await server.stop() == 0)
        try await server.startIMAP()
        let second = try await PythonIMAP.replies(Self.helpers + #"""
        for mode, port in modes:
            m = connect(mode, port)
            login(m)
            out[mode + "_server"] = meta(m, "GETMETADATA", '""', "(/shared/comment /private/vendor/loft/ssl)")
            out[mode + "_mailbox"] = meta(m, "GETMETADATA", "(DEPTH 1)", "Projects", "(/private/comment /shared)")
            out[mode + "_toomany"] = meta(m, "SETMETADATA", '""', '(/shared/a "1" /shared/b "2" /shared/c "3")')
            m.logout()
        m = connect("ssl", modes[1][1])
        login(m)
        out["rename"] = call(m, "rename", "Projects", "Done")
        out["renamed"] = meta(m, "GETMETADATA", "Done", "/private/comment")
        out["delete"] = call(m, "delete", "Done")
        out["create"] = call(m, "create", "Done")
        out["recreated"] = meta(m, "GETMETADATA", "Done", "/private/comment")
        m.logout()
        done()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)"])

        for mode in ["starttls", "ssl"] {
            #expect(second["\(mode)_server"]?.untagged == [#"* METADATA "" ("/shared/comment" "Set over ssl" "/private/vendor/loft/ssl" "1")"#],
                    "\(String(describing: second["\(mode)_server"]))\n\(server.log)")
            let mailbox = try #require(second["\(mode)_mailbox"])
            // The literal value (CRLF and an 8-bit octet) comes back as a literal; imaplib reads it whole.
            #expect(mailbox.ok && mailbox.lines.prefix(3) == [#"* METADATA "Projects" ("/private/comment" "p-ssl" "/shared/note-ssl" {6}"#,
                                                               #" "/shared/note-starttls" {6}"#, ")"], "\(mailbox)")
        }
        for mode in ["starttls", "ssl"] {
            // [imap] metadata_max_entries = 5, and the server has 3 already.
            #expect(second["\(mode)_toomany"]?.tagged.contains("NO [METADATA TOOMANY]") == true,
                    "\(String(describing: second["\(mode)_toomany"]))")
        }
        #expect(second["rename"]?.ok == true && second["delete"]?.ok == true && second["create"]?.ok == true,
                "\(String(describing: second["rename"])) \(String(describing: second["delete"]))")
        #expect(second["renamed"]?.untagged == [#"* METADATA "Done" ("/private/comment" "p-ssl")"#], "\(String(describing: second["renamed"]))")
        #expect(second["recreated"]?.untagged == [#"* METADATA "Done" ("/private/comment" NIL)"#])
    }
}
