import NIOCore

extension IMAPSession {
    /// RFC 2177: `+ idling`, then every change of the selected mailbox at once, and a
    /// keepalive `* OK Still here` so NAT boxes keep the connection, until DONE.
    func startIdle(_ tag: String) {
        guard requireAuthenticated(tag) != nil, let connection else { return }
        continuation("idling")
        parser.beginIdle()
        let bound = NIOLoopBound(self, eventLoop: connection.eventLoop)
        let interval = TimeAmount(configuration.limits.idleKeepalive)
        let keepalive = connection.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.untagged("OK Still here")
            bound.value.flush()
        }
        idle = (tag, keepalive)
        announceChanges(expunges: true)
        flush()
    }

    func idleDone() {
        guard let (tag, _) = idle else { return }
        endIdle()
        complete(tag, "IDLE terminated.")
    }

    func endIdle() {
        idle?.keepalive.cancel()
        idle = nil
    }
}
