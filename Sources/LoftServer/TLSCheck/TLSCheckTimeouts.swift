import NIOCore

/// How long a check waits for each step before it gives up and says what it was waiting for.
public struct TLSCheckTimeouts: Sendable {
    /// For the TCP connection.
    public var connect: TimeAmount
    /// For each reply, and for the TLS handshake.
    public var reply: TimeAmount

    public init(connect: TimeAmount = .seconds(10), reply: TimeAmount = .seconds(30)) {
        self.connect = connect
        self.reply = reply
    }

    /// "10 s", for messages.
    static func text(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
