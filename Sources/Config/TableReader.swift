internal import TOMLKit

/// Reads typed values out of one TOML table and turns every mismatch into a `ConfigError`
/// that names the file and the full key path (`listener[0].tls`).
struct TableReader {
    let toml: TOMLTable
    /// Key path of this table: empty for the document root, else like `tls` or `listener[1]`.
    let path: String
    let file: String

    /// The full key path of `name` inside this table.
    func key(_ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    func error(_ name: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: key(name), problem: problem)
    }

    /// Records every key (in sorted order) not in `known`, suggesting a known key close to it.
    func rejectUnknownKeys(known: [String], into problems: ConfigProblems) {
        for name in toml.keys.sorted() where !known.contains(name) {
            var problem = "unknown key"
            let suggestion = Self.closest(to: name, among: known)
            if let suggestion {
                problem += " (did you mean \"\(suggestion)\"?)"
            }
            problems.recordUnknown(error(name, problem), table: path, meant: suggestion.map(key))
        }
    }

    /// Whether the table has the key `name` at all (whatever its type).
    func has(_ name: String) -> Bool {
        toml[name] != nil
    }

    func string(_ name: String) throws -> String? {
        guard let value = toml[name] else { return nil }
        guard let text = value.string else { throw error(name, "expected a string, got \(Self.noun(value.type))") }
        return text
    }

    /// A string that must be present and non-empty.
    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name) else { throw error(name, "required, but missing") }
        guard !text.isEmpty else { throw error(name, "must not be empty") }
        return text
    }

    func int(_ name: String) throws -> Int? {
        guard let value = toml[name] else { return nil }
        guard let number = value.int else { throw error(name, "expected an integer, got \(Self.noun(value.type))") }
        return number
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = toml[name] else { return nil }
        guard let flag = value.bool else {
            throw error(name, "expected a boolean (true or false), got \(Self.noun(value.type))")
        }
        return flag
    }

    /// A duration and the text it came from (for messages about its value).
    func duration(_ name: String) throws -> (value: Duration, text: String)? {
        guard let value = toml[name] else { return nil }
        guard let text = value.string else {
            throw error(name, "expected \(DurationText.expected) (a quoted string), got \(Self.noun(value.type))")
        }
        guard let duration = DurationText.parse(text) else {
            throw error(name, "expected \(DurationText.expected), got \"\(text)\"")
        }
        return (duration, text)
    }

    /// A size in bytes and the text it came from (for messages about its value).
    func size(_ name: String) throws -> (value: Int, text: String)? {
        guard let value = toml[name] else { return nil }
        guard let text = value.string else {
            throw error(name, "expected \(SizeText.expected) (a quoted string), got \(Self.noun(value.type))")
        }
        guard let size = SizeText.parse(text) else { throw error(name, "expected \(SizeText.expected), got \"\(text)\"") }
        return (size, text)
    }

    /// An array of strings; element `i` is named `name[i]` in messages.
    func stringArray(_ name: String) throws -> [String]? {
        guard let value = toml[name] else { return nil }
        guard let array = value.array else {
            throw error(name, "expected an array of strings, got \(Self.noun(value.type))")
        }
        return try array.enumerated().map { index, element in
            guard let text = element.string else {
                throw error("\(name)[\(index)]", "expected a string, got \(Self.noun(element.type))")
            }
            return text
        }
    }

    /// One of `choices`, given as a string; the message lists every choice.
    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, of _: Choice.Type) throws -> Choice?
    where Choice.RawValue == String {
        let names = Choice.allCases.map { "\"\($0.rawValue)\"" }
        let list = names.count == 2
            ? "\(names[0]) or \(names[1])"
            : names.dropLast().joined(separator: ", ") + " or " + names.last!
        guard let value = toml[name] else { return nil }
        guard let text = value.string else {
            throw error(name, "must be \(list) (a quoted string), got \(Self.noun(value.type))")
        }
        guard let choice = Choice(rawValue: text) else { throw error(name, "must be \(list), got \"\(text)\"") }
        return choice
    }

    /// A sub-table such as `[tls]`.
    func table(_ name: String) throws -> TableReader? {
        guard let value = toml[name] else { return nil }
        guard let child = value.table else { throw error(name, "expected a table ([\(key(name))]), got \(Self.noun(value.type))") }
        return TableReader(toml: child, path: key(name), file: file)
    }

    /// An array of tables such as `[[listener]]`; element `i` reads with path `name[i]`.
    func arrayOfTables(_ name: String) throws -> [TableReader]? {
        guard let value = toml[name] else { return nil }
        let expected = "expected an array of tables ([[\(key(name))]])"
        guard let array = value.array else { throw error(name, "\(expected), got \(Self.noun(value.type))") }
        return try array.enumerated().map { index, element in
            guard let child = element.table else {
                throw ConfigError(
                    file: file, key: "\(key(name))[\(index)]",
                    problem: "\(expected), got \(Self.noun(element.type)) in the array")
            }
            return TableReader(toml: child, path: "\(key(name))[\(index)]", file: file)
        }
    }

    /// The type's name with its article, as in "got an integer".
    static func noun(_ type: TOMLType) -> String {
        let name = type == .bool ? "boolean" : type.description
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }

    /// The known key nearest to a misspelt one, if it is close enough to be a likely typo.
    static func closest(to name: String, among known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(name, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(1, min(name.count, best.0.count) / 3) ? best.0 : nil
    }

    /// Levenshtein distance, with a swap of two adjacent letters counted as one edit (so `tsl` is near `tls`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
