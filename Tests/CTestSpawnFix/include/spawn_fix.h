#ifndef LOFT_TESTS_SPAWN_FIX_H
#define LOFT_TESTS_SPAWN_FIX_H

/// 1 once the test runner's malloc serves 32 KiB blocks by mmap (see spawn_fix.c), else 0.
int loft_tests_spawn_fix_applied(void);

#endif
