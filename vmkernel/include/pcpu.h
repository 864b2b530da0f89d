/* Per-CPU data of the vmkernel: one struct per physical CPU, allocated from
 * vmkernel memory by that CPU at launch.  Mostly the owning CPU's alone: any
 * CPU reads `stat` (racy reads of counters are fine), and the ownership and
 * start-up fields of cpuctl.c are shared under cpuctl's lock. */
#ifndef VMK_PCPU_H
#define VMK_PCPU_H
#include <stdint.h>
#include <vmk/hypercall.h>
#include <vmk/launch.h>
#include "trace_ring.h"

struct vmcb;

/* A world's GPRs while the vmkernel runs; RAX and RSP live in the VMCB.
 * The world-run loop (entry.S) saves and loads these through asm offsets. */
struct gprs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

enum world_kind { WORLD_COS = 0, WORLD_VM = 1, WORLD_SYSTEM = 2 };
#define VMK_WORLD_SYSTEM 0xffffu   /* world id of a CPU's system world in traces */

/* What the world-run loop switches: a world's GPRs and its VMCB (which holds
 * the rest of its CPU state).  The COS has one per CPU (its vCPU there); a VM
 * world has its own (vm.c). */
struct world {
	struct gprs g;                 /* entry.S */
	uint64_t vmcb_pa;              /* entry.S */
	struct vmcb *vmcb;
	uint32_t kind;                 /* enum world_kind */
	uint32_t id;                   /* 0 for the COS, the VM's id otherwise */
};

struct pcpu {
	struct world *cur;             /* owner; entry.S: the world this CPU runs */
	uint64_t host_vmcb_pa;         /* owner; entry.S: host VMLOAD/VMSAVE area */
	struct world cos;              /* owner: the COS's vCPU on this CPU */
	struct vmcb *host_vmcb;
	uint32_t index;                /* position in vmk_boot->cpus[] */
	uint32_t linux_cpu, apic_id;
	struct vmk_launch_cpu *lc;     /* the COS's launch block (physmap) */
	uint64_t tramp_leave, lc_va;   /* copied from it at launch */
	int cos_state_saved;           /* VMCB holds the COS's VMSAVE state */
	int launched;                  /* the first VMRUN went through */
	uint64_t gdt[5];               /* null, code, data, TSS (2 slots) */
	struct tss64 tss;
	struct vmk_cpu_status stat;    /* owner writes; status hypercall reads */
	struct trace_writer tw;        /* owner; `enabled` also by trace_stop */
	uint64_t trace_gen;            /* owner: session the ring is formatted for */
	void *trace_cons;              /* owner: drop-new consumer line, mapped */
	/* cpuctl.c: who owns the CPU.  `owner` is written by this CPU (and by
	 * a CPU arming or handing it back under cpuctl's lock); the rest by
	 * this CPU, except the start-up IPI fields, set by the CPU that
	 * trapped the COS's INIT/SIPI. */
	uint32_t owner;                /* enum vmk_cpu_owner */
	int take_req;                  /* the COS asked for it back */
	int cos_dead;                  /* Linux has it offline: park at its halt */
	int init_seen, sipi_pending;   /* emulated INIT, start-up IPI */
	uint32_t sipi_vec;
	struct world sys;              /* its system world, while the vmkernel owns it */
	uint32_t apic_saved[4];        /* the COS's SVR, LVTT, TDCR, TPR */
	uint32_t apic_per_ms;          /* timer counts per ms, divide by 1 */
	volatile int tick;             /* set by the timer interrupt */
	volatile int resched;          /* a kick or a yield: pick again */
	int32_t sched_cur;             /* world id the scheduler runs here, or -1 */
	uint64_t slice_end;            /* ns: its slice (or idle hint) ends, 0 if none */
	/* owner: the COS's FPU/SSE/AVX state while a VM world has the CPU */
	uint8_t cos_xsave[4096] __attribute__((aligned(64)));
};

extern struct pcpu *vmk_pcpus[VMK_MAX_CPUS];
extern struct pcpu *vmk_pcpu_by_apic[256];

/* desc.c */
void desc_init(void);
void desc_cpu_load(struct pcpu *p, uint64_t ist_top);
/* svm.c */
int svm_cpu_setup(struct pcpu *p);
void svm_cos_vmcb_init(struct pcpu *p);
/* The COS world as INIT and a start-up IPI leave a CPU: real mode at vec:0. */
void svm_cos_vmcb_sipi(struct pcpu *p, uint32_t vec);
/* What the two share (and a VM's vCPU, vm_exit.c): CS at vec << 12, flat
 * real-mode segments, CR0 and EFER as after INIT; flushes the TLB. */
void svm_vmcb_real_mode(struct vmcb *v, uint32_t vec);
void svm_handle_exit(struct pcpu *p);
void svm_inject_exception(struct pcpu *p, unsigned vec, int has_err, uint32_t err);
/* entry.S */
void svm_world_run(struct pcpu *p) __attribute__((noreturn));
/* leave.c */
void leave_to_cos(struct pcpu *p, int64_t rax) __attribute__((noreturn));
void leave_bare(struct vmk_launch_cpu *lc, struct pcpu *p, int64_t status)
	__attribute__((noreturn));
/* cos_apic.c */
void cos_apic_write(struct pcpu *p);
/* npt.c */
int npt_init(void);
uint64_t npt_root_pa(void);
int npt_cos_violation(uint64_t gpa);
/* trace.c */
int trace_init(void);
void trace_cpu_join(struct pcpu *p);
extern uint64_t trace_gen_now;
/* At each exit: one compare unless a session was started since the last. */
static inline void trace_cpu_sync(struct pcpu *p)
{
	if (__builtin_expect(__atomic_load_n(&trace_gen_now, __ATOMIC_ACQUIRE) != p->trace_gen, 0))
		trace_cpu_join(p);
}
int64_t trace_start(uint64_t mode, uint64_t mask, uint64_t cons_pa);
int64_t trace_stop(void);
struct vmk_trace_info;
void trace_info_fill(struct vmk_trace_info *ti);
/* vm.c, vm_exit.c */
int vm_init(void);
int vm_exit_init(void);
/* hypercall.c */
int64_t hypercall_dispatch(struct pcpu *p, uint64_t nr, uint64_t a0, uint64_t a1,
			   uint64_t a2);

#endif
