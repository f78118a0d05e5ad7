import ArgumentParser
import Auth
import Config
import Foundation
import LoftServer

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the users in the passwd-file (with [auth] backend = \"postgresql\", manage them in the database). "
            + "The running server sees changes without a restart.",
        subcommands: [Add.self, Passwd.self, Del.self, List.self]
    )

    /// The configuration in force (the demo's when there is no config file).
    static func configuration(_ option: ConfigOption) throws -> LoftConfiguration {
        do {
            if let path = option.path { return try LoftConfiguration.load(path: path) }
        } catch let error as ConfigError {
            throw Failure(lines: error.lines)
        } catch {
            throw Failure("\(error)")
        }
        return LoftConfiguration.demo(directory: FileManager.default.currentDirectoryPath + "/loft-data")
    }

    /// The passwd-file to edit. Without a config file that is the demo's: `loft user add` creates it (with
    /// the demo user, as `loft serve` would) when it does not exist yet; the other commands say how to get one.
    static func load(_ option: ConfigOption, creating: Bool = false) throws -> PasswdFile {
        let configuration = try configuration(option)
        if case .postgresql(let settings) = configuration.auth.backend {
            throw Failure(
                "users are in PostgreSQL (database \"\(settings.database)\"), not in a passwd-file: [auth] backend = "
                    + "\"postgresql\" in \(option.path ?? "the config"); add, change and remove them in the database "
                    + "(schema: etc/loft-users.sql; a hash from `mkpasswd -m yescrypt`)")
        }
        let path = configuration.auth.passwdFile
        if option.path == nil {
            if creating {
                do {
                    if let password = try DemoEnvironment.preparePasswdFile(configuration) {
                        Output.standard(DemoEnvironment.passwordNotice(password, passwdFile: path))
                    }
                } catch {
                    throw Failure(DemoEnvironment.failure(error, directory: configuration.dataDirectory).description)
                }
            } else if !FileManager.default.fileExists(atPath: path) {
                throw Failure(
                    "there is no passwd-file yet: \(path) does not exist (no --config given and no "
                        + "\(ConfigOption.systemPath), so this is the demo's); run `loft serve` once or `loft user add NAME` "
                        + "to create it, or pass --config FILE")
            }
        }
        do {
            return try PasswdFile.load(path: path, defaultDomain: configuration.domain)
        } catch {
            throw Failure("\(error)")
        }
    }

    static func edit(_ option: ConfigOption, creating: Bool = false, _ change: (inout PasswdFile) throws -> Void) throws {
        var file = try load(option, creating: creating)
        do {
            try change(&file)
            try file.write(to: file.path)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure("\(error)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; the password comes from a prompt or from standard input.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The login name: 'alice' (default domain) or 'alice@example.org'.") var name: String
        @Option(help: "Hash scheme: yescrypt, sha512crypt or bcrypt.") var scheme: String = "yescrypt"

        func run() throws {
            let hash = try hashedPassword(scheme: scheme)
            try UserCommand.edit(config, creating: true) { try $0.add(name: name, hash: hash) }
            Output.standard("added \(name)\n")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password.")
        @OptionGroup var config: ConfigOption
        @Argument var name: String
        @Option(help: "Hash scheme: yescrypt, sha512crypt or bcrypt.") var scheme: String = "yescrypt"

        func run() throws {
            let hash = try hashedPassword(scheme: scheme)
            try UserCommand.edit(config) { try $0.setPassword(name: name, hash: hash) }
            Output.standard("password changed for \(name)\n")
        }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user (their mail stays on disk).")
        @OptionGroup var config: ConfigOption
        @Argument var name: String

        func run() throws {
            try UserCommand.edit(config) { try $0.remove(name: name) }
            Output.standard("removed \(name)\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users.")
        @OptionGroup var config: ConfigOption

        func run() throws {
            for name in try UserCommand.load(config).users { Output.standard(name + "\n") }
        }
    }
}

/// Reads the new password (twice at a terminal, without echo; one line from a pipe) and hashes it.
private func hashedPassword(scheme: String) throws -> String {
    guard let parsed = PasswordScheme(rawValue: scheme) else {
        throw Failure("--scheme: must be one of \(PasswordScheme.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(scheme)\"")
    }
    let password: String
    if isatty(STDIN_FILENO) != 0 {
        let first = PasswordPrompt.read("New password: ")
        let second = PasswordPrompt.read("Repeat password: ")
        guard first == second else { throw Failure("the passwords do not match") }
        password = first
    } else {
        password = readLine(strippingNewline: true) ?? ""
    }
    guard !password.isEmpty else { throw Failure("the password is empty") }
    do {
        return try PasswordHash.make(password: password, scheme: parsed)
    } catch {
        throw Failure("\(error)")
    }
}

enum PasswordPrompt {
    /// Prompts on the terminal with echo off.
    static func read(_ prompt: String) -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }
}
