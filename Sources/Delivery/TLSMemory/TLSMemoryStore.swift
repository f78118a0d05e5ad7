import Foundation
import Glibc
import POSIXSupport
import Synchronization

/// The downgrade memory on disk: `<data_dir>/queue/tls-memory.json`, replaced atomically (temporary file,
/// fsync, rename, directory fsync) after each change. Reread when another process (`loft tls-memory
/// forget`) changed it. Each change is a read-modify-write under an exclusive `flock` on
/// `tls-memory.lock`, so concurrent deliveries (and the CLI) neither lose each other's entries nor
/// share the temporary file. Blocking file I/O: call from a thread pool.
public final class TLSMemoryStore: Sendable {
    public let path: String
    private let lockPath: String
    private let state = Mutex<(memory: TLSMemory, stamp: Double)>((TLSMemory(), -1))

    /// - Parameter directory: the queue directory (`Spool.directory`).
    public init(directory: String) {
        path = directory + "/tls-memory.json"
        lockPath = directory + "/tls-memory.lock"
    }

    /// The memory as on disk now (empty when there is no file yet).
    /// - Throws: `DeliveryError` when the file cannot be read or decoded.
    public func load() throws -> TLSMemory {
        let stamp = Self.stamp(path)
        if let cached = state.withLock({ $0.stamp == stamp ? $0.memory : nil }) { return cached }
        var memory = TLSMemory()
        if stamp >= 0 {
            let bytes = try FileSystem.readFile(path).bytes
            do {
                memory = try Self.decoder.decode(TLSMemory.self, from: Data(bytes))
            } catch {
                throw DeliveryError.corruptStateFile(path: path, reason: "\(error)")
            }
        }
        state.withLock { $0 = (memory, stamp) }
        return memory
    }

    /// Applies `change` to the memory as on disk and writes the result; returns what `change` returned.
    @discardableResult
    public func update<T>(_ change: (inout TLSMemory) -> T) throws -> T {
        try exclusively {
            var memory = try load()
            let result = change(&memory)
            try write(memory)
            return result
        }
    }

    /// Applies `change` and writes the result only when `change` says it matters.
    public func updateIfNeeded(_ change: (inout TLSMemory) -> Bool) throws {
        try exclusively {
            var memory = try load()
            if change(&memory) { try write(memory) }
        }
    }

    /// Runs `body` holding the exclusive lock. `flock` belongs to the open file description, so two
    /// threads of this process exclude each other as two processes do.
    private func exclusively<T>(_ body: () throws -> T) throws -> T {
        let fd = try FileSystem.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        defer { FileSystem.close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileSystem.error("flock", lockPath, errno) }
        }
        return try body()
    }

    private func write(_ memory: TLSMemory) throws {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.replaceDurably(path, with: try Self.encoder.encode(memory) + Data("\n".utf8), directory: directory)
        state.withLock { $0 = (memory, Self.stamp(path)) }
    }

    private static func stamp(_ path: String) -> Double {
        guard let info = try? FileSystem.fileStatus(path) else { return -1 }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 + Double(info.st_size) * 1e-12
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
