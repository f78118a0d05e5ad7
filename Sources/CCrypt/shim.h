#ifndef LOFT_CCRYPT_SHIM_H
#define LOFT_CCRYPT_SHIM_H
#include <crypt.h>
#include <string.h>

/// Size of libcrypt's scratch area (`struct crypt_data`) for `crypt_rn`.
static inline int ccrypt_data_size(void) { return (int)sizeof(struct crypt_data); }

/// Zeroes memory in a way the compiler may not optimise away (scratch areas held password material).
static inline void ccrypt_wipe(void *p, size_t n) { explicit_bzero(p, n); }

#endif
