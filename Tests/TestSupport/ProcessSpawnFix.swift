internal import CTestSpawnFix
#if canImport(Glibc)
import Glibc
#endif

/// Whether `readdir` in the test runner is the copying one of `Tests/CTestSpawnFix/spawn_fix.c`,
/// which keeps Foundation 6.3.1's `Process.run()` from crashing the runner.
public enum ProcessSpawnFix {
    /// Checked from C and from Swift: both calls must reach the replacement, as Foundation's do.
    public static var isApplied: Bool {
        guard loft_tests_readdir_copies() == 1, let directory = opendir("/proc/self/fd") else { return false }
        defer { closedir(directory) }
        let first = readdir(directory)
        let second = readdir(directory)
        return first != nil && first == second
    }
}
