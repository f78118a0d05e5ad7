/// A handler registered with `SharedMailbox.observe`. It is called until `cancel()` (or until the mailbox
/// is dropped): dropping this object does not cancel it. A call already under way when `cancel()` returns
/// may still finish.
public final class MailboxObservation: Sendable {
    private let onCancel: @Sendable () -> Void

    init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = onCancel
    }

    public func cancel() {
        onCancel()
    }
}
