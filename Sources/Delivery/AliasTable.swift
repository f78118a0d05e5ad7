import Synchronization
import POSIXSupport

/// Aliases from a file of lines `alias@domain: target[, target...]`, reloaded when the file changes.
///
/// Syntax: one alias per line; blank lines and lines starting with `#` are ignored. An alias or target
/// without `@` belongs to the default domain, so a target `alice` is `alice@<default domain>` (the login
/// name of a local user) and a full address may point anywhere. Domains compare case-insensitively, local
/// parts exactly (RFC 5321 §2.4). A target that is itself an alias is expanded in turn; a cycle stops at the
/// address already being expanded, which is then kept as a plain recipient (so `bob: bob, archive` keeps a
/// copy for bob).
///
/// A table built from a file `stat`s it on every call and re-reads it when device, inode, size, mtime or
/// ctime changed; if the new version is broken the previous aliases stay in effect and the problem is kept
/// in `lastReloadError`. Thread-safe; calls block on file I/O, so make them from a thread pool.
public final class AliasTable: Sendable {
    /// Path of the aliases file (for a table built from text: the name used in error messages).
    public let path: String
    /// Domain for aliases and targets without `@` (lowercased).
    public let defaultDomain: String

    private struct State {
        /// Alias (`local@domain`, domain lowercased) → targets in file order, normalised the same way.
        var aliases: [String: [String]]
        /// The loaded version of the file; nil for a table built from text (never reloaded).
        var stamp: FileStamp?
        var lastReloadError: AliasFileError?
        /// The version on disk that failed to parse, so it is not parsed again on every call.
        var failedStamp: FileStamp?
    }

    private let state: Mutex<State>

    /// Loads the aliases file at `path`.
    /// - Throws: `AliasFileError` if the file cannot be read or has a broken line.
    public init(path: String, defaultDomain: String) throws(AliasFileError) {
        self.path = path
        self.defaultDomain = defaultDomain.lowercased()
        let (text, stamp) = try Self.read(path)
        let aliases = try Self.parse(text, path: path, defaultDomain: self.defaultDomain)
        state = Mutex(State(aliases: aliases, stamp: stamp))
    }

    /// A fixed table from `text` (never reloaded); `path` names it in error messages.
    /// - Throws: `AliasFileError` for the first broken line.
    public init(text: String, path: String, defaultDomain: String) throws(AliasFileError) {
        self.path = path
        self.defaultDomain = defaultDomain.lowercased()
        let aliases = try Self.parse(text, path: path, defaultDomain: self.defaultDomain)
        state = Mutex(State(aliases: aliases, stamp: nil))
    }

    /// The problem with the current version of the file on disk, if it could not be loaded (the previous
    /// aliases are still in effect); nil once a version loaded cleanly.
    public var lastReloadError: AliasFileError? {
        refreshIfChanged()
        return state.withLock { $0.lastReloadError }
    }

    /// The addresses `address` expands to (each `local@domain` with the domain lowercased), or nil if it is
    /// not an alias. Re-reads the file first if it changed on disk.
    public func expand(_ address: String) -> [String]? {
        guard let key = Self.normalize(address, defaultDomain: defaultDomain) else { return nil }
        refreshIfChanged()
        return state.withLock { Self.expand(key, in: $0.aliases) }
    }

    /// The aliases whose expansion reaches `login` (a login name or a full address), sorted.
    public func aliases(of login: String) -> [String] {
        guard let address = Self.normalize(login, defaultDomain: defaultDomain) else { return [] }
        refreshIfChanged()
        return state.withLock { state in
            state.aliases.keys.filter { Self.expand($0, in: state.aliases)?.contains(address) == true }.sorted()
        }
    }

    // MARK: - Expansion

