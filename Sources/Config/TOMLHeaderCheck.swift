/// Refuses a table header that does not start with a key before the text reaches TOMLKit.
///
/// TOMLKit 0.6.0 bundles a toml++ whose `parse_table_header` calls `parse_key` without checking
/// the first character (fixed upstream in toml++ PR #301): `[,a]`, `[[[1]]]`, `[[=` or `[#` fail
/// an assertion and abort the process in a debug build, and are undefined behaviour in a release
/// build (`TOML_ASSERT_ASSUME`). Found by the `config` fuzz target (Fuzz/Crashes/config/).
///
/// A line whose first non-blank character is `[` is read as a header here. Inside a multi-line
/// array or string such a line is a value, which no Loft key takes, so nothing valid is refused.
enum TOMLHeaderCheck {
    /// The 1-based number of the first line with a header that does not start with a key.
    static func firstBadHeaderLine(_ text: String) -> Int? {
        let blank: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t")]
        for (index, line) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { blank.contains($0) }
            guard rest.first == UInt8(ascii: "[") else { continue }
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
            rest = rest.drop { blank.contains($0) }
            guard let first = rest.first, startsKey(first) else { return index + 1 }
        }
        return nil
    }

    /// `unquoted-key = 1*( ALPHA / DIGIT / %x2D / %x5F )`, or a basic or literal quoted key.
    private static func startsKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            true
        default:
            false
        }
    }
}
