/// The Maildir++ quota file `maildirsize` in a user's Maildir root, which Courier, Dovecot and Loft share
/// (the Maildir++ quota convention): the first line defines the limits (`<bytes>S,<count>C`, either part
/// left out when that resource has no limit), every further line is `<bytes> <count>`: one whole
/// recalculation, then one change per line (negative for removals). The usage is the sum of those lines.
///
/// Pure: text in, values out.
enum MaildirSizeFile {
    /// Past this size the file is recalculated instead of read (the Maildir++ rule: the deltas add up,
    /// so the file is rewritten as one line every few hundred changes).
    static let recalculationSize = 5120

    /// The first line for `limits`.
    static func definition(_ limits: QuotaLimits) -> String {
        var parts: [String] = []
        if let storage = limits.storage { parts.append("\(storage)S") }
        if let messages = limits.messages { parts.append("\(messages)C") }
        return parts.joined(separator: ",")
    }

    /// One usage line, newline included.
    static func line(storage: Int64, messages: Int64) -> String {
        "\(storage) \(messages)\n"
    }

    /// The whole file after a recalculation.
    static func text(limits: QuotaLimits, usage: QuotaUsage) -> String {
        definition(limits) + "\n" + line(storage: usage.storage, messages: usage.messages)
    }

    /// The definition line and the summed usage, or nil when the file is not in this format. A last line
    /// without its newline is a change being appended right now by another writer: it is left out (the
    /// file is then read as it was before that change).
    static func parse(_ bytes: [UInt8]) -> (definition: String, usage: QuotaUsage)? {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count >= 2 else { return nil }
        lines.removeLast()  // after the last newline: empty, or a partial line
        let definition = String(decoding: lines.removeFirst(), as: UTF8.self)
        guard !lines.isEmpty else { return nil }  // never recalculated
        var usage = QuotaUsage.zero
        for line in lines {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let storage = number(fields[0]), let messages = number(fields[1]) else { return nil }
            usage.storage += storage
            usage.messages += messages
        }
        return (definition, usage)
    }

    /// A decimal, optionally negative; nil when it is not one or does not fit.
    private static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        guard field.count <= 19 else { return nil }
        return Int64(String(decoding: field, as: UTF8.self))
    }
}
