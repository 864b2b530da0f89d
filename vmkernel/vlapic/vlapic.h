/* The virtual local APIC of one vCPU: a model of the xAPIC (registers by
 * MMIO offset) and the x2APIC (registers by MSR), its interrupt state, its
 * timer and the decoding and addressing of the IPIs it sends.
 *
 * A pure state machine, like vmkernel/sched/: it reads no clock, delivers
 * nothing, injects nothing and allocates nothing.  The VMM calls it from its
 * exit handlers and before each VMRUN, and acts on what it reports
 * (struct vlapic_out): send an IPI, forward an EOI, re-arm its timer.
 * Compiled freestanding into the vmkernel and hosted for the tests.
 *
 * Time.  Every call that needs time takes `now`, the vCPU's TSC (the guest's
 * view, offset included): the TSC-deadline timer compares it with the MSR
 * directly, and the one-shot and periodic timer counts one APIC bus tick every
 * cfg.tsc_per_tick TSC ticks times the divider.  `now` must not go backwards
 * for one vlapic; if it does, no time is taken to have passed.
 *
 * Concurrency.  One struct vlapic is owned by its vCPU: the caller
 * serialises every call on it (another vCPU sending an IPI takes the
 * target's lock around vlapic_accept()).  vlapic_dest_match() and
 * vlapic_ipi_targets() only read the targets' addressing registers.
 *
 * Guest input is untrusted.  Every register value, MSR value and offset is
 * checked; nothing is indexed by a guest value without a bound and nothing
 * loops on one.  Errors are the negative codes of <vmk/err.h>, each
 * documented at its call; a call that fails changes no architectural state
 * (only struct vlapic_stats counts it).  The VMM's own arguments are not
 * guest input: calls that document no EINVAL for NULL expect valid
 * pointers.  See README.md. */
#ifndef VMK_VLAPIC_H
#define VMK_VLAPIC_H
#include <stdbool.h>
#include <vmk/types.h>
#include <vmk/err.h>

#define VLAPIC_MAX_VCPUS 64          /* vlapic_ipi_targets(): one 64-bit mask */
#define VLAPIC_NO_DEADLINE UINT64_MAX /* timer not armed */
#define VLAPIC_MAX_TSC_PER_TICK (1u << 20)

/* The version register: an integrated APIC (0x14) with LVT entries 0..5
 * (timer, thermal, perf, LINT0, LINT1, error; no CMCI) and without EOI
 * broadcast suppression (bit 24 clear, so SVR bit 12 is reserved). */
#define VLAPIC_VERSION 0x14u
#define VLAPIC_MAX_LVT 5u

/* MSRs the model owns (vlapic_msr_owned()). */
#define VLAPIC_MSR_APIC_BASE 0x01bu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u
#define VLAPIC_MSR_X2APIC_FIRST 0x800u
#define VLAPIC_MSR_X2APIC_LAST 0x8ffu
/* x2APIC MSR of an xAPIC register offset. */
#define VLAPIC_MSR(off) (VLAPIC_MSR_X2APIC_FIRST + ((off) >> 4))

/* IA32_APIC_BASE. */
#define VLAPIC_BASE_BSP (1ull << 8)
#define VLAPIC_BASE_EXTD (1ull << 10)    /* x2APIC enable */
#define VLAPIC_BASE_EN (1ull << 11)      /* global enable */
#define VLAPIC_BASE_ADDR_DEFAULT 0xfee00000ull

/* Register offsets in the xAPIC page (SDM vol. 3A, table "Local APIC
 * Register Address Map"; APM vol. 2, chapter 16). */
