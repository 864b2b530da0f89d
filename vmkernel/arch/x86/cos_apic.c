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
#include "../lib/pagetable.h"
#include "../lib/x86_decode.h"

#define VEC_GP 13
#define CR0_PG (1ull << 31)

static int cos_entry(void *ctx, uint64_t pa, uint64_t *e)
{
	return cos_read(((struct pcpu *)ctx)->index, pa, e, 8);
}

/* Guest-virtual to guest-physical through the COS's page tables (long mode,
 * 4 or 5 levels), or -1.  With paging off, linear is physical. */
static uint64_t cos_translate(struct pcpu *p, uint64_t va)
{
	const struct vmcb *v = p->cos.vmcb;

	if (!(v->s.cr0 & CR0_PG))
		return va;
	if (!(v->s.efer & EFER_LMA))
		return (uint64_t)-1;   /* 32-bit paging: the COS never writes its APIC so */
	return pt_translate(v->s.cr4 & CR4_LA57 ? 5 : 4, v->s.cr3, va, cos_entry, p);
}

/* Up to 15 instruction bytes at RIP (64-bit code: no CS base); the number
 * read. */
static unsigned fetch(struct pcpu *p, uint8_t *buf)
{
	uint64_t rip = p->cos.vmcb->s.rip;
	unsigned n = 0;

	while (n < 15) {
		uint64_t pa = cos_translate(p, rip + n);
		unsigned in_page = PAGE_SIZE - (unsigned)((rip + n) & (PAGE_SIZE - 1));
		unsigned k = 15 - n < in_page ? 15 - n : in_page;

		if (pa == (uint64_t)-1 || cos_read(p->index, pa, buf + n, k))
			break;
		n += k;
	}
	return n;
}

/* GPRs by encoding number; RAX and RSP live in the VMCB. */
static void gprs_get(struct pcpu *p, uint64_t r[16])
{
	const struct gprs *g = &p->cos.g;

	r[0] = p->cos.vmcb->s.rax, r[1] = g->rcx, r[2] = g->rdx, r[3] = g->rbx;
	r[4] = p->cos.vmcb->s.rsp, r[5] = g->rbp, r[6] = g->rsi, r[7] = g->rdi;
	r[8] = g->r8, r[9] = g->r9, r[10] = g->r10, r[11] = g->r11;
	r[12] = g->r12, r[13] = g->r13, r[14] = g->r14, r[15] = g->r15;
}

static void gpr_set(struct pcpu *p, unsigned n, uint64_t v)
{
	struct gprs *g = &p->cos.g;
	uint64_t *by_num[16] = { 0, &g->rcx, &g->rdx, &g->rbx, 0, &g->rbp, &g->rsi, &g->rdi,
				 &g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13,
				 &g->r14, &g->r15 };

	if (n == 0)
		p->cos.vmcb->s.rax = v;
	else if (n == 4)
		p->cos.vmcb->s.rsp = v;
	else
		*by_num[n & 15] = v;
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
	uint8_t insn[15];
	unsigned n = 0;

	p->stat.apic_writes++;
	gprs_get(p, regs);
	/* CPL 0, 64-bit code, the store itself (not a page-table walk that
	 * landed on the APIC page). */
	if (v->s.cpl == 0 && (v->s.cs.attrib & 0x200) && !(v->c.exit_info_1 & (1ull << 33)))
		n = fetch(p, insn);
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
		gpr_set(p, (unsigned)w.xchg_reg, lapic_read(off & ~15u));
	if (!(off & 15))   /* registers sit at 16-byte steps; the rest ignores writes */
		apic_store(p, off, w.value);
	v->s.rip += w.len;
}
