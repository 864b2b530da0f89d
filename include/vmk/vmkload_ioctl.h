/* ABI between the `vmk` CLI and vmkload.ko, through /dev/vmk ioctls.
 * Versioned: the CLI checks VMKLOAD_ABI_VERSION with VMK_IOC_VERSION first. */
#ifndef VMK_VMKLOAD_IOCTL_H
#define VMK_VMKLOAD_IOCTL_H
#include <vmk/types.h>
#include <vmk/hypercall.h>
#include <linux/ioctl.h>

#define VMKLOAD_ABI_VERSION 3u   /* 3: vmk_ioc_bench grows (VMK_BENCH_SHOOTDOWN) */
#define VMKLOAD_DEVICE "/dev/vmk"
#define VMKLOAD_MAX_CPUS 256u

/* vmk_cpu_probe.flags */
#define VMK_PROBE_SVM       (1u << 0)  /* CPUID 8000_0001 ECX[2] */
#define VMK_PROBE_SVM_LOCK  (1u << 1)  /* VM_CR.SVMDIS: firmware disabled SVM */
#define VMK_PROBE_SVME      (1u << 2)  /* EFER.SVME set: someone runs SVM now */
#define VMK_PROBE_LA57      (1u << 3)  /* CR4.LA57: 5-level paging is on */
#define VMK_PROBE_HYPERVISOR (1u << 4) /* CPUID 1 ECX[31]: we are a guest */

/* CPUID 8000_000A EDX bits, reported as read. */
#define VMK_SVMF_NPT          (1u << 0)
#define VMK_SVMF_LBRV         (1u << 1)
#define VMK_SVMF_SVML         (1u << 2)
#define VMK_SVMF_NRIPS        (1u << 3)
#define VMK_SVMF_TSCRATE      (1u << 4)
#define VMK_SVMF_VMCBCLEAN    (1u << 5)
#define VMK_SVMF_FLUSHASID    (1u << 6)
#define VMK_SVMF_DECODEASSIST (1u << 7)
#define VMK_SVMF_PAUSEFILTER  (1u << 10)
#define VMK_SVMF_AVIC         (1u << 13)
#define VMK_SVMF_VGIF         (1u << 16)

struct vmk_cpu_probe {
	uint32_t cpu;         /* Linux CPU number */
	uint32_t apic_id;     /* initial APIC ID, CPUID 1 EBX[31:24] */
	uint32_t flags;       /* VMK_PROBE_* */
	uint32_t svm_rev;     /* CPUID 8000_000A EAX[7:0] */
	uint32_t nasid;       /* CPUID 8000_000A EBX */
	uint32_t svm_features;/* CPUID 8000_000A EDX: VMK_SVMF_* */
	uint32_t maxphyaddr;  /* CPUID 8000_0008 EAX[7:0] */
	uint32_t reserved;
};

struct vmk_ioc_probe {
	uint32_t capacity;    /* in: entries at cpus */
	uint32_t count;       /* out: online CPUs reported */
	uint64_t cpus;        /* in: user pointer to struct vmk_cpu_probe[] */
};

#define VMK_IOC_ERRLEN 160u

/* Load the vmkernel image at @image (@image_len bytes) with @mem_size bytes
 * of memory (0: what the image asks for).  On failure, @err says why. */
struct vmk_ioc_load {
	uint64_t image;        /* in: user pointer */
	uint64_t image_len;    /* in */
	uint64_t mem_size;     /* in: bytes, 0 = the image's minimum */
	char err[VMK_IOC_ERRLEN]; /* out: reason, NUL-terminated */
};

/* Copy the vmkernel's struct vmk_status (include/vmk/hypercall.h). */
struct vmk_ioc_status {
	uint64_t buf;          /* in: user pointer */
	uint64_t len;          /* in: its size; out: bytes written */
};

/* Read the vmkernel log from absolute byte @offset. */
struct vmk_ioc_log {
	uint64_t buf;          /* in: user pointer */
	uint64_t len;          /* in: its size (at most 64 KiB); out: bytes read */
	uint64_t offset;       /* in */
};

/* Path-length probe: run @iterations of one operation on this CPU with
 * interrupts off and report the TSC delta.  Every operation runs the same
 * loop body (mov eax, imm; xor ecx, ecx; OP; dec ebp; jnz), as does the KVM
 * baseline guest in bench/, so the two are compared instruction for
 * instruction. */
