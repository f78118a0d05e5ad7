/// The size syntax of the configuration file: a whole number of bytes, optionally followed by `K`, `M`
/// or `G` (powers of 1024, either case), as in `"1000"`, `"512K"`, `"50M"` or `"1G"`.
enum SizeText {
    /// What an admin is told when a value does not match the syntax.
    static let expected = #"a size like "50M", "512K", "1G" or "1000" (bytes)"#

    /// Parses `text`, or returns nil if it is not exactly digits with an optional `K`, `M` or `G`.
    static func parse(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        // Twelve digits keep every unit far from Int overflow and are more than any size limit needs.
        guard !digits.isEmpty, digits.count <= 12, let amount = Int(digits) else { return nil }
        switch text.dropFirst(digits.count).uppercased() {
        case "": return amount
        case "K": return amount << 10
        case "M": return amount << 20
        case "G": return amount << 30
        default: return nil
        }
    }
}