enum vlapic_reg {
	VLAPIC_ID = 0x020, VLAPIC_VER = 0x030, VLAPIC_TPR = 0x080,
	VLAPIC_APR = 0x090, VLAPIC_PPR = 0x0a0, VLAPIC_EOI = 0x0b0,
	VLAPIC_RRD = 0x0c0, VLAPIC_LDR = 0x0d0, VLAPIC_DFR = 0x0e0,
	VLAPIC_SVR = 0x0f0, VLAPIC_ISR0 = 0x100, VLAPIC_TMR0 = 0x180,
	VLAPIC_IRR0 = 0x200, VLAPIC_ESR = 0x280, VLAPIC_ICR_LO = 0x300,
	VLAPIC_ICR_HI = 0x310, VLAPIC_LVT_TIMER = 0x320,
	VLAPIC_LVT_THERMAL = 0x330, VLAPIC_LVT_PERF = 0x340,
	VLAPIC_LVT_LINT0 = 0x350, VLAPIC_LVT_LINT1 = 0x360,
	VLAPIC_LVT_ERROR = 0x370, VLAPIC_TICR = 0x380, VLAPIC_TCCR = 0x390,
	VLAPIC_TDCR = 0x3e0,
	VLAPIC_SELF_IPI = 0x3f0,         /* x2APIC only: MSR 0x83f */
};

/* LVT entries, in register order. */
enum vlapic_lvt {
	VLAPIC_LVT_IDX_TIMER, VLAPIC_LVT_IDX_THERMAL, VLAPIC_LVT_IDX_PERF,
	VLAPIC_LVT_IDX_LINT0, VLAPIC_LVT_IDX_LINT1, VLAPIC_LVT_IDX_ERROR,
	VLAPIC_LVT_COUNT
};

#define VLAPIC_SVR_ENABLE (1u << 8)
#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_LVT_LEVEL (1u << 15)      /* LINT0/1 trigger mode */
#define VLAPIC_LVT_REMOTE_IRR (1u << 14) /* LINT0/1, read-only */
#define VLAPIC_LVT_TIMER_SHIFT 17        /* timer mode, bits 18:17 */
enum vlapic_timer_mode {
	VLAPIC_TIMER_ONESHOT = 0, VLAPIC_TIMER_PERIODIC = 1,
	VLAPIC_TIMER_TSC_DEADLINE = 2,
};

/* Error status register bits the model sets. */
#define VLAPIC_ESR_SEND_ACCEPT (1u << 2)
#define VLAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REG (1u << 7)

/* ICR fields. */
enum vlapic_dm {
	VLAPIC_DM_FIXED = 0, VLAPIC_DM_LOWEST = 1, VLAPIC_DM_SMI = 2,
	VLAPIC_DM_NMI = 4, VLAPIC_DM_INIT = 5, VLAPIC_DM_SIPI = 6,
	VLAPIC_DM_EXTINT = 7,            /* LVT LINT0/1 only */
};
enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0, VLAPIC_SH_SELF = 1, VLAPIC_SH_ALL = 2,
	VLAPIC_SH_OTHERS = 3,            /* all excluding self */
};
#define VLAPIC_ICR_LOGICAL (1u << 11)
#define VLAPIC_ICR_ASSERT (1u << 14)
#define VLAPIC_ICR_LEVEL (1u << 15)

enum vlapic_mode { VLAPIC_MODE_DISABLED, VLAPIC_MODE_XAPIC, VLAPIC_MODE_X2APIC };

struct vlapic_config {
	uint32_t vcpu;           /* the VMM's index of this vCPU, < VLAPIC_MAX_VCPUS */
	uint32_t apic_id;        /* initial APIC ID = x2APIC ID; < 0xff without x2APIC */
	uint32_t tsc_per_tick;   /* TSC ticks per APIC bus tick, 1..VLAPIC_MAX_TSC_PER_TICK */
	uint8_t maxphyaddr;      /* physical address width, 32..52: APIC base reserved bits */
	bool bsp;                /* IA32_APIC_BASE.BSP */
	bool x2apic;             /* CPUID advertises x2APIC: EXTD may be set */
	bool tsc_deadline;       /* CPUID advertises the TSC-deadline timer */
};

