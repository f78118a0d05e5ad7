/// A configuration problem, reported to the admin as one line naming the file, the key and what is wrong.
///
/// `description` reads `loft.toml: listener[2].address: duplicate address 0.0.0.0:110 (also used by listener[0])`.
/// Problems that concern the whole file (unreadable file, invalid TOML) have an empty `key` and read
/// `loft.toml: invalid TOML at line 3, column 7: ...`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The configuration file as the caller named it (the `path` given to `load` or `parse`).
    public var file: String
    /// The dotted key path, such as `tls.min_version` or `listener[0].address`; empty for whole-file problems.
    public var key: String
    /// What is wrong, in words an admin can act on.
    public var problem: String

    public init(file: String, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}
