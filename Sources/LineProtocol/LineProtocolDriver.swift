/// What one protocol (POP3, SMTP, later IMAP) plugs into the shared connection skeleton,
/// `LineConnectionHandler`. The skeleton owns the socket side (input buffer and its cap,
/// backpressure, timers, STARTTLS, blocking work); the driver owns the protocol: it turns
/// input into session events and session actions into calls on `LineConnection`.
///
/// Every method runs on the channel's event loop.
public protocol LineProtocolDriver: AnyObject {
    /// The session has ended (closed, or closing after its last reply): no more input is read.
    var isClosed: Bool { get }

    /// The connection is up: send the greeting.
    func start(_ connection: LineConnection)

    /// Consumes what it can of `connection.input`. Returns false when it needs more bytes;
    /// the skeleton calls again while this returns true and nothing is waiting for a result.
    func processInput(_ connection: LineConnection) -> Bool

    /// The TLS handshake has completed (implicit TLS, or after STARTTLS).
    func tlsEstablished(_ info: TLSSessionInfo, _ connection: LineConnection)

    /// The server begins a graceful shutdown: say goodbye. Called only between commands (a
    /// command waiting for its work finishes and answers first).
    func shutdownRequested(_ connection: LineConnection)

    /// The client was idle too long (`beforeLogin` false), or did not log in within the
    /// login timeout (true).
    func timedOut(beforeLogin: Bool, _ connection: LineConnection)

    /// The client kept sending although reading was paused: reply and close.
    func tooMuchInput(_ connection: LineConnection)

    /// The socket is gone: release what the session holds.
    func connectionClosed(_ connection: LineConnection)
}
