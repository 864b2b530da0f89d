/* The vmkernel's own descriptor tables.  The GDT and TSS are per CPU (a TSS
 * descriptor is marked busy by LTR); the IDT is shared. */
#include "vmk_core.h"
#include "pcpu.h"
#include "cpu.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18
#define IST_FATAL 1    /* #DF, NMI and #MC run on their own stack */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, rsvd;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

extern const uint64_t exc_stubs[32];    /* entry.S */
extern const char irq_stubs[];          /* vectors 32-255, 16 bytes each */
void nmi_ignore(void);
static struct idt_gate idt[256] __attribute__((aligned(16)));

void desc_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = v == 2 ? (uint64_t)nmi_ignore : v < 32 ? exc_stubs[v] :
			     (uint64_t)(irq_stubs + (v - 32) * 16);

		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)a, .sel = SEL_CODE,
			.ist = (v == 2 || v == 8 || v == 18) ? IST_FATAL : 0,
			.type = 0x8e,   /* present, DPL 0, 64-bit interrupt gate */
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
		};
	}
}

static void gdt_build(struct pcpu *p)
{
	uint64_t t = (uint64_t)&p->tss;

	p->gdt[0] = 0;
	p->gdt[1] = GDT_CODE64;
	p->gdt[2] = GDT_DATA;
	p->gdt[3] = (sizeof(p->tss) - 1) | ((t & 0xffffff) << 16) |
		    (0x89ull << 40) | (((t >> 24) & 0xff) << 56);
	p->gdt[4] = t >> 32;
}

void load_segments(uint16_t code, uint16_t data);  /* entry.S */

void desc_cpu_load(struct pcpu *p, uint64_t ist_top)
{
	struct vmk_dtr gdtr = { .limit = sizeof(p->gdt) - 1, .base = (uint64_t)p->gdt };
	struct vmk_dtr idtr = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };

	p->tss.ist[IST_FATAL - 1] = ist_top;
	p->tss.iomap_base = sizeof(p->tss);
	gdt_build(p);
	lgdt(&gdtr.limit);
	load_segments(SEL_CODE, SEL_DATA);
	ltr(SEL_TSS);
	lidt(&idtr.limit);
}
