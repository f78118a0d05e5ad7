import Auth
import Foundation

extension FuzzTargets {
    /// `SASLExchange`. Input: `<control byte> LF <lines>`; the control byte picks PLAIN or LOGIN
    /// (bit 0), whether the first line is the initial response (bit 1), or whether it is the
    /// mechanism name as the client typed it (bit 2). Checks: challenges are base64; an
    /// exchange ends once and answers `malformed` afterwards; credentials have a non-empty user
    /// name and no NUL; a finished exchange, encoded again and replayed through a fresh
    /// exchange, gives the same credentials; texts for the client are one line.
    public static func sasl(_ data: UnsafeRawBufferPointer) {
        var input = SessionInput(data)
        let control = input.choice()
        var lines = Lines(input.stream).map { String(decoding: $0, as: UTF8.self) }[...]
        var exchange: SASLExchange
        if control & 4 != 0 {
            guard let name = lines.popFirst() else { return }
            guard let named = SASLExchange(mechanism: name) else {
                precondition(!["PLAIN", "LOGIN"].contains(name.uppercased()), "mechanism \(name) refused")
                return
            }
            precondition(named.mechanism.rawValue == name.uppercased())
            exchange = named
        } else {
            exchange = SASLExchange(control & 1 == 0 ? .plain : .login)
        }
        let initial = control & 2 != 0 ? lines.popFirst() : nil
        var step = exchange.start(initialResponse: initial)
        var ended = false
        while true {
            switch step {
            case .challenge(let text):
                precondition(!ended, "a challenge after the end")
                precondition(text.isEmpty || Data(base64Encoded: text) != nil, "challenge is not base64: \(text)")
            case .done(let credentials):
                precondition(!ended, "done after the end")
                ended = true
                check(credentials, mechanism: exchange.mechanism)
            case .cancelled:
                precondition(!ended, "cancelled after the end")
                ended = true
            case .malformed(let reason), .rejected(let reason):
                precondition(!reason.isEmpty && reason.isOneLine && reason.utf8.allSatisfy { $0 < 0x80 },
                             "reason not fit for a reply line")
                if case .rejected = step { precondition(!ended, "rejected after the end") }
                ended = true
            }
            guard let line = lines.popFirst() else { break }
            step = exchange.receive(line)
            if ended, case .malformed = step {} else if ended {
                preconditionFailure("a finished exchange answered \(step)")
            }
        }
    }

    static func check(_ credentials: SASLCredentials, mechanism: SASLMechanism) {
        precondition(!credentials.username.isEmpty, "empty user name")
        precondition(!credentials.username.contains("\0") && !credentials.password.contains("\0"), "NUL in credentials")
        precondition(credentials.authorizationID == nil || credentials.authorizationID == credentials.username,
                     "acting as another user")
        var replay = SASLExchange(mechanism)
        let step: SASLStep
        switch mechanism {
        case .plain:
            precondition(!credentials.password.isEmpty, "empty PLAIN password")
            let message = "\(credentials.authorizationID ?? "")\0\(credentials.username)\0\(credentials.password)"
            step = replay.start(initialResponse: Data(message.utf8).base64EncodedString())
        case .login:
            _ = replay.start(initialResponse: nil)
            _ = replay.receive(Data(credentials.username.utf8).base64EncodedString())
            step = replay.receive(Data(credentials.password.utf8).base64EncodedString())
        }
        precondition(step == .done(credentials), "replay gave \(step)")
    }

    /// The passwd-file parser (`PasswdFileUserDatabase.parseUsers`) and `PasswdFile`. Checks:
    /// every user has a canonical `local@domain` login and a crypt or locked hash; an error names
    /// the file and a line that exists; `PasswdFile` gives back the text byte for byte and
    /// lists every user the parser found.
    public static func passwd(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let path = "/etc/loft/passwd"
        let lineCount = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        var users: [UserRecord] = []
        do {
            users = try PasswdFileUserDatabase.parseUsers(bytes, path: path, defaultDomain: "Example.ORG")
            precondition(Set(users.map(\.login)).count == users.count, "a user twice")
            for user in users {
                precondition(user.login == "\(user.localPart)@\(user.domain)", "login \(user.login) is not local@domain")
                precondition(!user.localPart.isEmpty && !user.domain.isEmpty && user.domain == user.domain.lowercased())
                precondition(!user.login.contains(":") && !user.passwordHash.contains(":"))
                precondition(["$", "!", "*"].contains(user.passwordHash.first), "hash \(user.passwordHash.prefix(1))…")
                precondition(!user.extraFields.contains { $0.isEmpty || $0.contains(" ") })
            }
        } catch {
            precondition(error.path == path, "error names \(error.path)")
            precondition(error.line.map { (1...lineCount).contains($0) } ?? false, "error on line \(error.line as Any) of \(lineCount)")
            precondition(!error.message.isEmpty)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        let file = PasswdFile(text: text, path: path, defaultDomain: "example.org")
        precondition(file.text == text, "PasswdFile changed the text")
        precondition(file.users.count >= users.count, "PasswdFile lists fewer users than the parser")
    }
}
