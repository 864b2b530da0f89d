/* The COS's writes to its local APIC.  Nested paging maps the APIC page
 * read-only for the COS, so reads go straight to the hardware and each write
 * exits here.  QEMU gives no decode assists, so the vmkernel reads the
 * instruction at the COS's RIP through the COS's own page tables, decodes the
 * few forms a kernel writes MMIO with (MOV r/m32 from a register or an
 * immediate, XCHG), and does the write itself, except:
 *   - INIT and start-up IPIs never reach the wire: a physical INIT would reset
 *     a CPU out from under the vmkernel.  They go to cpuctl.c, which starts a
 *     CPU the COS gets back and refuses the rest;
 *   - SMI and ExtINT IPIs and writes to the APIC ID are dropped.
 * Anything the decoder does not know gets #GP in the COS: a COS bug or an
 * attack, and either way the write does not happen. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"
#include "vmcb.h"
#include "lapic.h"
#include "cpuctl.h"
#include "world_insn.h"

#define VEC_GP 13

static int cos_mem(void *ctx, uint64_t pa, void *dst, uint32_t len)
{
	return cos_read(((struct pcpu *)ctx)->index, pa, dst, len);
}

static void apic_store(struct pcpu *p, unsigned off, uint32_t v)
{
	if (off == LAPIC_ID)
		return;   /* the vmkernel addresses CPUs by APIC ID */
	if (off >= LAPIC_LVTT && off <= 0x370 &&
	    (ICR_MODE(v) == ICR_INIT || ICR_MODE(v) == ICR_SMI)) {
		p->stat.ipis_blocked++;   /* an LVT that would INIT or SMI this CPU */
		return;
	}
	if (off == LAPIC_ICR_LO) {
		unsigned mode = ICR_MODE(v);

		if (mode == ICR_INIT || mode == ICR_SIPI) {
			cpuctl_cos_startup_ipi(p, v, lapic_read(LAPIC_ICR_HI) >> 24);
			return;
		}
		if (mode == ICR_SMI || mode == ICR_EXTINT) {
			p->stat.ipis_blocked++;
			return;
		}
	}
	lapic_write(off, v);
}

void cos_apic_write(struct pcpu *p)
{
	struct vmcb *v = p->cos.vmcb;
	unsigned off = (unsigned)(v->c.exit_info_2 & (PAGE_SIZE - 1));
	uint64_t regs[16];
	struct x86_store w;
	uint8_t insn[X86_INSN_MAX];
	unsigned n = 0;

	p->stat.apic_writes++;
	world_gprs(&p->cos, regs);
	/* CPL 0, 64-bit code, the store itself (not a page-table walk that
	 * landed on the APIC page). */
	if (v->s.cpl == 0 && (v->s.cs.attrib & 0x200) && !(v->c.exit_info_1 & (1ull << 33)))
		n = world_fetch(&p->cos, cos_mem, p, insn);
	if (!n || x86_decode_store32(insn, n, regs, &w) != VMK_OK || (off & 3)) {
		static unsigned logged;

		if (__atomic_fetch_add(&logged, 1, __ATOMIC_RELAXED) < 8)
			vmk_log("cpu%u: COS APIC write at %03x from rip %lx not understood: #GP\n",
				p->linux_cpu, off, v->s.rip);
		/* An event being delivered again goes first; the write is retried. */
		if (!(v->c.event_inj & SVM_EVT_VALID))
			svm_inject_exception(p, VEC_GP, 1, 0);
		return;
	}
	if (w.xchg_reg >= 0)
		world_gpr_set(&p->cos, (unsigned)w.xchg_reg, lapic_read(off & ~15u));
	if (!(off & 15))   /* registers sit at 16-byte steps; the rest ignores writes */
		apic_store(p, off, w.value);
	v->s.rip += w.len;
}
