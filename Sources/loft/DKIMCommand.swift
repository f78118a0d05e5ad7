import ArgumentParser
import Config
import Delivery
import Foundation
import TLS

/// `loft dkim generate`: a new DKIM key, the DNS record that publishes it and the config lines that use it.
struct DKIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim",
        abstract: "DKIM signing keys (RFC 6376, RFC 8463).",
        subcommands: [Generate.self]
    )

    enum KeyAlgorithm: String, ExpressibleByArgument, CaseIterable {
        case rsa, ed25519

        var dkim: DKIMSigningKey.Algorithm { self == .rsa ? .rsaSHA256 : .ed25519SHA256 }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new private key (mode 0600) and print its DNS TXT record and [[dkim]] lines.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The domain that signs (the From domain of its mail).") var domain: String
        @Option(help: "The selector (default: loft and the year and month, e.g. loft202612).") var selector: String?
        @Option(help: "rsa (2048 bits, rsa-sha256) or ed25519 (ed25519-sha256).") var algorithm: KeyAlgorithm = .rsa
        @Option(help: "Where to write the key (default: DATA_DIR/dkim/DOMAIN.SELECTOR.key).") var out: String?

        func validate() throws {
            guard DKIMKeySettings.isValidName(domain) else { throw ValidationError("\"\(domain)\" is not a domain name") }
            if let selector, !DKIMKeySettings.isValidName(selector) {
                throw ValidationError("the selector must be letters, digits and hyphens in dot-separated labels, not \"\(selector)\"")
            }
        }

        func run() throws {
            let configuration = try UserCommand.configuration(config)
            let domain = domain.lowercased()
            let selector = selector ?? Self.defaultSelector()
            let path: String
            if let out {
                path = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
            } else {
                let directory = configuration.dataDirectory + "/dkim"
                try makeDirectory(directory, user: configuration.user)
                path = "\(directory)/\(domain).\(selector).key"
            }
            let key: DKIMSigningKey
            do {
                try DKIMSigningKey.generate(algorithm.dkim, path: path)
                try hand(path, to: configuration.user)
                key = try DKIMSigningKey(path: path)
            } catch {
                throw Failure("\(error)")
            }
            let record = DKIMDNSRecord(domain: domain, selector: selector, key: key)
            Output.standard("""
                Wrote the \(key.algorithm.rawValue) private key to \(path) (mode 0600).

                Publish this DNS record (zone-file syntax):
                \(record.zoneFileLine)

                Add to \(config.path ?? "the configuration file") (sign = false until the record is published
                when this key replaces another one):
                [[dkim]]
                domain = "\(domain)"
                selector = "\(selector)"
                algorithm = "\(key.algorithm.rawValue)"
                key_file = "\(path)"
                sign = true

                """)
        }

        /// "loft" and the current year and month (UTC): a new selector per rollover.
        static func defaultSelector() -> String {
            let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
            return String(format: "loft%04d%02d", parts.year ?? 0, parts.month ?? 0)
        }

        /// Creates `DATA_DIR/dkim` (0700), owned by the run user when run as root.
        private func makeDirectory(_ path: String, user: String?) throws {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try hand(path, to: user)
            } catch let error as Failure {
                throw error
            } catch {
                throw Failure("cannot create \(path): \(error.localizedDescription)")
            }
        }

        /// Gives `path` to the config's `user` when run as root, so the server can read it after it drops
        /// its privileges.
        private func hand(_ path: String, to user: String?) throws {
            guard geteuid() == 0, let user else { return }
            guard let entry = getpwnam(user) else { throw Failure("user \"\(user)\" (the config's user) does not exist") }
            guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw Failure("cannot give \(path) to \(user): \(String(cString: strerror(errno)))")
            }
        }
    }
}
