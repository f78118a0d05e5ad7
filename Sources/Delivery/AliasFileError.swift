/// A problem with an aliases file: which file, which line (when one is to blame), and what is wrong.
public struct AliasFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Path of the aliases file.
    public var path: String
    /// 1-based line number, or nil when the problem is not tied to one line (e.g. unreadable file).
    public var line: Int?
    /// What is wrong, in plain words.
    public var problem: String

    public init(path: String, line: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        if let line { "\(path):\(line): \(problem)" } else { "\(path): \(problem)" }
    }
}
