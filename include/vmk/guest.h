/* ABI between a guest and the vmkernel's VMM: the ports and hypercalls a
 * guest may use.  Versioned; the bench guest and the VMM include this file. */
#ifndef VMK_GUEST_H
#define VMK_GUEST_H
#ifndef __ASSEMBLER__
#include <vmk/types.h>
#endif

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
/* One-shot timer: RDX = delay in ns (0 disarms), RCX = vector (32..255).
 * When it expires the VMM raises that vector as an external interrupt,
 * once, as soon as the guest's IF is set; a HLT with the timer armed blocks
 * the VM until then.  Only for VMs under the vmkernel's scheduler (vmk vm
 * schedule): others get VMK_EPERM. */
#define VMK_GHC_TIMER 2

/* Long-mode start.  A kernel that carries this header in its first 8 KiB
 * (8-byte aligned, checksum = -(magic + flags)) can be started directly in
 * 64-bit mode (vmk vm create --long-mode): the VMM builds identity page
 * tables for the first 1 GiB (2 MiB pages: PML4, PDPT, PD at
 * VMK_GUEST_LM_PT_GPA) and a GDT (0x08 64-bit code, 0x10 data) at
 * VMK_GUEST_LM_GDT_GPA, and enters at entry64 with CS = 0x08, DS/ES/SS =
 * 0x10, CR4 = PAE | OSFXSR | OSXMMEXCPT, EFER = LME | LMA, interrupts off,
 * RAX = VMK_GUEST_LM_MAGIC, RBX = the multiboot information's address.
 * The kernel sets up its own stack. */
#define VMK_GUEST_LM_MAGIC 0x364b4d56    /* "VMK6" */
#define VMK_GUEST_LM_PT_GPA 0x9000u      /* 3 pages */
#define VMK_GUEST_LM_GDT_GPA 0xc000u

#ifndef __ASSEMBLER__
struct vmk_guest_lm_header {
	uint32_t magic, flags, checksum, rsvd;
	uint64_t entry64;
};
#endif

/* Where the bench guest copies its AP start-up code (the start-up IPI's
 * vector is this >> 12); below the multiboot information. */
#define VMK_GUEST_AP_TRAMP_PA 0x7000u

/* Where the VMM puts the multiboot information and command line. */
#define VMK_GUEST_MBI_GPA 0x8000u
#define VMK_GUEST_CMDLINE_GPA 0x8100u
#define VMK_GUEST_CMDLINE_MAX 256u

#endif
