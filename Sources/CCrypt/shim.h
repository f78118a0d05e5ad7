#ifndef LOFT_CCRYPT_SHIM_H
#define LOFT_CCRYPT_SHIM_H
#include <crypt.h>
#endif
