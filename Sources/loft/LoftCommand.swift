import ArgumentParser

@main
struct LoftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loft",
        abstract: "Loft: POP3, IMAP, SMTP submission and outbound delivery in one process.",
        subcommands: [ServeCommand.self, UserCommand.self, QueueCommand.self, TLSMemoryCommand.self]
    )
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
