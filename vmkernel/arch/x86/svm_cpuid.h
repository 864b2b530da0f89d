/* CPUID as every world sees it (inline: it is on the exit fast path). */
#ifndef VMK_SVM_CPUID_H
#define VMK_SVM_CPUID_H
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"

/* CPUID for any world, from its RAX/RCX into its RAX/RBX/RCX/RDX: the real
 * CPU's answer with SVM hidden, since the vmkernel owns it (kvm-amd in the
 * COS then declines to load instead of failing later).  @hv: also set the
 * hypervisor-present bit. */
static inline void svm_emulate_cpuid(struct world *w, int hv)
{
	uint32_t leaf = (uint32_t)w->vmcb->s.rax, r[4];

	cpuid(leaf, (uint32_t)w->g.rcx, r);
	if (leaf == 1 && hv)
		r[2] |= 1u << 31;
	else if (leaf == 0x80000001u)
		r[2] &= ~(1u << 2);
	else if (leaf == 0x8000000au)
		r[0] = r[1] = r[2] = r[3] = 0;
	w->vmcb->s.rax = r[0];
	w->g.rbx = r[1];
	w->g.rcx = r[2];
	w->g.rdx = r[3];
}

#endif
