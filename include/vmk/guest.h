/* ABI between a guest and the vmkernel's VMM: the ports and hypercalls a
 * guest may use.  Versioned; the bench guest and the VMM include this file. */
#ifndef VMK_GUEST_H
#define VMK_GUEST_H

#define VMK_GUEST_ABI_VERSION 1u

/* Console: a 16550-style transmit register, as QEMU's first serial port. */
#define VMK_GUEST_CONSOLE_PORT 0x3f8
/* Exit port, isa-debug-exit style: writing V ends the VM with status
 * (V << 1) | 1, so V = 0 is "pass" (status 1), anything else a failure. */
#define VMK_GUEST_EXIT_PORT 0xf4
#define VMK_GUEST_EXIT_PASS 0

/* Guest hypercalls: VMMCALL with RAX = number; RAX = result.  Every other
 * register is preserved. */
#define VMK_GHC_VERSION 0     /* -> VMK_GUEST_ABI_VERSION */
#define VMK_GHC_YIELD 1       /* -> 0, after the vmkernel ran another world */

/* Where the VMM puts the multiboot information and command line. */
#define VMK_GUEST_MBI_GPA 0x8000u
#define VMK_GUEST_CMDLINE_GPA 0x8100u
#define VMK_GUEST_CMDLINE_MAX 256u

#endif
