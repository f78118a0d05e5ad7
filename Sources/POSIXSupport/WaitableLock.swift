import Glibc

/// A value guarded by a pthread mutex, with a condition variable so a thread can sleep until another one
/// changes the value. Swift's `Mutex` has no wait; this is the pair a leader/follower hand-off needs.
///
/// Waiting blocks the calling thread: use it only on threads made for blocking work (a `NIOThreadPool`),
/// never on an event loop or Swift's cooperative pool (DESIGN.md "Runtime rules").
public final class WaitableLock<State: Sendable>: @unchecked Sendable {
    // @unchecked: `state` is only touched with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    public init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    public func withLock<Value>(_ body: (inout State) throws -> Value) rethrows -> Value {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Sleeps until `isReady(state)` holds (checked with the lock held, again after every `wakeAll()`),
    /// then runs `body` without letting go of the lock in between.
    public func withLock<Value>(
        whenReady isReady: (State) -> Bool, _ body: (inout State) throws -> Value
    ) rethrows -> Value {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !isReady(state) { pthread_cond_wait(condition, mutex) }
        return try body(&state)
    }

    /// Wakes every thread sleeping in `withLock(whenReady:_:)`, so each checks its condition again.
    public func wakeAll() {
        pthread_cond_broadcast(condition)
    }
}