enum vmk_bench_op {
	VMK_BENCH_LOOP = 0,      /* OP = nothing: the loop's own cost */
	VMK_BENCH_HYPERCALL = 1, /* OP = VMMCALL VMK_HC_NOP (vmkernel loaded) */
	VMK_BENCH_CPUID = 2,     /* OP = CPUID leaf 0 */
	VMK_BENCH_SHOOTDOWN = 3, /* one VMK_HC_SMP_BENCH of @iterations shootdowns
				  * (vmkernel loaded; 1..VMK_SMP_BENCH_MAX): its
				  * result in @smp, tsc_delta = its tsc */
	VMK_BENCH_OPS
};

struct vmk_ioc_bench {
	uint32_t op;           /* in: enum vmk_bench_op */
	uint32_t iterations;   /* in: 1 .. 1<<24 */
	uint64_t tsc_delta;    /* out: TSC ticks for all iterations */
	uint64_t tsc_khz;      /* out: the COS's TSC frequency */
	uint32_t cpu;          /* out: where it ran */
	uint32_t loaded;       /* out: 1 if the vmkernel was loaded */
	uint32_t mark;         /* in, SHOOTDOWN: bracket it for --insncount */
	uint32_t rsvd;
	struct vmk_smp_bench smp;  /* out, SHOOTDOWN */
};

/* Trace sessions.  START/STOP/INFO map to the vmkernel's hypercalls; the
 * rings are then mapped read-only with mmap(/dev/vmk) at offset
 * VMK_TRACE_MMAP_RING(i) (CPU index i of vmk_trace_info), and in drop-new
 * mode the consumer lines (64 bytes per CPU index) read-write at
 * VMK_TRACE_MMAP_CONS. */
enum vmk_trace_op { VMK_TRACE_OP_START, VMK_TRACE_OP_STOP, VMK_TRACE_OP_INFO };
#define VMK_TRACE_MMAP_STRIDE (1ull << 24)
#define VMK_TRACE_MMAP_RING(i) ((uint64_t)(i) * VMK_TRACE_MMAP_STRIDE)
#define VMK_TRACE_MMAP_CONS (64ull * VMK_TRACE_MMAP_STRIDE)

struct vmk_ioc_trace {
	uint32_t op;           /* in: enum vmk_trace_op */
	uint32_t mode;         /* in (START): VMK_TRACE_MODE_* */
	uint64_t mask;         /* in (START): events, TRACE_EV_BIT mask */
	uint64_t info;         /* in (INFO): user pointer to struct vmk_trace_info */
	uint64_t tsc_khz;      /* out: the TSC rate, for the trace clock */
};

/* VM worlds (vmk vm ...).  op is enum vmk_vm_op from <vmk/hypercall.h>, or
 * VMK_IOC_VM_RUN: run the VM on this thread's CPU until it halts or stops,
 * a signal arrives, or about 100 ms pass (result: enum vmk_vm_run_result).
 * buf/len: user memory the op reads (WRITE) or fills (INFO, CONSOLE). */
#define VMK_IOC_VM_RUN 100u

struct vmk_ioc_vm {
	uint32_t op;
	uint32_t id;
	uint64_t arg[3];       /* CREATE: mem; WRITE: guest pa; START: entry, ebx;
				* SCHEDULE: shares, reservation, limit */
	uint64_t buf, len;
	int64_t result;        /* out: the vmkernel's answer (>= 0) */
};

/* vmk cpu give|take N: Linux CPU N offline into the vmkernel, or back.
 * EPERM for CPU 0, EALREADY if it is already there, EBUSY (take) while VMs
 * are scheduled, ENODEV if the vmkernel was not loaded on it. */
enum { VMK_IOC_CPU_GIVE = 1, VMK_IOC_CPU_TAKE = 2,
       VMK_IOC_CPU_COSCHED = 3 };   /* cpu = enum vmk_cosched; returns the mode */

struct vmk_ioc_cpu {
	uint32_t op;
	uint32_t cpu;          /* Linux CPU number */
};

#define VMK_IOC_VERSION _IOR('v', 1, uint32_t)
#define VMK_IOC_PROBE   _IOWR('v', 2, struct vmk_ioc_probe)
#define VMK_IOC_LOAD    _IOWR('v', 3, struct vmk_ioc_load)
#define VMK_IOC_UNLOAD  _IO('v', 4)
#define VMK_IOC_STATUS  _IOWR('v', 5, struct vmk_ioc_status)
#define VMK_IOC_LOG     _IOWR('v', 6, struct vmk_ioc_log)
#define VMK_IOC_LOADED  _IOR('v', 7, uint32_t)
#define VMK_IOC_BENCH   _IOWR('v', 8, struct vmk_ioc_bench)
#define VMK_IOC_TRACE   _IOWR('v', 9, struct vmk_ioc_trace)
#define VMK_IOC_VM      _IOWR('v', 10, struct vmk_ioc_vm)
#define VMK_IOC_CPU     _IOW('v', 11, struct vmk_ioc_cpu)

#endif
