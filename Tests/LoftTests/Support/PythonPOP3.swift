import Foundation

/// Python snippets that drive Loft with the standard library's `poplib`, `ssl` and `socket`.
enum PythonPOP3 {
    /// Defines `connect(mode, port)` for "stls" (POP3 + stls()) and "ssl" (POP3_SSL) with
    /// certificate checks off (the test certificate is self-signed), and `login(p)`.
    static let prelude = """
    import poplib, ssl, socket, sys, json, time, base64
    def tls_context():
        c = ssl.create_default_context()
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        return c
    def connect(mode, port):
        if mode == "ssl":
            return poplib.POP3_SSL("127.0.0.1", port, context=tls_context(), timeout=20)
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        p.stls(context=tls_context())
        return p
    def login(p, user="alice", password=\(LoftProcess.password.debugDescription)):
        p.user(user)
        return p.pass_(password)

    """

    static func run(_ body: String, _ arguments: [String] = []) async throws -> Subprocess.Result {
        try await Subprocess.python(prelude + body, arguments)
    }
}
