import Foundation
@testable import MailStore
import Testing

@Suite struct MetadataFileTests {
    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loft-metadata-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("any octets survive the file format; what encode cannot have written is refused")
    func format() {
        let entries: [String: [UInt8]] = ["/shared/a b": Array("x\ny 3\n".utf8), "/private/empty": [], "/shared/bin": [0, 255, 10]]
        #expect(MetadataFileFormat.decode(MetadataFileFormat.encode(entries)) == entries)
        #expect(MetadataFileFormat.decode(MetadataFileFormat.encode([:])) == [:])
        #expect(MetadataFileFormat.decode(Array("loft-metadata 1\n/shared/a 5\nab\n".utf8)) == nil)
        #expect(MetadataFileFormat.decode(Array("something else\n".utf8)) == nil)
    }

    @Test("update writes, removes and, when nothing is left, deletes the file; a throwing change writes nothing")
    func updates() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = MetadataFile.mailbox(folder: folder)
        try file.update { $0["/shared/comment"] = Array("hello".utf8) }
        #expect(try file.read() == ["/shared/comment": Array("hello".utf8)])
        struct Refused: Error {}
        #expect(throws: Refused.self) { try file.update { $0["/shared/other"] = []; throw Refused() } }
        #expect(try file.read().count == 1)
        try file.update { $0["/shared/comment"] = nil }
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(try file.read() == [:])
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))
    }

    @Test("two writers at once lose no update")
    func concurrentWriters() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = MetadataFile.server(root: folder)
        let perWriter = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<2 {
                group.addTask {
                    // A plain thread, so the two really run side by side on blocking calls.
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        Thread {
                            do {
                                for index in 0..<perWriter {
                                    try file.update { $0["/private/w\(writer)/\(index)"] = Array("\(index)".utf8) }
                                }
                                continuation.resume()
                            } catch {
                                continuation.resume(throwing: error)
                            }
                        }.start()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try file.read().count == 2 * perWriter)
    }

    @Test("a corrupt file is reported, not overwritten")
    func corrupt() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = MetadataFile.mailbox(folder: folder)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(throws: MetadataFileError.corrupt(path: file.path)) { try file.read() }
        #expect(throws: MetadataFileError.corrupt(path: file.path)) { try file.update { $0["/shared/a"] = [] } }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == Data("garbage".utf8))
    }
}
