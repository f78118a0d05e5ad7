import ArgumentParser
import Config
import Dispatch
import Foundation
import LoftServer
import Logging

/// Synchronous on purpose: the main thread binds, drops privileges and then waits, so
/// `setuid` reaches every thread (see `LoftServer.start`).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run every configured listener until SIGTERM or SIGINT; SIGHUP reloads certificates and users."
    )

    @OptionGroup var config: ConfigOption

    @Flag(name: .customLong("check-config"),
          help: "Check the configuration, users, aliases and certificates, then exit (0: loft would start with them).")
    var checkConfig = false

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("log-format"), help: "text (one line per event, the default) or json (one JSON object per line).")
    var logFormat = LogFormat.text

    func run() throws {
        let format = logFormat
        LoggingSystem.bootstrap { label in
            guard format == .text else { return JSONLogHandler(label: label) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "loft")

        if checkConfig { return try check() }
        let configuration: LoftConfiguration
        do {
            if let path = config.path {
                configuration = try LoftConfiguration.load(path: path)
                logger.info("configuration", metadata: ["file": "\(path)"])
            } else {
                let directory = FileManager.default.currentDirectoryPath + "/loft-data"
                let demo = try DemoEnvironment.prepare(directory: directory)
                configuration = demo.configuration
                logger.info("no config file: running the demo", metadata: ["data_dir": "\(directory)"])
                if let password = demo.newPassword {
                    Output.standard(DemoEnvironment.passwordNotice(password, passwdFile: configuration.auth.passwdFile))
                }
            }
        } catch let error as ConfigError {
            throw Failure(lines: error.lines)
        } catch {
            throw Failure("\(error)")
        }

        let signals = SignalWatcher()
        let server: LoftServer
        do {
            server = try LoftServer(configuration: configuration, logger: logger)
            let bound = try server.start()
            if config.path == nil {
                Output.standard("Loft demo listening on " + bound.map(\.description).joined(separator: ", ") + "\n")
            }
            SystemdNotify.ready(listeners: bound.count)
        } catch {
            throw Failure("\(error)")
        }
        signals.onReload {
            SystemdNotify.reloading()
            server.reload()
            SystemdNotify.reloaded()
        }
        let signal = signals.waitForStop()
        logger.info("received signal, stopping", metadata: ["signal": "\(signal)"])
        SystemdNotify.stopping()
        server.shutdown()
    }

    /// `--check-config`: what `serve` reads before it starts, checked, and nothing started. A
    /// service manager runs it before a restart (`ExecStartPre`), so a broken edit keeps the old
    /// server running.
    private func check() throws {
        guard let path = config.path else {
            return Output.standard("No config file: `loft serve` would run the demo in ./loft-data.\n")
        }
        do {
            let configuration = try LoftConfiguration.load(path: path)
            let warnings = try LoftServer.check(configuration)
            var report = "\(path): OK, \(configuration.listeners.count) listeners\n"
            for listener in configuration.listeners {
                report += "  \(listener.protocol.rawValue) \(listener.address) tls=\(listener.tls.rawValue)\n"
            }
            report += warnings.map { "  warning: \($0)\n" }.joined()
            Output.standard(report)
        } catch let error as ConfigError {
            throw Failure(lines: error.lines)
        } catch {
            throw Failure("\(error)")
        }
    }
}

/// An error whose text is the whole message: ArgumentParser prints it as "Error: <text>".
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    /// Several problems: ArgumentParser puts "Error: " before the first, and each other one gets its own.
    init(lines: [String]) { self.description = lines.joined(separator: "\nError: ") }
}

enum Output {
    static func standard(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
