/* Fixed-width types for headers shared by the module, the vmkernel, guests
 * and hosted tools. */
#ifndef VMK_TYPES_H
#define VMK_TYPES_H
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif
#endif
