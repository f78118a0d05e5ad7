/// The lines of a text file, for every parser of Loft's own files (aliases, uidlist, keywords,
/// subscriptions, the config's key positions).
public enum TextLines {
    /// `text` split at each LF, with a CR right before it dropped, empty lines kept (a text that
    /// ends with LF ends with an empty line). Splits on the LF scalar, not the Character "\n": in
    /// a Swift String CR LF is one Character, so splitting on "\n" leaves a CRLF file as one line.
    public static func split(_ text: String) -> [Substring] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars in
            var line = Substring(scalars)
            if line.unicodeScalars.last == "\r" { line = Substring(line.unicodeScalars.dropLast()) }
            return line
        }
    }
}
