/* The instruction a world (the COS's vCPU or a VM's) stopped on, read
 * through its own page tables: there are no decode assists in the lab (and
 * no next RIP), so the vmkernel fetches and decodes MMIO accesses itself.
 * Shared by cos_apic.c (the COS's APIC writes) and vm_apic.c (a VM's xAPIC
 * page). */
#ifndef VMK_WORLD_INSN_H
#define VMK_WORLD_INSN_H
#include "pcpu.h"
#include "../lib/x86_decode.h"

/* Reads @len bytes of the world's guest-physical memory at @pa (within one
 * page); nonzero if it is not the world's or cannot be read. */
typedef int (*world_read_fn)(void *ctx, uint64_t pa, void *dst, uint32_t len);

/* Guest-virtual to guest-physical through the world's page tables (long
 * mode, 4 or 5 levels; with paging off linear is physical), or -1 (not
 * mapped, or 32-bit paging, which no world needs yet). */
uint64_t world_gva_to_gpa(const struct world *w, uint64_t va, world_read_fn read, void *ctx);
/* Up to X86_INSN_MAX bytes at CS:RIP; the number read (0: none).  64-bit
 * code ignores the CS base. */
unsigned world_fetch(const struct world *w, world_read_fn read, void *ctx,
		     uint8_t buf[X86_INSN_MAX]);
/* The GPRs by encoding number (RAX and RSP live in the VMCB). */
void world_gprs(const struct world *w, uint64_t r[16]);
void world_gpr_set(struct world *w, unsigned n, uint64_t v);
#endif
