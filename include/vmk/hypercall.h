/* ABI between the COS and the vmkernel: hypercalls issued with VMMCALL from
 * CPL 0 of the COS.  RAX = number, RDI/RSI/RDX = arguments, RAX = result
 * (>= 0, or a negative VMK_E* from <vmk/err.h>).  Buffers are named by COS
 * physical address and length; the vmkernel checks that they lie in COS RAM.
 * VMMCALL from CPL 3 gets #UD.  Versioned: read VMK_HC_VERSION first. */
#ifndef VMK_HYPERCALL_H
#define VMK_HYPERCALL_H
#include <vmk/types.h>

#define VMK_HC_ABI_VERSION 6u   /* 4: VMK_VM_LIST; 5: VMs with several vCPUs,
				 * VMK_CPU_COSCHED; 6: VMK_HC_SMP_BENCH,
				 * vmk_vm_info.yields, .shadow_hlts, VMK_VX_PAUSE */

enum vmk_hypercall {
	VMK_HC_VERSION = 0,   /* -> VMK_HC_ABI_VERSION */
	VMK_HC_NOP = 1,       /* -> 0; the null hypercall, for path lengths */
	VMK_HC_STATUS = 2,    /* (pa, len) -> bytes written of struct vmk_status */
	VMK_HC_LOG_READ = 3,  /* (pa, len, offset) -> bytes copied from the log */
	VMK_HC_UNLOAD = 4,    /* -> 0 on the bare CPU: this CPU leaves the vmkernel */
	VMK_HC_TRACE_START = 5, /* (mode, event mask, consumer-lines pa) -> 0 */
	VMK_HC_TRACE_STOP = 6,  /* -> 0: every CPU stops recording */
	VMK_HC_TRACE_INFO = 7,  /* (pa, len) -> bytes written of struct vmk_trace_info */
	VMK_HC_VM_CTL = 8,      /* (pa, len) of struct vmk_vm_req -> per op */
	VMK_HC_VM_RUN = 9,      /* (id) -> enum vmk_vm_run_result: run the VM here */
	VMK_HC_CPU_CTL = 10,    /* (enum vmk_cpu_op, vmkernel CPU index) -> per op */
	VMK_HC_SMP_BENCH = 11,  /* (n | VMK_SMP_BENCH_MARK, pa, len) -> bytes written of
				 * struct vmk_smp_bench */
	VMK_HC_COUNT
};

#define VMK_HC_MAX_BUF (1u << 20)  /* largest buffer any hypercall takes */
#define VMK_HC_LOG_RING (64u << 10) /* the log keeps its newest this many bytes */

/* Exits counted per CPU, by reason. */
enum vmk_exit_stat {
	VMK_XS_CPUID, VMK_XS_MSR, VMK_XS_VMMCALL, VMK_XS_NPF, VMK_XS_SVM_INSN,
	VMK_XS_SHUTDOWN, VMK_XS_OTHER, VMK_XS_COUNT
};
#define VMK_XS_NAMES { "cpuid", "msr", "vmmcall", "npf", "svm-insn", "shutdown", "other" }

/* Who a CPU belongs to.  The COS gives a CPU to the vmkernel by taking it
 * offline; the vmkernel then runs its system world and VM worlds there until
 * the COS asks for it back and starts it again (INIT, start-up IPI). */
enum vmk_cpu_owner {
	VMK_CPU_COS = 0,        /* the COS runs here, the vmkernel beneath */
	VMK_CPU_GIVING = 1,     /* armed: the COS's next halt with IF clear parks it */
	VMK_CPU_VMK = 2,        /* the vmkernel's: system world, VMs, own timer */
	VMK_CPU_RETURNING = 3,  /* handed back: waits for the COS's INIT and SIPI */
};
#define VMK_CPU_OWNER_NAMES { "cos", "giving", "vmkernel", "returning" }

/* How the scheduler treats the vCPUs of one VM (vmkernel/sched/README.md). */
enum vmk_cosched {
	VMK_COSCHED_NONE = 0,     /* each vCPU on its own */
	VMK_COSCHED_RELAXED = 1,  /* a vCPU ahead of its slowest sibling by more than
				   * the bound (3 ms) waits for it (ESX's relaxed scheme) */
	VMK_COSCHED_QUERY = 2,
};
#define VMK_COSCHED_NAMES { "none", "relaxed" }

/* VMK_HC_CPU_CTL operations.  ARM and DISARM run on the CPU they name. */
enum vmk_cpu_op {
	VMK_CPU_ARM,            /* this CPU parks at its next halt with IF clear */
	VMK_CPU_DISARM,         /* undo ARM (the COS could not offline it) */
	VMK_CPU_OWNER,          /* -> enum vmk_cpu_owner */
	VMK_CPU_TAKE,           /* the COS wants it back: EBUSY while VMs are scheduled */
	VMK_CPU_DEAD,           /* the COS has taken the armed CPU offline: its next
				 * halt parks it */
	VMK_CPU_COSCHED,        /* index = enum vmk_cosched (set: EBUSY while VMs are
				 * scheduled) or VMK_COSCHED_QUERY -> the mode in force */
	VMK_CPU_OPS
};

