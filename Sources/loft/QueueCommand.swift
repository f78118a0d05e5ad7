import ArgumentParser
import Config
import Delivery
import Foundation

/// `loft queue`: what `mailq`, `postqueue` and `postsuper` do for Postfix admins, on Loft's spool. Changes
/// take each entry's lock, so they never collide with a delivery in progress; a running server acts on
/// them at its next look at the spool (within seconds).
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect and manage the outbound queue (mail waiting for remote delivery).",
        subcommands: [List.self, Show.self, Retry.self, Delete.self, Bounce.self],
        defaultSubcommand: List.self
    )

    static func spool(_ option: ConfigOption) throws -> Spool {
        let configuration = try UserCommand.configuration(option)
        do {
            return try Spool(dataDirectory: configuration.dataDirectory)
        } catch {
            throw Failure("data_dir: \(error)")
        }
    }

    /// Runs `change` on entry `id` holding its lock (waiting for a delivery in progress to finish).
    static func change(_ option: ConfigOption, id: String, _ change: (Spool, SpoolEntry) throws -> String) throws {
        let spool = try spool(option)
        do {
            guard let lock = try spool.lock(id: id, wait: true) else {
                throw Failure("no queue entry \(id) (see `loft queue list`)")
            }
            defer { lock.release() }
            Output.standard(try change(spool, lock.entry) + "\n")
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("\(error)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List queued messages with their pending recipients and why they wait.")
        @OptionGroup var config: ConfigOption

        func run() throws {
            let spool = try QueueCommand.spool(config)
            let entries: [SpoolEntry]
            do { entries = try spool.entries() } catch { throw Failure("\(error)") }
            guard !entries.isEmpty else {
                Output.standard("The queue is empty.\n")
                return
            }
            var text = ""
            for entry in entries {
                text += QueueText.summary(entry) + "\n"
            }
            let recipients = entries.reduce(0) { $0 + $1.envelope.pendingRecipients.count }
            text += "-- \(entries.count) message\(entries.count == 1 ? "" : "s"), \(recipients) pending recipient\(recipients == 1 ? "" : "s")\n"
            Output.standard(text)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one queued message: envelope, every recipient's state, and its header.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The queue id (from `loft queue list`).") var id: String

        func run() throws {
            let spool = try QueueCommand.spool(config)
            let found: SpoolEntry?
            do { found = try spool.entry(id: id) } catch { throw Failure("\(error)") }
            guard let entry = found else { throw Failure("no queue entry \(id) (see `loft queue list`)") }
            Output.standard(QueueText.details(entry))
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Try one message (or all) again now instead of at its next retry time.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The queue id; none: every message.") var id: String?

        func run() throws {
            let ids: [String]
            if let id {
                ids = [id]
            } else {
                do { ids = try QueueCommand.spool(config).entries().map(\.id) } catch { throw Failure("\(error)") }
            }
            for id in ids {
                try QueueCommand.change(config, id: id) { spool, entry in
                    var envelope = entry.envelope
                    envelope.nextAttempt = nil
                    try spool.update(envelope)
                    return "\(id): will be tried again now"
                }
            }
            if ids.isEmpty { Output.standard("The queue is empty.\n") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a message from the queue without telling the sender.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The queue id.") var id: String

        func run() throws {
            try QueueCommand.change(config, id: id) { spool, _ in
                try spool.remove(id: id)
                return "\(id): deleted"
            }
        }
    }

    struct Bounce: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give up on a message: its sender gets a failure notice for every pending recipient.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The queue id.") var id: String

        func run() throws {
            try QueueCommand.change(config, id: id) { spool, entry in
                var envelope = entry.envelope
                envelope.bounceRequested = true
                envelope.nextAttempt = nil
                try spool.update(envelope)
                return "\(id): will be returned to \(envelope.sender.isEmpty ? "nobody (null sender)" : envelope.sender) by the running server (at once, or when it next starts)"
            }
        }
    }
}

/// The text `loft queue list` and `show` print.
enum QueueText {
    static func summary(_ entry: SpoolEntry) -> String {
        let envelope = entry.envelope
        let size = (try? FileManager.default.attributesOfItem(atPath: entry.messagePath)[.size] as? Int) ?? 0
        var line = "\(entry.id)  \(size) bytes  \(timestamp(envelope.arrival))  <\(envelope.sender)>"
        if envelope.bounceRequested { line += "  (bounce requested)" }
        if let next = envelope.nextAttempt { line += "  next try \(timestamp(next))" }
        for (_, recipient) in envelope.pendingRecipients {
            line += "\n    \(recipient.address)"
            if let failure = recipient.lastFailure { line += "\n      (\(failure.status) \(failure.diagnostic))" }
        }
        return line
    }

    static func details(_ entry: SpoolEntry) -> String {
        let envelope = entry.envelope
        var text = """
            id:          \(entry.id)
            sender:      <\(envelope.sender)>
            arrival:     \(timestamp(envelope.arrival))
            attempts:    \(envelope.attempts)
            next try:    \(envelope.nextAttempt.map(timestamp) ?? "as soon as possible")
            body:        \(envelope.bodyType.rawValue)\(envelope.smtputf8 ? ", SMTPUTF8" : "")
            DSN:         RET=\(envelope.ret?.rawValue ?? "-") ENVID=\(envelope.envid ?? "-")
            submitted by: \(envelope.authenticatedUser ?? "-")
            recipients:

            """
        for recipient in envelope.recipients {
            text += "  \(recipient.address)"
            if let notify = recipient.notify { text += "  NOTIFY=\(notify.map(\.rawValue).joined(separator: ","))" }
            switch recipient.outcome {
            case .delivered(let delivery)?:
                text += "\n    delivered \(timestamp(delivery.at)) to \(delivery.remoteMTA): \(delivery.reply)\n"
            case .bounced(let failure)?:
                text += "\n    bounced \(timestamp(failure.at)): \(failure.status) \(failure.diagnostic)\n"
            case nil:
                text += "\n    pending"
                if let failure = recipient.lastFailure {
                    text += "; last try \(timestamp(failure.at))\(failure.remoteMTA.map { " at \($0)" } ?? ""): \(failure.status) \(failure.diagnostic)"
                }
                text += "\n"
            }
        }
        text += "header:\n"
        if let file = FileHandle(forReadingAtPath: entry.messagePath),
           let data = try? file.read(upToCount: 64 * 1024) {
            try? file.close()
            let bytes = [UInt8](data)
            // "\r\n" is one Character: split on any line end.
            for line in String(decoding: bytes, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
                if line.isEmpty { break }
                text += "  \(line)\n"
            }
        }
        return text
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
