/// A configuration problem, reported to the admin as one line naming the file, the key and what is wrong.
///
/// `description` reads `loft.toml: listener[2].address: duplicate address 0.0.0.0:110 (also used by listener[0])`.
/// Problems that concern the whole file (unreadable file, invalid TOML) have an empty `key` and read
/// `loft.toml: invalid TOML at line 3, column 7: ...`.
///
/// A file with several mistakes gives one error for all of them, as a compiler does: `file`, `key` and
/// `problem` describe the first (in file order), `more` holds the others, and `description` has one line
/// per problem.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The configuration file as the caller named it (the `path` given to `load` or `parse`).
    public var file: String
    /// The dotted key path, such as `tls.min_version` or `listener[0].address`; empty for whole-file problems.
    public var key: String
    /// What is wrong, in words an admin can act on.
    public var problem: String
    /// The other problems found in the same file, in file order after this one; empty when there is one.
    public var more: [ConfigError]

    public init(file: String, key: String, problem: String, more: [ConfigError] = []) {
        self.file = file
        self.key = key
        self.problem = problem
        self.more = more
    }

    /// Every problem, one line each: this one, then `more`.
    public var lines: [String] {
        [line] + more.flatMap(\.lines)
    }

    public var description: String {
        lines.joined(separator: "\n")
    }

    private var line: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}
