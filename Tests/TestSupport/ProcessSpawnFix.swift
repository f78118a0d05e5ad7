internal import CTestSpawnFix

/// Whether the test runner's malloc serves 32 KiB blocks by mmap, which keeps Foundation 6.3.1's
/// `Process.run()` from crashing the runner (see `Tests/CTestSpawnFix/spawn_fix.c`).
public enum ProcessSpawnFix {
    public static var isApplied: Bool { loft_tests_spawn_fix_applied() == 1 }
}
