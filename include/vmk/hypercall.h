/* ABI between the COS and the vmkernel: hypercalls issued with VMMCALL from
 * CPL 0 of the COS.  RAX = number, RDI/RSI/RDX = arguments, RAX = result
 * (>= 0, or a negative VMK_E* from <vmk/err.h>).  Buffers are named by COS
 * physical address and length; the vmkernel checks that they lie in COS RAM.
 * VMMCALL from CPL 3 gets #UD.  Versioned: read VMK_HC_VERSION first. */
#ifndef VMK_HYPERCALL_H
#define VMK_HYPERCALL_H
#include <vmk/types.h>

#define VMK_HC_ABI_VERSION 2u

enum vmk_hypercall {
	VMK_HC_VERSION = 0,   /* -> VMK_HC_ABI_VERSION */
	VMK_HC_NOP = 1,       /* -> 0; the null hypercall, for path lengths */
	VMK_HC_STATUS = 2,    /* (pa, len) -> bytes written of struct vmk_status */
	VMK_HC_LOG_READ = 3,  /* (pa, len, offset) -> bytes copied from the log */
	VMK_HC_UNLOAD = 4,    /* -> 0 on the bare CPU: this CPU leaves the vmkernel */
	VMK_HC_TRACE_START = 5, /* (mode, event mask, consumer-lines pa) -> 0 */
	VMK_HC_TRACE_STOP = 6,  /* -> 0: every CPU stops recording */
	VMK_HC_TRACE_INFO = 7,  /* (pa, len) -> bytes written of struct vmk_trace_info */
	VMK_HC_COUNT
};

#define VMK_HC_MAX_BUF (1u << 20)  /* largest buffer any hypercall takes */

/* Exits counted per CPU, by reason. */
enum vmk_exit_stat {
	VMK_XS_CPUID, VMK_XS_MSR, VMK_XS_VMMCALL, VMK_XS_NPF, VMK_XS_SVM_INSN,
	VMK_XS_SHUTDOWN, VMK_XS_OTHER, VMK_XS_COUNT
};
#define VMK_XS_NAMES { "cpuid", "msr", "vmmcall", "npf", "svm-insn", "shutdown", "other" }

struct vmk_cpu_status {
	uint32_t cpu, apic_id;
	uint64_t exits[VMK_XS_COUNT];
	uint64_t cos_violations;  /* COS touches of vmkernel memory, blocked */
	uint64_t bad_hypercalls;  /* hypercalls refused with an error */
	/* This CPU's mapping cache (pcpu-cache) for COS memory. */
	uint64_t map_hits, map_misses, map_evictions;
};

struct vmk_status {
	uint32_t abi_version;     /* VMK_HC_ABI_VERSION */
	uint32_t ncpus;
	uint64_t mem_size;        /* bytes the vmkernel owns */
	uint64_t mem_free;        /* of which unused */
	uint64_t log_size;        /* bytes written to the log so far */
	uint64_t launch_tsc;      /* TSC when the first CPU entered */
	struct vmk_cpu_status cpu[64];
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
