/// A problem with a passwd-file: which file, which line (when one is to blame), and what is wrong.
/// The text never contains a password or hash.
public struct PasswdFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Path of the passwd-file.
    public var path: String
    /// 1-based line number, or nil when the problem is not tied to one line (e.g. unreadable file).
    public var line: Int?
    /// What is wrong, in plain words.
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { "\(path):\(line): \(message)" } else { "\(path): \(message)" }
    }
}
