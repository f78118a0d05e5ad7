// The tests start thousands of processes through Foundation's Process. In swift-corelibs-foundation
// 6.3.1, Process.run() copies 256 bytes of each /proc/self/fd entry name out of glibc's 32 KiB readdir
// buffer, and the test runner crashes now and then when that buffer ends at an unmapped page (SIGSEGV
// in memmove; fixed upstream in swift-corelibs-foundation PR 5472). Once malloc serves blocks of 32 KiB
// and more by mmap, the buffer lies in its own mapping with page slack behind it and the over-read never
// faults. This runs when the test binary loads, before any test; it affects the test runner only, not
// the processes it starts.
#include <malloc.h>
#include "spawn_fix.h"

static int applied = 0;

__attribute__((constructor)) static void loft_tests_avoid_process_run_overread(void) {
    applied = mallopt(M_MMAP_THRESHOLD, 32 * 1024);
}

int loft_tests_spawn_fix_applied(void) { return applied; }
