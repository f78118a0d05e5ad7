import Config
import Delivery
import Glibc
import TLS

extension LoftServer {
    /// Loads every `[[dkim]]` key as starting does (as the TLS files are checked): it must load and be of
    /// its entry's algorithm. Started as root with `user` set, keys are read as that user, since the queue
    /// signs after the privilege drop. A key that group or others may read is a warning (`warn`).
    /// - Throws: `StartupError` naming the configuration file, the entry's key and the problem.
    static func checkDKIMKeys(_ configuration: LoftConfiguration, warn: (String) -> Void) throws {
        guard !configuration.dkim.isEmpty else { return }
        let file = configuration.sourcePath.map { "\($0): " } ?? ""
        let runUser = try geteuid() == 0 ? configuration.user.map(RunUser.named) : nil
        for (index, settings) in configuration.dkim.enumerated() {
            let key = "dkim[\(index)].key_file"
            let loaded: DKIMSigningKey
            do {
                loaded = try runUser.map { user in try user.withEffectiveIDs { try DKIMSigningKey(path: settings.keyFile) } }
                    ?? DKIMSigningKey(path: settings.keyFile)
            } catch {
                throw StartupError(description: "\(file)\(key): \(error)" + (runUser.map { " (read as user \($0.name), whom Loft runs as)" } ?? ""))
            }
            guard loaded.algorithm.rawValue == settings.algorithm.rawValue else {
                throw StartupError(description: "\(file)\(key): \(settings.keyFile) holds a key for \(loaded.algorithm.rawValue), "
                    + "but algorithm is \"\(settings.algorithm.rawValue)\"")
            }
            var info = Glibc.stat()
            let result: Int32 = stat(settings.keyFile, &info)
            if result == 0, info.st_mode & 0o044 != 0 {
                warn("\(key): \(settings.keyFile) can be read by group or others (mode "
                    + String(info.st_mode & 0o777, radix: 8) + "); make it 0600")
            }
        }
    }

    /// The keys that sign (`sign = true`), for the outbound queue.
    static func dkimSigningIdentities(_ configuration: LoftConfiguration) -> [DKIMSigningIdentity] {
        configuration.dkim.filter(\.sign).map {
            DKIMSigningIdentity(domain: $0.domain, selector: $0.selector, keyFile: $0.keyFile)
        }
    }
}
