internal import Foundation
internal import POSIXSupport

/// The problems one parse of a configuration file finds. The parser records a problem and goes on with
/// the next key, so the admin sees every mistake at once.
final class ConfigProblems {
    private(set) var errors: [ConfigError] = []
    /// Keys an unknown key was probably meant to be (`tsl` → `listener[0].tls`), and the tables that have
    /// an unknown key: a key missing there is most likely the same mistake, so it is not reported twice.
    private var likelyMeant: Set<String> = []
    private var tablesWithUnknownKeys: Set<String> = []

    var isEmpty: Bool { errors.isEmpty }

    /// Records `error`. A missing key (`missing`) is dropped when a misspelt key already explains it.
    func record(_ error: ConfigError, missing: Bool = false) {
        if missing {
            let paths = Self.pathAndAncestors(error.key)
            if paths.contains(where: likelyMeant.contains) { return }
            if tablesWithUnknownKeys.contains(paths.count > 1 ? paths[1] : "") { return }
        }
        errors.append(error)
    }

    /// Records an unknown key in `table` (a key path, empty for the top level) and the known key it was
    /// probably meant to be.
    func recordUnknown(_ error: ConfigError, table: String, meant: String?) {
        if let meant { likelyMeant.insert(meant) }
        tablesWithUnknownKeys.insert(table)
        errors.append(error)
    }

    /// All problems sorted by where they are in `text` (stable among problems on one line), as one error;
    /// nil when there is none.
    func combined(text: String) -> ConfigError? {
        guard !errors.isEmpty else { return nil }
        let lines = ConfigKeyLines(text: text)
        let sorted = errors.enumerated()
            .sorted { (lines.line(of: $0.element.key), $0.offset) < (lines.line(of: $1.element.key), $1.offset) }
            .map(\.element)
        var first = sorted[0]
        first.more = Array(sorted.dropFirst())
        return first
    }

    /// `a.b[1].c`, `a.b[1]`, `a.b`, `a`.
    static func pathAndAncestors(_ key: String) -> [String] {
        var paths: [String] = []
        var current = Substring(key)
        while !current.isEmpty {
            paths.append(String(current))
            if current.hasSuffix("]"), let open = current.lastIndex(of: "[") {
                current = current[..<open]
            } else if let dot = current.lastIndex(of: ".") {
                current = current[..<dot]
            } else {
                break
            }
        }
        return paths
    }
}

/// Which line of a TOML text each key path starts on (`listener[1].tls` → 23), found by reading table
/// headers and `key =` lines. Only for putting problems in file order: a key it cannot place gets the
/// line of its nearest table, and a missing key that of its table's header (0 for the top level).
struct ConfigKeyLines {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table = ""  // path of the current table
        var arrayCounts: [String: Int] = [:]  // array-of-tables path -> elements so far
        for (index, raw) in TextLines.split(text).enumerated() {
            let line = raw.trimmingPrefix { $0 == " " || $0 == "\t" }
            let number = index + 1
            if line.hasPrefix("[[") {
                guard let close = line.range(of: "]]") else { continue }
                let path = Self.resolve(Self.keyParts(line[line.index(line.startIndex, offsetBy: 2)..<close.lowerBound]), arrayCounts)
                let count = arrayCounts[path, default: 0]
                arrayCounts[path] = count + 1
                table = "\(path)[\(count)]"
                if lines[path] == nil { lines[path] = number }
                lines[table] = number
            } else if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { continue }
                table = Self.resolve(Self.keyParts(line[line.index(after: line.startIndex)..<close]), arrayCounts)
                if lines[table] == nil { lines[table] = number }
            } else if let first = line.first, first.isLetter || first.isNumber || "_-\"'".contains(first),
                      let equals = line.firstIndex(of: "=") {
                var path = table
                for part in Self.keyParts(line[..<equals]) {
                    path = path.isEmpty ? part : "\(path).\(part)"
                    if lines[path] == nil { lines[path] = number }
                }
            }
        }
    }

    /// The line `key` (or its nearest enclosing key found) starts on; 0 when none is found.
    func line(of key: String) -> Int {
        for path in ConfigProblems.pathAndAncestors(key) {
            if let line = lines[path] { return line }
        }
        return 0
    }

    /// `a . "b.c"` → ["a", "b.c"].
    private static func keyParts(_ text: Substring) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// The key path of a header's parts, with the last element of each array of tables on the way:
    /// `[[tls.sni]]` under `[tls]` is `tls.sni`; `[listener.x]` after two `[[listener]]` is `listener[1].x`.
    private static func resolve(_ parts: [String], _ arrayCounts: [String: Int]) -> String {
        var path = ""
        for (index, part) in parts.enumerated() {
            path = path.isEmpty ? part : "\(path).\(part)"
            if index < parts.count - 1, let count = arrayCounts[path] { path += "[\(count - 1)]" }
        }
        return path
    }
}
