/// One entry point per parser and byte-level state machine, for libFuzzer (the executables in
/// `Fuzz/`) and for `FuzzCorpusTests`, which replays the committed corpus through them.
///
/// Every target takes arbitrary bytes, drives only pure layers (parsers and session state
/// machines: no sockets, no disk, no threads) and checks invariants with `precondition`, so a
/// violated invariant is a crash the fuzzer reports, just like a trap inside the code under test.
///
/// Session targets read their input as a control line and a client byte stream:
/// `<control bytes> LF <what the client sends>`. The first control byte picks the listener's
/// configuration; each later one picks the outcome of the next completion event (password
/// check, maildrop opened, recipient checked, TLS handshake, commit). Once the control bytes run
/// out every outcome is the successful one, so a seed with an empty control line logs in and
/// reaches the deep states.
public enum FuzzTargets {
    /// A named fuzz target.
    public struct Target: Sendable {
        /// Also the name of the corpus folder, the dictionary and the fuzzer executable.
        public let name: String
        /// A sensible libFuzzer `-max_len` for this target.
        public let maxLength: Int
        /// What it covers, for `scripts/fuzz.sh --list` and FUZZING.md.
        public let summary: String
        public let run: @Sendable (UnsafeRawBufferPointer) -> Void
    }

    /// Every target, in the order `scripts/fuzz.sh` runs them.
    public static let all: [Target] = [
        Target(name: "pop3-session", maxLength: 4096,
               summary: "POP3Session driven line by line with auth, maildrop, retrieve, commit and TLS outcomes",
               run: pop3Session),
        Target(name: "smtp-session", maxLength: 8192,
               summary: "SMTPSession over a byte stream: commands, SASL, DATA and BDAT content, all completion events",
               run: smtpSession),
        Target(name: "smtp-data", maxLength: 4096,
               summary: "SMTPDataReceiver split three ways against a reference, SMTPContentChecker, SMTPHeaderFixup",
               run: smtpData),
        Target(name: "sasl", maxLength: 1024,
               summary: "SASLExchange (PLAIN, LOGIN) line by line; results replayed through a fresh exchange",
               run: sasl),
        Target(name: "passwd", maxLength: 4096,
               summary: "passwd-file parser (PasswdFileUserDatabase.parseUsers) and PasswdFile round trip",
               run: passwd),
        Target(name: "config", maxLength: 8192,
               summary: "LoftConfiguration.parse (TOMLKit/toml++ and Loft's checks); accepted values within documented ranges",
               run: config),
        Target(name: "pop3-command", maxLength: 512,
               summary: "POP3Parser.parseCommand; accepted commands re-encoded and parsed again",
               run: pop3Command),
        Target(name: "smtp-command", maxLength: 2048,
               summary: "SMTPParser.parseCommand; accepted commands re-encoded and parsed again, error replies well-formed",
               run: smtpCommand),
        Target(name: "imap-parser", maxLength: 4096,
               summary: "IMAPCommandParser over a byte stream, whole and in pieces: same results, always progress",
               run: imapParser),
        Target(name: "mime", maxLength: 16384,
               summary: "MIMEParser and the ENVELOPE/BODY/BODYSTRUCTURE renderers: balanced lists, valid literals",
               run: mime),
    ]

    /// The target called `name`.
    public static func target(named name: String) -> Target? {
        all.first { $0.name == name }
    }
}

/// Fuzz input split into control bytes (up to the first LF) and the client's bytes (the rest).
struct SessionInput {
    private let control: [UInt8]
    private var nextControl = 0
    /// Everything after the first LF.
    let stream: [UInt8]

    init(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            control = Array(bytes[..<newline])
            stream = Array(bytes[(newline + 1)...])
        } else {
            control = bytes
            stream = []
        }
    }

    /// The next control byte; 0 (the successful outcome) once they are used up.
    mutating func choice() -> UInt8 {
        guard nextControl < control.count else { return 0 }
        defer { nextControl += 1 }
        return control[nextControl]
    }
}

/// Lines ending in LF with one CR before it dropped, like `LineFramer`; a last line without LF
/// is not returned (the glue would wait for more bytes).
struct Lines: Sequence, IteratorProtocol {
    private let bytes: [UInt8]
    private var start: Int

    init(_ bytes: [UInt8], from start: Int = 0) {
        self.bytes = bytes
        self.start = start
    }

    mutating func next() -> ArraySlice<UInt8>? {
        guard start < bytes.count, let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = bytes[start..<newline]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        start = newline + 1
        return line
    }
}

extension String {
    /// No CR or LF anywhere: safe to send as (part of) one protocol line.
    var isOneLine: Bool {
        !utf8.contains(UInt8(ascii: "\r")) && !utf8.contains(UInt8(ascii: "\n"))
    }
}
