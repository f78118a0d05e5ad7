import ArgumentParser
import Delivery
import Foundation

/// `loft tls-memory`: what the outbound queue remembers of other servers' TLS (the STRIPTLS downgrade
/// memory), and how to forget a host or domain after a legitimate change.
struct TLSMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls-memory",
        abstract: "Show or forget the best TLS level seen per MX host and recipient domain (STRIPTLS protection).",
        subcommands: [List.self, Forget.self],
        defaultSubcommand: List.self
    )

    static func store(_ option: ConfigOption) throws -> TLSMemoryStore {
        TLSMemoryStore(directory: try QueueCommand.spool(option).directory)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List hosts and domains with their best TLS level and whether it is pinned.")
        @OptionGroup var config: ConfigOption

        func run() throws {
            let memory: TLSMemory
            do { memory = try TLSMemoryCommand.store(config).load() } catch { throw Failure("\(error)") }
            guard !memory.hosts.isEmpty || !memory.domains.isEmpty else {
                Output.standard("Nothing remembered yet: no remote delivery has been made.\n")
                return
            }
            var text = ""
            for (title, entries) in [("MX hosts", memory.hosts), ("domains", memory.domains)] where !entries.isEmpty {
                text += "\(title):\n"
                for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
                    let state = entry.isPinned ? "pinned" : "seen \(entry.sightings.count)x, not pinned yet"
                    text += "  \(name)  \(entry.best.name)  \(state)  last contact \(QueueText.timestamp(entry.lastContact))"
                    if let alerted = entry.alerted { text += "  (STRIPTLS alert: seen \(alerted.name))" }
                    text += "\n"
                }
            }
            Output.standard(text)
        }
    }

    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget what was seen of a host or domain (after a legitimate change of its TLS).")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The MX host or recipient domain.") var name: String

        func run() throws {
            let forgotten: Bool
            do { forgotten = try TLSMemoryCommand.store(config).update { $0.forget(name) } } catch { throw Failure("\(error)") }
            guard forgotten else { throw Failure("nothing is remembered about \(name) (see `loft tls-memory list`)") }
            Output.standard("\(name): forgotten; the next delivery starts afresh\n")
        }
    }
}
