import ArgumentParser
import Foundation

@main
struct LoftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loft",
        abstract: "Loft: POP3, IMAP, SMTP submission and outbound delivery in one process.",
        subcommands: [ServeCommand.self, UserCommand.self, QueueCommand.self, TLSMemoryCommand.self, CheckTLSCommand.self, DoctorCommand.self,
                      DKIMCommand.self, DNSCommand.self]
    )

    /// ArgumentParser's own `main`, except that `check-tls` exits 2 on a usage error (as its help
    /// says; ArgumentParser would exit 64), since monitoring reads 1 as "TLS is broken".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if arguments.first == "check-tls", exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Where the config comes from: `--config`, else the system file if present, else the demo.
struct ConfigOption: ParsableArguments {
    static let systemPath = "/etc/loft/loft.toml"

    @Option(name: .long, help: "Configuration file (default: \(ConfigOption.systemPath) if it exists, else the demo in ./loft-data).")
    var config: String?

    /// nil means the embedded demo.
    var path: String? {
        if let config { return config }
        return FileSystem.exists(Self.systemPath) ? Self.systemPath : nil
    }
}
