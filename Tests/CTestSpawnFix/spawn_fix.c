// The tests start thousands of processes through Foundation's Process. In swift-corelibs-foundation
// 6.3.1, Process.run() lists /proc/self/fd and copies the whole 256-byte d_name of every entry that
// readdir(3) returns (fixed upstream in swift-corelibs-foundation PR 5472). glibc packs the entries
// tightly into its readdir buffer, so for an entry near the end of that buffer the copy reads past
// it, and the test runner dies with SIGSEGV when the next page is unmapped (seen in CI with names
// "1355"/"1356").
//
// This file gives the test binary its own readdir, which the dynamic linker prefers to glibc's for
// every caller in the process, Foundation included: it hands out a copy of the entry in a full-size
// struct dirent, so reading all of d_name stays in bounds. (An earlier fix set malloc's mmap threshold
// so that the buffer would have page slack behind it; malloc may still serve it from freed heap
// memory, and the crash came back.) The pointer stays valid until the next readdir on the same
// thread, which is what callers in this process need: each reads the name before the next call.
// This affects the test runner only, not the processes it starts.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include "spawn_fix.h"

typedef struct dirent *(*readdir_function)(DIR *);

static _Thread_local struct dirent entry_copy;

struct dirent *readdir(DIR *directory) {
    static readdir_function next = NULL;
    if (next == NULL) next = (readdir_function)dlsym(RTLD_NEXT, "readdir");
    struct dirent *entry = next(directory);
    if (entry == NULL) return NULL;
    size_t length = entry->d_reclen < sizeof entry_copy ? entry->d_reclen : sizeof entry_copy;
    memset(&entry_copy, 0, sizeof entry_copy);
    memcpy(&entry_copy, entry, length);
    return &entry_copy;
}

int loft_tests_readdir_copies(void) {
    DIR *directory = opendir("/proc/self/fd");
    if (directory == NULL) return 0;
    struct dirent *first = readdir(directory);
    struct dirent *second = readdir(directory);
    closedir(directory);
    return first != NULL && first == second && first == &entry_copy;
}
