import Delivery

/// The queue's STRIPTLS downgrade memory as `loft check-tls --mx` read it: `<data_dir>/queue/tls-memory.json`
/// (`loft tls-memory list` shows the same), read only.
public struct DowngradeMemoryFindings: Sendable {
    /// The file; nil when no data directory is known.
    public var path: String?
    /// What it holds (empty when there is no file yet); nil when it could not be read.
    public var memory: TLSMemory?
    /// Why it could not be read.
    public var readFailure: String?

    static func load(queueDirectory: String?, runtime: TLSCheckRuntime) async -> DowngradeMemoryFindings {
        guard let queueDirectory else { return DowngradeMemoryFindings(path: nil, memory: nil, readFailure: nil) }
        let store = TLSMemoryStore(directory: queueDirectory)
        do {
            return DowngradeMemoryFindings(path: store.path, memory: try await runtime.blocking { try store.load() }, readFailure: nil)
        } catch {
            return DowngradeMemoryFindings(path: store.path, memory: nil, readFailure: "\(error)")
        }
    }
}
