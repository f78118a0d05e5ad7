import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process started with a clean signal mask, stdin from /dev/null, and stdout and stderr to /dev/null or
/// to a file. Foundation's Process is not used for daemons that must see signals (nsd, Postfix's master): a
/// child inherits the spawning thread's signal mask, and the threads tests run on block SIGHUP and SIGTERM,
/// which the daemon then never sees.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var exited = false
    private var waitStatus: Int32?

    /// - Parameters:
    ///   - outputPath: a file (created or appended to) for stdout and stderr; nil: /dev/null.
    ///   - ownProcessGroup: the child leads a new process group (whose id is its PID), so a daemon that signals
    ///     its own group (Postfix's master does, when it stops) reaches only the processes it started.
    public init(executable: String, arguments: [String], outputPath: String? = nil, ownProcessGroup: Bool = false) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Not the test runner's other descriptors: a pipe held open by a daemon would never see EOF.
        // (glibc 2.34+; Swift's Glibc module does not declare it.)
        if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard code == 0 else {
            throw TestDNSServer.Failure(description: "cannot start \(executable): \(String(cString: strerror(code)))")
        }
        self.pid = pid
    }

    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !exited else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exited = true
            waitStatus = status
        }
        return !exited
    }

    /// How it ended, once `isRunning` has seen it end: "exit status N" or "killed by signal N".
    public var ending: String? {
        lock.lock()
        defer { lock.unlock() }
        guard exited, let status = waitStatus else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace` seconds; reaps it.
    public func end(grace: TimeInterval = 2) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            lock.lock()
            exited = true
            lock.unlock()
        }
    }
}