/* An IPI the guest asked for by writing the ICR.  The model delivers
 * nothing: the VMM finds the targets (vlapic_ipi_targets()), delivers
 * (vlapic_accept(), or NMI/INIT/SIPI/SMI to the vCPU) and reports an empty
 * target set (vlapic_ipi_sent()).  IPIs are edge-triggered: the xAPIC and
 * x2APIC issue every IPI as edge whatever the ICR's trigger bit says. */
struct vlapic_ipi {
	uint8_t vector;          /* fixed/lowest: >= 16; SIPI: start page */
	uint8_t mode;            /* enum vlapic_dm: FIXED LOWEST SMI NMI INIT SIPI */
	uint8_t shorthand;       /* enum vlapic_shorthand */
	bool logical;            /* destination mode */
	bool x2apic;             /* sender's format: 32-bit dest, broadcast 0xffffffff */
	uint32_t dest;           /* xAPIC: 8 bits (broadcast 0xff); x2APIC: 32 */
	uint32_t src;            /* the sender's cfg.vcpu */
};

/* What a register write asks of the VMM (flags in events). */
#define VLAPIC_EV_IPI (1u << 0)       /* ipi holds a request to route */
#define VLAPIC_EV_EOI_LEVEL (1u << 1) /* EOI of a level vector: eoi_vector to the I/O APIC */
#define VLAPIC_EV_TIMER (1u << 2)     /* re-read vlapic_timer_next_deadline() */
#define VLAPIC_EV_MODE (1u << 3)      /* APIC base or mode changed: remap MMIO/MSRs */
#define VLAPIC_EV_IRQ (1u << 4)       /* IRR/ISR/PPR changed: re-check vlapic_pending() */
struct vlapic_out {
	uint32_t events;
	uint8_t eoi_vector;
	struct vlapic_ipi ipi;
};

/* Counters for `vmk status` and the tests; written only by the model. */
struct vlapic_stats {
	uint64_t ro_writes;      /* xAPIC writes to read-only registers, dropped */
	uint64_t reserved;       /* xAPIC accesses to unimplemented offsets (ESR bit 7) */
	uint64_t bad_access;     /* MMIO of the wrong size or alignment, rejected */
	uint64_t gp;             /* MSR accesses answered with an error (#GP) */
	uint64_t ipi_dropped;    /* ICR writes that send nothing (invalid, illegal vector, INIT de-assert) */
	uint64_t refused;        /* interrupts not accepted: APIC disabled */
	uint64_t eoi_empty;      /* EOI with nothing in service */
	uint64_t timer_fired;    /* timer interrupts set in IRR */
	uint64_t timer_coalesced;/* periodic expiries merged because the caller was late */
};

/* The state of one vLAPIC.  Fields are private to the model: read them
 * through the registers (vlapic_mmio_read(), vlapic_msr_read()) and the
 * calls below. */
struct vlapic {
	struct vlapic_config cfg;
	uint64_t base;           /* IA32_APIC_BASE */
	uint32_t id;             /* ID register: xAPIC ID in 31:24, or the x2APIC ID */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr;            /* what ESR reads: latched by the last ESR write */
	uint32_t esr_new;        /* errors since that write */
	uint32_t icr_lo, icr_hi; /* icr_hi: xAPIC dest in 31:24, x2APIC dest 31:0 */
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8];
	/* Timer.  Counting: the count was t_cnt at t_base (the start of a bus
	 * tick) and falls by one every tick after; t_cnt == 0: stopped. */
	uint32_t ticr, tdcr, t_cnt;
	uint64_t t_base;
	uint64_t t_deadline;     /* next expiry in TSC ticks, or VLAPIC_NO_DEADLINE */
	uint64_t tsc_deadline;   /* IA32_TSC_DEADLINE */
	struct vlapic_stats stats;
};

/* Power-on state: xAPIC mode, base 0xfee00000, software-disabled (SVR 0xff),
 * every LVT masked.  EINVAL: NULL or a config out of its documented range. */
