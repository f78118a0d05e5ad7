/// Fired as a user inbound event on every live connection when the server begins a graceful
/// shutdown: the protocol says goodbye in its own words (POP3 `-ERR`, SMTP `421`, IMAP `BYE`)
/// and closes once nothing it must finish (an UPDATE-state commit, a delivery) is in flight.
public struct ServerShuttingDown: Sendable {
    public init() {}
}
