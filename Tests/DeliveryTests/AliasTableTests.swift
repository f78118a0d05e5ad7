@testable import Delivery
import Foundation
import Testing

@Suite("Aliases file: parsing, expansion, reload and errors")
struct AliasTableTests {
    static let sample = """
        # Role addresses
        postmaster@Example.ORG: alice
        sales@example.org: bob, carol@example.net ,alice@EXAMPLE.org

        abuse: postmaster@example.org
        team@example.org: sales@example.org, dave
        loop@example.org: loop@example.org, bob
        """

    @Test("targets are login names of the default domain or full addresses; domains are case-insensitive")
    func expansion() throws {
        let table = try AliasTable(text: Self.sample, path: "aliases", defaultDomain: "Example.org")
        #expect(table.expand("postmaster@example.org") == ["alice@example.org"])
        #expect(table.expand("postmaster@EXAMPLE.org") == ["alice@example.org"])
        #expect(table.expand("sales@example.org") == ["bob@example.org", "carol@example.net", "alice@example.org"])
        #expect(table.expand("abuse@example.org") == ["alice@example.org"], "an alias of an alias is followed")
        #expect(table.expand("team@example.org") == ["bob@example.org", "carol@example.net", "alice@example.org", "dave@example.org"])
        #expect(table.expand("loop@example.org") == ["loop@example.org", "bob@example.org"], "a self-reference keeps the address")
    }

    @Test("the local part matches exactly; unknown addresses are not aliases")
    func notAliases() throws {
        let table = try AliasTable(text: Self.sample, path: "aliases", defaultDomain: "example.org")
        #expect(table.expand("Postmaster@example.org") == nil)
        #expect(table.expand("alice@example.org") == nil)
        #expect(table.expand("postmaster@example.net") == nil)
        #expect(table.expand("") == nil)
    }

    @Test("aliases(of:) lists every alias reaching a user, by login name or address")
    func reverse() throws {
        let table = try AliasTable(text: Self.sample, path: "aliases", defaultDomain: "example.org")
        #expect(table.aliases(of: "alice") == [
            "abuse@example.org", "postmaster@example.org", "sales@example.org", "team@example.org"])
        #expect(table.aliases(of: "bob@EXAMPLE.ORG") == ["loop@example.org", "sales@example.org", "team@example.org"])
        #expect(table.aliases(of: "zoe").isEmpty)
    }

    @Test("broken lines are refused with the file and line", arguments: [
        ("alice bob\n", "aliases:1: expected \"alias@domain: user[, user...]\", found no \":\""),
        ("# c\n\n: bob\n", "aliases:3: \"\" is not an address like alias@domain"),
        ("a@x: bob\nb@x:   \n", "aliases:2: alias b@x has no targets"),
        ("a@x: bob,,carol\n", "aliases:1: empty target in the list of a@x (two commas in a row?)"),
        ("a@x: bob smith\n", "aliases:1: target \"bob smith\" of a@x is not a user name or an address"),
        ("a@x: @x\n", "aliases:1: target \"@x\" of a@x is not a user name or an address"),
        ("a@X: bob\na@x: carol\n", "aliases:2: alias a@x is already defined on line 1"),
    ])
    func errors(text: String, expected: String) throws {
        let error = try #require(throws: AliasFileError.self) {
            try AliasTable(text: text, path: "aliases", defaultDomain: "x")
        }
        #expect(error.description == expected)
    }

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/aliases"
        let error = try #require(throws: AliasFileError.self) { try AliasTable(path: path, defaultDomain: "x") }
        #expect(error.path == path)
        #expect(error.line == nil)
        #expect(error.description.contains("No such file or directory"))
    }

    @Test("a changed file is re-read; a broken version keeps the old table and reports why")
    func reload() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("info@example.org: alice\n", to: "aliases")
        let table = try AliasTable(path: path, defaultDomain: "example.org")
        #expect(table.expand("info@example.org") == ["alice@example.org"])
        #expect(table.lastReloadError == nil)

        // Replaced by rename, as editors and config tools do: a new inode, so the change is seen at once.
        try directory.write("info@example.org: bob\nsales@example.org: carol\n", to: "aliases.new")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
        #expect(table.expand("info@example.org") == ["bob@example.org"])
        #expect(table.expand("sales@example.org") == ["carol@example.org"])

        try directory.write("broken line\n", to: "aliases.new")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
        #expect(table.expand("info@example.org") == ["bob@example.org"], "the old table stays in effect")
        #expect(table.lastReloadError?.description == "\(path):1: expected \"alias@domain: user[, user...]\", found no \":\"")

        try directory.write("info@example.org: dave\n", to: "aliases.new")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
        #expect(table.expand("info@example.org") == ["dave@example.org"])
        #expect(table.lastReloadError == nil)
    }

    @Test("a file with CRLF line endings reads as the same lines, with the same line numbers in errors")
    func crlfLines() throws {
        let crlf = Self.sample.replacingOccurrences(of: "\n", with: "\r\n")
        let table = try AliasTable(text: crlf, path: "aliases", defaultDomain: "example.org")
        #expect(table.expand("sales@example.org") == ["bob@example.org", "carol@example.net", "alice@example.org"])
        #expect(table.expand("team@example.org") == ["bob@example.org", "carol@example.net", "alice@example.org", "dave@example.org"])
        #expect(throws: AliasFileError(path: "aliases", line: 2, problem: "expected \"alias@domain: user[, user...]\", found no \":\"")) {
            try AliasTable(text: "a@example.org: bob\r\nbroken\r\n", path: "aliases", defaultDomain: "example.org")
        }
    }
}
