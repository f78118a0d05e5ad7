/// LIST with the LIST-EXTENDED options of RFC 5258 and the SPECIAL-USE ones of RFC 6154.
public struct IMAPListCommand: Sendable, Equatable {
    public var selectionOptions: [IMAPListSelectionOption]
    public var reference: IMAPMailboxName
    /// One pattern for basic LIST, several for `LIST "" ("a" "b")`; raw bytes with `%` and `*`.
    public var patterns: [[UInt8]]
    /// nil without RETURN; an empty array for `RETURN ()`.
    public var returnOptions: [IMAPListReturnOption]?

    public init(
        selectionOptions: [IMAPListSelectionOption] = [], reference: IMAPMailboxName, patterns: [[UInt8]],
        returnOptions: [IMAPListReturnOption]? = nil
    ) {
        self.selectionOptions = selectionOptions
        self.reference = reference
        self.patterns = patterns
        self.returnOptions = returnOptions
    }

    /// Whether this is a LIST-EXTENDED command (RFC 5258 §3: selection options, several
    /// patterns, or RETURN), whose replies may carry extended data.
    public var isExtended: Bool {
        !selectionOptions.isEmpty || patterns.count != 1 || returnOptions != nil
    }
}

/// RFC 5258 §3.1 `list-select-opt`, RFC 6154 §5.
public enum IMAPListSelectionOption: String, Sendable, Equatable {
    case subscribed = "SUBSCRIBED"
    case remote = "REMOTE"
    case recursiveMatch = "RECURSIVEMATCH"
    case specialUse = "SPECIAL-USE"
}

/// RFC 5258 §3.2 `return-option`, RFC 6154 §5, RFC 5819 LIST-STATUS.
public enum IMAPListReturnOption: Sendable, Equatable {
    case subscribed
    case children
    case specialUse
    case status([IMAPStatusAttribute])
}
