import Foundation
import FuzzTargets
import Testing

/// Replays the committed fuzz corpus (`Fuzz/Corpus/<target>/`) and every crashing input found so
/// far (`Fuzz/Crashes/<target>/`) through the matching `FuzzTargets` function, without a fuzzer
/// build: a crash fixed once stays fixed, and the invariants the targets check hold for every
/// seed. A violated invariant traps, which fails the test run.
@Suite struct FuzzCorpusTests {
    /// `Fuzz/` at the repository root, found from this source file.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FuzzCorpusTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("Fuzz")

    static func files(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    static func replay(_ file: URL, through target: FuzzTargets.Target) throws {
        let bytes = try [UInt8](Data(contentsOf: file))
        bytes.withUnsafeBytes { target.run($0) }
    }

    @Test("every target has a non-empty seed corpus, and all of it replays cleanly",
          arguments: FuzzTargets.all.map(\.name))
    func corpus(name: String) throws {
        let target = try #require(FuzzTargets.target(named: name))
        let files = Self.files(in: Self.fuzzDirectory.appendingPathComponent("Corpus/\(name)"))
        #expect(!files.isEmpty, "Fuzz/Corpus/\(name) is missing or empty")
        for file in files { try Self.replay(file, through: target) }
    }

    @Test("every crashing input found so far replays cleanly (the bug stays fixed)")
    func crashes() throws {
        let folders = Self.files(in: Self.fuzzDirectory.appendingPathComponent("Crashes"))
        for folder in folders {
            let name = folder.lastPathComponent
            let target = try #require(FuzzTargets.target(named: name), "Fuzz/Crashes/\(name) names no fuzz target")
            for file in Self.files(in: folder) { try Self.replay(file, through: target) }
        }
    }

    @Test("the corpus and crash folders name only known targets, and each has a dictionary")
    func layout() {
        let known = Set(FuzzTargets.all.map(\.name))
        let corpus = Set(Self.files(in: Self.fuzzDirectory.appendingPathComponent("Corpus")).map(\.lastPathComponent))
        #expect(corpus == known)
        for name in known {
            let dictionary = Self.fuzzDirectory.appendingPathComponent("Dictionaries/\(name).dict")
            #expect(FileManager.default.fileExists(atPath: dictionary.path), "no Fuzz/Dictionaries/\(name).dict")
        }
    }
}
