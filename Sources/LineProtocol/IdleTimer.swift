import NIOCore

/// The autologout timer of one connection (RFC 1939 §3, RFC 5321 §4.5.3.2.7). Reads only
/// record the time; the single scheduled task checks it when due and re-arms itself for the
/// rest, so a busy connection costs no timer churn. Use it on the channel's event loop only.
public final class IdleTimer {
    private let timeout: TimeAmount
    private var lastActivity = NIODeadline.now()
    private var eventLoop: (any EventLoop)?
    private var task: Scheduled<Void>?
    private var isPaused: (() -> Bool)?
    private var expired: (() -> Void)?

    public init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    /// Input arrived: the idle time starts again.
    public func touch() {
        lastActivity = eventLoop?.now ?? .now()
    }

    /// Arms the timer. `expired` runs once the connection was idle for the whole timeout while
    /// `isPaused()` was false (a session waiting on its own work is not idle).
    public func start(on eventLoop: any EventLoop, isPaused: @escaping () -> Bool, expired: @escaping () -> Void) {
        guard task == nil else { return }
        self.eventLoop = eventLoop
        self.isPaused = isPaused
        self.expired = expired
        touch()
        schedule(on: eventLoop, after: timeout)
    }

    /// Stops the timer and drops its callbacks (they hold the handler).
    public func cancel() {
        task?.cancel()
        task = nil
        isPaused = nil
        expired = nil
    }

    private func schedule(on eventLoop: any EventLoop, after delay: TimeAmount) {
        task = eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            guard let isPaused, let expired else { return }
            let idle = eventLoop.now - lastActivity
            if idle >= timeout && !isPaused() {
                cancel()
                expired()
            } else {
                schedule(on: eventLoop, after: max(timeout - idle, .seconds(1)))
            }
        }
    }
}

extension BlockingWorkRunner {
    /// Runs `work` after `delay` (a login failure penalty) without holding the event loop
    /// meanwhile; other connections on the loop carry on.
    public func run<T: Sendable>(
        after delay: Duration, on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T
    ) -> EventLoopFuture<T> {
        guard delay > .zero else { return run(on: eventLoop, work) }
        return eventLoop.flatScheduleTask(in: TimeAmount(delay)) { self.run(on: eventLoop, work) }.futureResult
    }
}
