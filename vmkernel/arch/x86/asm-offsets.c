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
	OFF(PCPU_RBX, struct pcpu, g.rbx);
	OFF(PCPU_RCX, struct pcpu, g.rcx);
	OFF(PCPU_RDX, struct pcpu, g.rdx);
	OFF(PCPU_RSI, struct pcpu, g.rsi);
	OFF(PCPU_RDI, struct pcpu, g.rdi);
	OFF(PCPU_RBP, struct pcpu, g.rbp);
	OFF(PCPU_R8, struct pcpu, g.r8);
	OFF(PCPU_R9, struct pcpu, g.r9);
	OFF(PCPU_R10, struct pcpu, g.r10);
	OFF(PCPU_R11, struct pcpu, g.r11);
	OFF(PCPU_R12, struct pcpu, g.r12);
	OFF(PCPU_R13, struct pcpu, g.r13);
	OFF(PCPU_R14, struct pcpu, g.r14);
	OFF(PCPU_R15, struct pcpu, g.r15);
	OFF(PCPU_VMCB_PA, struct pcpu, vmcb_pa);
	OFF(PCPU_HOST_VMCB_PA, struct pcpu, host_vmcb_pa);
}