struct vmk_cpu_status {
	uint32_t cpu, apic_id;
	uint32_t owner;           /* enum vmk_cpu_owner */
	uint32_t rsvd;
	uint64_t exits[VMK_XS_COUNT];
	uint64_t cos_violations;  /* COS touches of vmkernel memory, blocked */
	uint64_t bad_hypercalls;  /* hypercalls refused with an error */
	/* This CPU's mapping cache (pcpu-cache) for COS memory. */
	uint64_t map_hits, map_misses, map_evictions;
	uint64_t apic_writes;     /* COS writes to its local APIC, emulated */
	uint64_t ipis_blocked;    /* COS INIT/SIPI/SMI/ExtINT IPIs refused */
	/* While the vmkernel owns the CPU: */
	uint64_t timer_ticks;     /* its own LAPIC timer interrupts */
	uint64_t kicks;           /* reschedule IPIs received */
	uint64_t stray_irqs;      /* other interrupts, acknowledged and dropped */
	uint64_t idle_tsc;        /* TSC ticks spent halted in the system world */
	uint64_t gives;           /* times it was given to the vmkernel */
};

struct vmk_status {
	uint32_t abi_version;     /* VMK_HC_ABI_VERSION */
	uint32_t ncpus;
	uint64_t mem_size;        /* bytes the vmkernel owns */
	uint64_t mem_free;        /* of which unused */
	uint64_t log_size;        /* bytes written to the log so far */
	uint64_t launch_tsc;      /* TSC when the first CPU entered */
	uint64_t now_ns;          /* the vmkernel's clock (TSC in ns) at this reading:
				   * the clock VMs' run_ns is charged by */
	struct vmk_cpu_status cpu[64];
};

/* VMK_HC_SMP_BENCH: n single-page TLB shootdowns (smp/) of a vmkernel
 * scratch page, from the calling CPU to every other CPU that smp has online
 * (the CPUs the vmkernel owns: only they take its interrupts), one after
 * the other, each waited for.  n is 1..VMK_SMP_BENCH_MAX (EINVAL else).
 * With VMK_SMP_BENCH_MARK the loop is bracketed by the lab's instruction-
 * count markers (scripts/lab --insncount).  A shootdown that times out ends
 * the loop: err, done and missing say where. */
#define VMK_SMP_BENCH_MAX 100000u
#define VMK_SMP_BENCH_MARK (1ull << 32)
struct vmk_smp_bench {
	uint32_t n;               /* shootdowns asked */
	uint32_t done;            /* of which completed on every target */
	int32_t err;              /* VMK_OK, or the error that ended the loop */
	uint32_t cpu;             /* the initiator's vmkernel CPU index */
	uint64_t targets;         /* vmkernel CPU indices shot down (bit i) */
	uint64_t missing;         /* those that did not answer in time (ETIMEDOUT) */
	uint64_t timeout_tsc;     /* the bound on each shootdown, TSC ticks */
	uint64_t tsc;             /* TSC ticks over the loop, on the initiator */
	/* smp_stats deltas over the loop (smp/smp.h): */
	uint64_t ipis_sent;       /* the initiator's: CPUs it sent the call vector */
	uint64_t ipis_handled;    /* the targets': calls they ran */
	uint64_t ipi_irqs;        /* the targets': call-vector interrupts taken */
	uint64_t tlb_requests;    /* the initiator's shootdowns */
	uint64_t tlb_pages;       /* pages flushed one by one, targets and initiator */
	uint64_t tlb_full;        /* whole flushes, targets and initiator */
	uint64_t timeouts;        /* the initiator's */
};

/* VM worlds.  VMK_HC_VM_CTL takes a request in COS memory; buffers it names
 * are COS physical addresses, checked like any other. */
enum vmk_vm_op {
	VMK_VM_CREATE,    /* arg0 = memory bytes, arg1 = vCPUs (0: one; at most
			   * VMK_VM_MAX_VCPUS) -> id (1..VMK_MAX_VMS) */
	VMK_VM_WRITE,     /* id; arg0 = guest pa, arg1 = COS pa, arg2 = len -> 0 */
	VMK_VM_START,     /* id; arg0 = entry, arg1 = EBX (multiboot info), arg2 = 0 for
			   * 32-bit multiboot entry, VMK_VM_START_LONG for a direct
			   * 64-bit start (<vmk/guest.h>) -> 0 */
	VMK_VM_INFO,      /* id; arg0 = COS pa, arg1 = len -> bytes of struct vmk_vm_info */
	VMK_VM_CONSOLE,   /* id; arg0 = COS pa, arg1 = len -> bytes taken from its console */
	VMK_VM_STOP,      /* id -> 0: the VM stops (reason "stopped by the COS") */
	VMK_VM_DESTROY,   /* id -> 0: its memory returns to the vmkernel */
	VMK_VM_SCHEDULE,  /* id; arg0 = shares, arg1 = reservation, arg2 = limit (parts per
			   * million of a CPU), each vCPU's -> 0: the vmkernel's scheduler
			   * runs it on the CPUs the COS gave it (ENODEV: none given) */
	VMK_VM_LIST,      /* -> bit mask of the ids that exist (bit id), so a listing
			   * asks only for those, and a missing id is never probed */
	VMK_VM_OPS
};

