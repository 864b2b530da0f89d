/* Offsets of struct vmk_launch_cpu for the trampoline (asm-offsets step;
 * compiled to assembly by the build, never linked). */
#include <stddef.h>
#include <vmk/launch.h>

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))
#define OFF(sym, field) DEFINE(sym, offsetof(struct vmk_launch_cpu, field))

void launch_offsets(void);
void launch_offsets(void)
{
	OFF(LC_VMK_CR3, vmk_cr3);
	OFF(LC_VMK_ENTRY, vmk_entry);
	OFF(LC_VMK_STACK, vmk_stack);
	OFF(LC_SELF_PA, self_pa);
	OFF(LC_VMK_SELF, vmk_self);
	OFF(LC_RSP, rsp);
	OFF(LC_RIP, rip);
	OFF(LC_RFLAGS, rflags);
	OFF(LV_RAX, leave.rax);
	OFF(LV_RBX, leave.rbx);
	OFF(LV_RCX, leave.rcx);
	OFF(LV_RDX, leave.rdx);
	OFF(LV_RSI, leave.rsi);
	OFF(LV_RDI, leave.rdi);
	OFF(LV_RBP, leave.rbp);
	OFF(LV_R8, leave.r8);
	OFF(LV_R9, leave.r9);
	OFF(LV_R10, leave.r10);
	OFF(LV_R11, leave.r11);
	OFF(LV_R12, leave.r12);
	OFF(LV_R13, leave.r13);
	OFF(LV_R14, leave.r14);
	OFF(LV_R15, leave.r15);
	OFF(LV_RSP, leave.rsp);
	OFF(LV_RIP, leave.rip);
	OFF(LV_RFLAGS, leave.rflags);
	OFF(LV_CR0, leave.cr0);
	OFF(LV_CR4, leave.cr4);
	OFF(LV_DR7, leave.dr7);
	OFF(LV_GDTR_LIMIT, leave.gdtr.limit);
	OFF(LV_IDTR_LIMIT, leave.idtr.limit);
	OFF(LV_CS, leave.cs);
	OFF(LV_SS, leave.ss);
	OFF(LV_DS, leave.ds);
	OFF(LV_ES, leave.es);
}
