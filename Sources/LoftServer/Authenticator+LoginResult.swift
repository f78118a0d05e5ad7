import Auth
import LineProtocol

extension Authenticator {
    /// A password check as every protocol's backend reports it. Blocking (crypt).
    func loginResult(username: String, password: String, clientIP: String) -> LoginResult {
        switch authenticate(login: username, password: password, clientIP: clientIP) {
        case .success(let user): .success(login: user.login)
        case .failure: .failure
        case .temporaryFailure(let reason): .temporaryFailure(reason)
        }
    }
}