    private static func expand(_ key: String, in aliases: [String: [String]]) -> [String]? {
        guard aliases[key] != nil else { return nil }
        var visited: Set<String> = [key]
        var result: [String] = []
        func visit(_ alias: String) {
            for target in aliases[alias] ?? [] {
                if aliases[target] != nil && !visited.contains(target) {
                    visited.insert(target)
                    visit(target)
                } else if !result.contains(target) {
                    result.append(target)
                }
            }
        }
        visit(key)
        return result
    }

    /// `local@domain` with the domain lowercased (split at the last `@`); a name without `@` gets the
    /// default domain. Nil when a part is empty or the text contains white space or control characters.
    static func normalize(_ address: String, defaultDomain: String) -> String? {
        guard !address.isEmpty, !address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else { return nil }
        guard let at = address.lastIndex(of: "@") else { return address + "@" + defaultDomain }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else { return nil }
        return local + "@" + domain.lowercased()
    }

    // MARK: - Loading

    private static func read(_ path: String) throws(AliasFileError) -> (String, FileStamp) {
        let bytes: [UInt8], stamp: FileStamp
        do {
            let file = try FileSystem.readFile(path)
            (bytes, stamp) = (file.bytes, FileStamp(file.status))
        } catch {
            throw AliasFileError(path: path, problem: "cannot read the file: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AliasFileError(path: path, problem: "the file is not valid UTF-8 text")
        }
        return (text, stamp)
    }

    static func parse(_ text: String, path: String, defaultDomain: String) throws(AliasFileError) -> [String: [String]] {
        var aliases: [String: [String]] = [:]
        var definedOn: [String: Int] = [:]
        for (index, rawLine) in TextLines.split(text).enumerated() {
            let number = index + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            func failure(_ problem: String) -> AliasFileError { AliasFileError(path: path, line: number, problem: problem) }
            guard let colon = line.firstIndex(of: ":") else {
                throw failure("expected \"alias@domain: user[, user...]\", found no \":\"")
            }
            let aliasText = line[..<colon].trimmingWhitespace()
            guard let alias = normalize(String(aliasText), defaultDomain: defaultDomain) else {
                throw failure("\"\(aliasText)\" is not an address like alias@domain")
            }
            if let first = definedOn[alias] { throw failure("alias \(alias) is already defined on line \(first)") }
            let targetTexts = line[line.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingWhitespace() }
            guard targetTexts.contains(where: { !$0.isEmpty }) else { throw failure("alias \(alias) has no targets") }
            var targets: [String] = []
            for targetText in targetTexts {
                guard let target = normalize(String(targetText), defaultDomain: defaultDomain) else {
                    throw failure(targetText.isEmpty
                        ? "empty target in the list of \(alias) (two commas in a row?)"
                        : "target \"\(targetText)\" of \(alias) is not a user name or an address")
                }
                if !targets.contains(target) { targets.append(target) }
            }
            aliases[alias] = targets
            definedOn[alias] = number
        }
        return aliases
    }

    private func refreshIfChanged() {
        state.withLock { state in
            guard let loaded = state.stamp else { return }  // built from text
            let current: FileStamp
            do {
                guard let info = try FileSystem.fileStatus(path) else {
                    state.lastReloadError = AliasFileError(path: path, problem: "the file is gone; keeping the aliases loaded before")
                    return
                }
                current = FileStamp(info)
            } catch {
                state.lastReloadError = AliasFileError(path: path, problem: "cannot stat the file: \(error)")
                return
            }
            if current == loaded {
                state.lastReloadError = nil
                state.failedStamp = nil
                return
            }
            if current == state.failedStamp { return }
            do throws(AliasFileError) {
                let (text, stamp) = try Self.read(path)
                do throws(AliasFileError) {
                    state.aliases = try Self.parse(text, path: path, defaultDomain: defaultDomain)
                    state.stamp = stamp
                    state.failedStamp = nil
                    state.lastReloadError = nil
                } catch {
                    state.failedStamp = stamp
                    state.lastReloadError = error
                }
            } catch {
                state.lastReloadError = error
            }
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = lastIndex { !isSpace($0) }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
