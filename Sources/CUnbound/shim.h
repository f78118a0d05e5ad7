#ifndef LOFT_CUNBOUND_SHIM_H
#define LOFT_CUNBOUND_SHIM_H
// libunbound (Debian libunbound-dev): a validating resolver in-process. Imported only by the
// DNS target (internal import), so no ub_* symbol reaches the rest of Loft.
#include <unbound.h>
#endif
