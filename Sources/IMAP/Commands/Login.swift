import Auth
import LineProtocol

extension IMAPSession {
    /// RFC 3501 §6.2.3. Refused before TLS where LOGINDISABLED is advertised.
    func login(_ tag: String, user: [UInt8], password: [UInt8]) {
        guard requireNotAuthenticated(tag) else { return }
        guard plaintextAuthAllowed else {
            complete(tag, .no, code: "PRIVACYREQUIRED", "Use STARTTLS before logging in.")
            return
        }
        guard let user = String(validating: user, as: UTF8.self), let password = String(validating: password, as: UTF8.self),
              !user.isEmpty else {
            bad(tag, "User name and password must be non-empty UTF-8.")
            return
        }
        checkPassword(tag, username: user, password: password)
    }

    /// Checks the password behind this address's failure penalty, then opens the account.
    func checkPassword(_ tag: String, username: String, password: String) {
        guard let connection else { return }
        let backend = self.backend
        let clientIP = connection.clientIP
        connection.logIn(username: username, after: backend.failureDelay(clientIP: clientIP)) {
            backend.authenticate(username: username, password: password, clientIP: clientIP)
        } then: { outcome in
            switch outcome {
            case .loggedIn(let login):
                self.openAccount(tag, login: login)
            case .tooManySessions:
                self.emit("\(tag) NO [LIMIT] Too many sessions for this user from this address.")
                self.bye("Too many sessions.")
            case .failed:
                self.loginFailed(tag)
            case .temporaryFailure:
                self.complete(tag, .no, code: "UNAVAILABLE", "Authentication is temporarily unavailable; try again later.")
            }
        }
    }

    /// RFC 5530 AUTHENTICATIONFAILED; the connection ends after a few failures.
    func loginFailed(_ tag: String) {
        authFailures += 1
        emit("\(tag) NO [AUTHENTICATIONFAILED] Authentication failed.")
        if authFailures >= configuration.limits.maxAuthFailures {
            bye("Too many failed logins.")
        } else {
            flush()
        }
    }

    private func openAccount(_ tag: String, login: String) {
        let backend = self.backend
        blocking { try backend.openAccount(login: login) } then: { outcome in
            switch outcome {
            case .success(let account):
                guard self.state == .notAuthenticated else { return }
                self.account = account
                self.state = .authenticated
                // RFC 3501 §6.2.3: the capabilities change after login, so send them along.
                self.complete(tag, code: "CAPABILITY \(self.capabilities)", "Logged in.")
            case .failure(let error):
                self.connection?.logger.error("mailboxes not opened", metadata: ["user": "\(login)", "error": "\(error)"])
                self.connection?.services.metrics?.storageFailed()
                self.complete(tag, .no, code: "UNAVAILABLE", "Your mailboxes cannot be opened right now; try again later.")
            }
        }
    }
}
