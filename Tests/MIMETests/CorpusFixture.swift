import Foundation

/// One corpus message with its reference outputs. `.expected` is Dovecot's output; when Loft
/// deliberately differs, `.loft-expected` holds Loft's output and DIFFERENCES.md the reason.
/// File format, per field: `name byteCount\n` + exactly that many bytes + `\n`.
struct CorpusFixture: Sendable, CustomStringConvertible {
    var name: String
    var message: [UInt8]
    var envelope: [UInt8]
    var body: [UInt8]
    var bodyStructure: [UInt8]
    var differsFromDovecot: Bool

    var description: String { name }

    static let directory: String = {
        let file = #filePath
        let dir = file[..<(file.lastIndex(of: "/") ?? file.endIndex)]
        return String(dir) + "/Corpus"
    }()

    static func all() -> [CorpusFixture] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted().map { load(String($0.dropLast(4))) }
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func load(_ name: String) -> CorpusFixture {
        let base = directory + "/" + name
        let loft = read(base + ".loft-expected")
        let fields = parseExpected(loft ?? read(base + ".expected") ?? [])
        return CorpusFixture(
            name: name, message: read(base + ".eml") ?? [],
            envelope: fields["envelope"] ?? [], body: fields["body"] ?? [],
            bodyStructure: fields["bodystructure"] ?? [], differsFromDovecot: loft != nil)
    }

    static func parseExpected(_ bytes: [UInt8]) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        var pos = 0
        while pos < bytes.count {
            guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { break }
            let head = String(decoding: bytes[pos..<nl], as: UTF8.self).split(separator: " ")
            guard head.count == 2, let n = Int(head[1]), nl + 1 + n <= bytes.count else { break }
            out[String(head[0])] = Array(bytes[(nl + 1)..<(nl + 1 + n)])
            pos = nl + 1 + n + 1
        }
        return out
    }
}
