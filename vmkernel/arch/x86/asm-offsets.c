/* Offsets the assembly uses, generated from the C structs (never typed by
 * hand).  Compiled to assembly only; the build extracts the "->" lines. */
#include <stddef.h>
#include <vmk/launch.h>
#include "pcpu.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))
#define OFF(sym, type, field) DEFINE(sym, offsetof(type, field))

void asm_offsets(void);
void asm_offsets(void)
{
	OFF(WORLD_RBX, struct world, g.rbx);
	OFF(WORLD_RCX, struct world, g.rcx);
	OFF(WORLD_RDX, struct world, g.rdx);
	OFF(WORLD_RSI, struct world, g.rsi);
	OFF(WORLD_RDI, struct world, g.rdi);
	OFF(WORLD_RBP, struct world, g.rbp);
	OFF(WORLD_R8, struct world, g.r8);
	OFF(WORLD_R9, struct world, g.r9);
	OFF(WORLD_R10, struct world, g.r10);
	OFF(WORLD_R11, struct world, g.r11);
	OFF(WORLD_R12, struct world, g.r12);
	OFF(WORLD_R13, struct world, g.r13);
	OFF(WORLD_R14, struct world, g.r14);
	OFF(WORLD_R15, struct world, g.r15);
	OFF(WORLD_VMCB_PA, struct world, vmcb_pa);
	OFF(PCPU_CUR, struct pcpu, cur);
	OFF(PCPU_HOST_VMCB_PA, struct pcpu, host_vmcb_pa);
}
