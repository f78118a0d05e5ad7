/// Where the queue hands the reports it writes (bounces, delay and success notices, RFC 3464): the server
/// delivers them to a local sender's Maildir or queues them for a remote one, with the null reverse-path.
public protocol DeliveryReportSink: Sendable {
    /// Delivers `message` (a complete RFC 5322 message) to `recipient` durably. Blocking (file I/O):
    /// called on a thread pool.
    func deliverReport(_ message: [UInt8], to recipient: String) throws
}
