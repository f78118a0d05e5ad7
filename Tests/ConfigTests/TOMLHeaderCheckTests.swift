import Config
import Testing

/// Found by the `config` fuzz target (Fuzz/Crashes/config/): the toml++ inside TOMLKit 0.6.0
/// aborts (debug) or hits undefined behaviour (release) on a table header that does not start
/// with a key. `LoftConfiguration.parse` refuses those headers itself, with the line number.
@Suite struct TOMLHeaderCheckTests {
    @Test("headers without a key are refused before TOML parsing",
          arguments: ["[,a]", "[[[1]]]", "[[=", "[#", "[", "hostname = \"h\"\n  [ ,submission]\n", "[pop3]\n[[ [x]]\n"])
    func refused(text: String) throws {
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.parse(text, path: "/etc/loft/loft.toml") }
        #expect(error.file == "/etc/loft/loft.toml")
        #expect(error.problem.hasPrefix("invalid TOML at line "), "\(error.problem)")
        #expect(error.problem.contains("table header must start with a key name"))
    }

    @Test func theLineIsNamed() throws {
        let error = try #require(throws: ConfigError.self) {
            try LoftConfiguration.parse("hostname = \"h\"\n\n[auth]\n[,x]\n", path: "loft.toml")
        }
        #expect(error.problem.hasPrefix("invalid TOML at line 4:"))
    }

    @Test("ordinary headers, quoted keys and multi-line arrays still parse up to Loft's own checks",
          arguments: ["[auth]\n", "[[listener]]\n", "[ \"pop3\" ]\n", "[ 'limits' ]\n", "[[ listener ]]\n", "local = [\n  \"a\",\n  \"b\",\n]\n"])
    func accepted(text: String) throws {
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.parse(text, path: "loft.toml") }
        #expect(!error.problem.contains("table header must start with a key name"), "\(error.problem)")
    }
}