int vlapic_init(struct vlapic *v, const struct vlapic_config *cfg);
/* An INIT signal (INIT IPI): registers back to their power-on values but
 * the APIC base MSR (so the mode) and the ID stay.  The timer stops: drop
 * the VMM's timer for this vCPU. */
void vlapic_init_signal(struct vlapic *v);

enum vlapic_mode vlapic_mode(const struct vlapic *v);
/* Globally and software-enabled (SVR bit 8): it accepts interrupts. */
bool vlapic_enabled(const struct vlapic *v);
/* Guest-physical address of the xAPIC page (meaningful in xAPIC mode). */
uint64_t vlapic_base_address(const struct vlapic *v);

/* xAPIC registers, `offset` into the APIC page.  Only aligned 32-bit accesses
 * exist (SDM "Local APIC Register Address Map").  Returns:
 *   0      done.  Includes what the hardware completes silently: reads of
 *          EOI give 0; writes to read-only registers are dropped
 *          (stats.ro_writes); accesses to unimplemented offsets read 0,
 *          drop the write and set ESR bit 7 (stats.reserved).
 *   EINVAL size != 4 or offset not 16-byte aligned: nothing done
 *          (stats.bad_access); NULL pointers.
 *   ERANGE offset >= 4096.
 *   EPERM  the APIC is not in xAPIC mode (disabled or x2APIC): the page is
 *          not the APIC's; the VMM decides what the guest sees.
 * A write reports in *out what the VMM must do (events 0 if nothing). */
int vlapic_mmio_read(struct vlapic *v, uint32_t offset, uint32_t size, uint64_t now,
		     uint32_t *val);
int vlapic_mmio_write(struct vlapic *v, uint32_t offset, uint32_t size, uint32_t val,
		      uint64_t now, struct vlapic_out *out);

/* MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range.  Every
 * error return means "inject #GP(0)" and changes nothing but stats.gp:
 *   EPERM  x2APIC register while not in x2APIC mode; write to a read-only
 *          register; read of a write-only one (EOI, SELF IPI).
 *   ENOENT no such register: offsets absent in x2APIC (APR, RRD, DFR,
 *          ICR high, reserved ones), TSC_DEADLINE without cfg.tsc_deadline.
 *   EINVAL reserved bits set (bits 63:32 of every register but the ICR;
 *          non-zero EOI or ESR write; reserved LVT/SVR/TDCR/ICR/TPR/SELF IPI
 *          bits, ICR bit 12 included; timer mode 3); illegal APIC base
 *          value or transition (SDM "x2APIC State Transitions":
 *          x2APIC->xAPIC, disabled->x2APIC, EN=0 with EXTD=1; EXTD without
 *          cfg.x2apic; bits 0-7, 9 or address bits beyond maxphyaddr).
 *   ERANGE not an MSR of the model (a VMM bug: see vlapic_msr_owned()).
 * NULL pointers: EINVAL. */
bool vlapic_msr_owned(uint32_t msr);
int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t now, uint64_t *val);
int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t val, uint64_t now,
		     struct vlapic_out *out);

/* CR8 is TPR[7:4] (SVM's V_TPR).  EINVAL: value above 15. */
uint32_t vlapic_cr8_read(const struct vlapic *v);
int vlapic_cr8_write(struct vlapic *v, uint64_t cr8);
/* Processor priority (PPR), from TPR and the highest vector in service. */
uint32_t vlapic_ppr(const struct vlapic *v);

/* A fixed interrupt arrives (IPI, I/O APIC, MSI, the local timer): sets IRR,
 * and TMR for a level-triggered one (cleared for edge).  Returns 0, or:
 *   EPERM  not accepted: APIC globally or software-disabled (stats.refused);
 *   EINVAL vector < 16: dropped, ESR "receive illegal vector" set and the
 *          error LVT raised;
 *   ERANGE vector > 255 (a VMM bug). */
