/// The IMAP side of a check (RFC 3501 / RFC 9051): the greeting (`* OK`), `CAPABILITY` (untagged
/// `* CAPABILITY` lines, then the tagged OK), `STARTTLS`, `CAPABILITY` again inside TLS, `LOGOUT`.
struct IMAPCheckDialogue: TLSCheckDialogue {
    private enum State {
        case greeting, capability, startTLS, logout, done
    }

    private(set) var transcript = TLSCheckTranscript()
    private(set) var saidGoodbye = false
    private var lines = TLSCheckLineBuffer()
    private var state = State.greeting
    private var tlsActive: Bool
    private var tagNumber = 0
    private var currentTag = ""
    /// The atoms of the `* CAPABILITY` lines of the answer being read.
    private var atoms: [String] = []

    init(mode: TLSCheckMode) {
        tlsActive = mode == .implicit
    }

    var bufferedByteCount: Int { lines.bufferedByteCount }

    var awaiting: String {
        switch state {
        case .greeting: return "the greeting"
        case .capability: return tlsActive ? "the CAPABILITY answer after TLS" : "the CAPABILITY answer"
        case .startTLS: return "the STARTTLS answer"
        case .logout, .done: return "the LOGOUT answer"
        }
    }

    mutating func receive(_ bytes: [UInt8]) throws(TLSCheckDialogueError) -> [TLSCheckStep] {
        lines.append(bytes)
        var steps: [TLSCheckStep] = []
        while state != .done, let line = try lines.nextLine() {
            steps += try handle(line)
            if steps.contains(.startTLS) { break }
        }
        return steps
    }

    mutating func tlsEstablished() -> [TLSCheckStep] {
        // RFC 3501 §6.2.1: capabilities learnt before TLS are void; ask again.
        tlsActive = true
        return command("CAPABILITY", then: .capability)
    }

    private mutating func handle(_ line: String) throws(TLSCheckDialogueError) -> [TLSCheckStep] {
        switch state {
        case .greeting:
            // RFC 3501 §7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF.
            let upper = line.uppercased()
            transcript.greeting = line
            if upper.hasPrefix("* OK") || upper.hasPrefix("* PREAUTH") {
                return command("CAPABILITY", then: .capability)
            }
            guard upper.hasPrefix("* BYE") else {
                throw TLSCheckDialogueError(description: "the greeting is not an IMAP greeting: \"\(line.prefix(200))\"")
            }
            transcript.problem = "the server refused the session: \(line)"
            state = .done
            return [.finish]
        case .capability:
            if line.uppercased().hasPrefix("* CAPABILITY ") {
                atoms += line.dropFirst("* CAPABILITY ".count).split(separator: " ").map(String.init)
                return []
            }
            guard let status = tagged(line) else { return [] }  // other untagged data
            guard status == "OK" else {
                transcript.problem = "the server refused CAPABILITY: \(line)"
                return logout()
            }
            let capabilities = summary(atoms)
            atoms = []
            if tlsActive {
                transcript.afterTLS = capabilities
                return logout()
            }
            transcript.beforeTLS = capabilities
            guard capabilities.startTLS else { return logout() }
            return command("STARTTLS", then: .startTLS)
        case .startTLS:
            guard let status = tagged(line) else { return [] }
            transcript.startTLSReply = line
            guard status == "OK" else {
                transcript.problem = "the server refused STARTTLS: \(line)"
                return logout()
            }
            state = .done
            return [.startTLS]
        case .logout:
            guard tagged(line) != nil else { return [] }  // "* BYE" comes first
            state = .done
            return [.finish]
        case .done:
            return []
        }
    }

    /// "OK", "NO" or "BAD" when `line` is the tagged answer to the command in flight.
    private func tagged(_ line: String) -> String? {
        let words = line.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0] == currentTag else { return nil }
        return words[1].uppercased()
    }

    private mutating func command(_ text: String, then next: State) -> [TLSCheckStep] {
        tagNumber += 1
        currentTag = "c\(tagNumber)"
        state = next
        return [.send("\(currentTag) \(text)", awaiting: awaiting)]
    }

    private mutating func logout() -> [TLSCheckStep] {
        saidGoodbye = true
        return command("LOGOUT", then: .logout)
    }

    private func summary(_ atoms: [String]) -> TLSCheckCapabilities {
        let upper = atoms.map { $0.uppercased() }
        let mechanisms = upper.filter { $0.hasPrefix("AUTH=") }.map { String($0.dropFirst(5)) }
        let loginDisabled = upper.contains("LOGINDISABLED")
        var clear = TLSCheckCapabilities.clearTextMechanisms(mechanisms)
        if !loginDisabled { clear.insert("LOGIN", at: 0) }
        return TLSCheckCapabilities(
            lines: atoms, startTLS: upper.contains("STARTTLS"), authMechanisms: mechanisms, plaintextLogins: clear,
            loginDisabled: loginDisabled, requireTLS: nil)
    }
}