#define VMK_VM_START_LONG 1u
#define VMK_MAX_VMS 16u
#define VMK_VM_MAX_VCPUS 8u
#define VMK_VM_MAX_MEM (256ull << 20)

struct vmk_vm_req {
	uint32_t op;      /* enum vmk_vm_op */
	uint32_t id;
	uint64_t arg[3];
};

/* VMK_HC_VM_RUN returns, when the VM leaves the CPU: */
enum vmk_vm_run_result {
	VMK_VM_PREEMPTED = 1,  /* a physical interrupt is due to the COS */
	VMK_VM_HALTED = 2,     /* HLT with nothing to wake it */
	VMK_VM_STOPPED = 3,    /* it exited, failed or was stopped: see info */
	VMK_VM_YIELDED = 4,    /* it asked to yield (guest hypercall) */
	VMK_VM_WAITING = 5,    /* internal: halted until its timer (scheduled VMs only) */
};

enum vmk_vm_state { VMK_VMS_FREE, VMK_VMS_CREATED, VMK_VMS_READY, VMK_VMS_HALTED,
		    VMK_VMS_STOPPED };

enum vmk_vm_exit_stat {
	VMK_VX_CPUID, VMK_VX_MSR, VMK_VX_IO, VMK_VX_HLT, VMK_VX_VMMCALL, VMK_VX_NPF,
	VMK_VX_INTR, VMK_VX_SHUTDOWN, VMK_VX_PAUSE, VMK_VX_OTHER, VMK_VX_COUNT
};
#define VMK_VX_NAMES { "cpuid", "msr", "io", "hlt", "vmmcall", "npf", "intr", "shutdown", "pause", "other" }

struct vmk_vm_info {
	uint32_t id, state;       /* enum vmk_vm_state */
	uint64_t mem_size;
	int64_t exit_status;      /* exit port: (value << 1) | 1; -1 if none */
	uint64_t runs, switches;  /* VMK_HC_VM_RUN calls, world switches into it */
	uint64_t exits[VMK_VX_COUNT];
	uint64_t rip;             /* where it stopped or was preempted */
	char reason[96];          /* why it stopped */
	/* Under the vmkernel's scheduler (VMK_VM_SCHEDULE): */
	uint32_t scheduled;       /* 1 while the scheduler has it */
	uint32_t shares, reservation_ppm, limit_ppm;
	uint64_t run_ns;          /* CPU time it was charged */
	uint64_t entitled_ppm;    /* its entitlement now (0 while blocked) */
	uint64_t migrations;
	int32_t last_cpu;         /* vmkernel CPU index it last ran on, -1 if none */
	uint32_t nvcpus;          /* vCPUs (scheduler figures: their sums) */
	/* Co-scheduling (vmk cpu cosched), over its vCPUs: */
	uint64_t costops;         /* times a vCPU was co-stopped (relaxed mode only) */
	uint64_t costop_ns;       /* time vCPUs were ready but co-stopped */
	uint64_t lead_max_ns;     /* the largest lead of a vCPU over its slowest
				   * runnable sibling (measured in both modes) */
	uint64_t yields;          /* yields (hypercall, PAUSE loop) that gave a vCPU's
				   * CPU to another world (the scheduler's count) */
	uint64_t shadow_hlts;     /* HLTs the vmkernel did for a vCPU: an interrupt
				   * exit came in the STI shadow before them (QEMU
				   * 7.2's VMRUN drops the shadow; vm_exit.c) */
};

/* Trace rings (format: trace/vmk_trace.h, trace/trace_ring.h).  Each CPU's
 * ring is physically contiguous and mapped read-only into the COS at its own
 * physical address.  In drop-new mode the reader's consumer lines (64 bytes
 * per CPU, in CPU order) live in COS memory named at VMK_HC_TRACE_START. */
#define VMK_TRACE_MODE_OVERWRITE 0u
#define VMK_TRACE_MODE_DROP_NEW 1u

struct vmk_trace_cpu_info {
	uint64_t ring_pa;
	uint64_t ring_bytes;
	uint32_t cpu, apic_id;    /* Linux CPU number, APIC ID */
};

struct vmk_trace_info {
	uint32_t ncpus;
	uint32_t slots;           /* records per ring */
	uint32_t mode;            /* VMK_TRACE_MODE_* of the last session */
	uint32_t active;          /* 1 between START and STOP */
	uint64_t mask;            /* events recorded (TRACE_EV_BIT mask) */
	uint64_t generation;      /* sessions started so far */
	struct vmk_trace_cpu_info cpu[64];
};

#endif