int vlapic_accept(struct vlapic *v, uint32_t vector, bool level);
/* Highest vector in IRR whose priority class is above PPR's, or ENOENT. */
int vlapic_pending(const struct vlapic *v);
/* The VMM injects: moves vlapic_pending()'s vector from IRR to ISR and
 * returns it.  If nothing is deliverable it returns SVR's spurious vector
 * and changes nothing (a spurious interrupt needs no EOI).  ENOENT: APIC
 * globally disabled. */
int vlapic_ack(struct vlapic *v);

/* An LVT source other than the timer and error fires (thermal, perf, LINT0,
 * LINT1; the pin's rising edge or level).  *what says what the vCPU gets:
 * NONE (masked, reserved mode, or a level LINT already in service), IRR (the
 * vector was accepted: re-check vlapic_pending()), or NMI, SMI, INIT or
 * EXTINT (ask the virtual PIC) for the VMM to inject.  With the APIC
 * globally disabled, LINT0 is EXTINT and LINT1 NMI (the pins bypass it).
 * EINVAL: not one of those four, NULL. */
enum vlapic_delivery {
	VLAPIC_DELIVER_NONE, VLAPIC_DELIVER_IRR, VLAPIC_DELIVER_NMI,
	VLAPIC_DELIVER_SMI, VLAPIC_DELIVER_INIT, VLAPIC_DELIVER_EXTINT,
};
int vlapic_lvt_event(struct vlapic *v, enum vlapic_lvt lvt, enum vlapic_delivery *what);

/* Timer.  When the VMM should next call vlapic_timer_expire() (arm its own
 * timer for it), in TSC ticks; VLAPIC_NO_DEADLINE if not armed.  A masked
 * timer keeps its deadline (it still counts). */
uint64_t vlapic_timer_next_deadline(const struct vlapic *v);
/* Fires the timer if now has reached the deadline: the LVT vector goes to
 * IRR unless masked; one-shot and TSC-deadline disarm (the deadline MSR
 * reads 0 again), periodic moves to the next deadline of its grid (no
 * drift; expiries the caller missed are merged into this one).  Returns 1
 * if a vector was set in IRR, 0 otherwise (early, unarmed, masked, illegal
 * vector), EINVAL for NULL. */
int vlapic_timer_expire(struct vlapic *v, uint64_t now);

/* Destinations.  Does the request address this target?  Pure: shorthands
 * compare cfg.vcpu with req->src; physical and logical (flat, cluster, x2APIC
 * cluster) addressing and broadcast as the SDM's "Determining IPI
 * Destination" and "x2APIC Logical Destination Mode"; a globally
 * disabled target matches nothing.  Mixed modes (sender and target in
 * different APIC modes, undefined in the SDM): physical compares the
 * target's own ID, logical uses the target's format, broadcast is the
 * sender's. */
bool vlapic_dest_match(const struct vlapic *target, const struct vlapic_ipi *req);
/* The target set over the VM's vCPUs: bit i of *mask for vcpus[i] (NULL
 * entries are absent vCPUs; vcpus[i]->cfg.vcpu should be i, as shorthands
 * compare it with req->src).  Lowest priority picks one: among the matches
 * that would accept, the lowest TPR class, then the lowest index.  An ID
 * that no vCPU has gives an empty mask.  EINVAL: NULL; ERANGE: n above
 * VLAPIC_MAX_VCPUS. */
int vlapic_ipi_targets(const struct vlapic *const *vcpus, uint32_t n,
		       const struct vlapic_ipi *req, uint64_t *mask);
/* After routing: an addressed IPI (no shorthand) that reached nobody sets
 * the sender's ESR "send accept error" and raises its error LVT (APM vol. 2,
 * ESR bit 2; the SDM documents the bit for P6 only). */
void vlapic_ipi_sent(struct vlapic *src, const struct vlapic_ipi *req, uint64_t mask);
#endif
