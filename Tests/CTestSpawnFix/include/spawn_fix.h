#ifndef LOFT_TESTS_SPAWN_FIX_H
#define LOFT_TESTS_SPAWN_FIX_H

/// 1 when readdir in this process is the test binary's copying one (see spawn_fix.c), else 0.
int loft_tests_readdir_copies(void);

#endif
