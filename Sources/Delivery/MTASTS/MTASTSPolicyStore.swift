import Foundation
import Glibc
import POSIXSupport

/// The MTA-STS policies on disk: one JSON file per domain, `<directory>/<domain>.json`, each written whole
/// in a temporary file, fsynced and renamed over the old one (then the directory fsynced), so a crash leaves
/// the old policy or the new one. Blocking file I/O: call from a thread pool.
public struct MTASTSPolicyStore: Sendable {
    /// `<data_dir>/queue/mta-sts`, created on the first write.
    public let directory: String

    init(directory: String) {
        self.directory = directory
    }

    /// The store of the queue in `queueDirectory` (`Spool.directory`): its `mta-sts/` directory.
    public init(queueDirectory: String) {
        self.init(directory: queueDirectory + "/mta-sts")
    }

    /// Where the policy of `domain` is kept; nil for a name that cannot have one (only host names make file
    /// names: nothing with "/", "..", or a leading dot).
    public func path(for domain: String) -> String? {
        MTASTSPolicy.isHostName(domain) ? directory + "/" + domain + ".json" : nil
    }

    /// The policy stored for `domain`, or nil when there is none or its file cannot be read (logged by the
    /// caller as a fetch would be: the policy is fetched again).
    public func load(domain: String) throws -> MTASTSCachedPolicy? {
        guard let path = path(for: domain) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path).bytes
        } catch DeliveryError.system(_, _, ENOENT) {
            return nil
        }
        let cached = try Self.decoder.decode(MTASTSCachedPolicy.self, from: Data(bytes))
        return cached.domain == domain ? cached : nil
    }

    func save(_ cached: MTASTSCachedPolicy) throws {
        guard let path = path(for: cached.domain) else { return }
        try FileSystem.makeDirectory(directory)
        try FileSystem.replaceDurably(
            path, with: try Self.encoder.encode(cached) + Data("\n".utf8), directory: directory,
            temporaryPath: directory + "/.tmp-" + cached.domain)
    }

    /// Forgets an expired policy.
    func remove(domain: String) throws {
        guard let path = path(for: domain) else { return }
        if try FileSystem.unlink(path) { try FileSystem.fsyncDirectory(directory) }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
