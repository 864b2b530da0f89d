/* VM worlds: a guest OS run by the vmkernel's VMM on SVM with nested
 * paging.  A VM has 1..VM_MAX_VCPUS virtual CPUs; each vCPU is a world of
 * its own, with its VMCB, registers, FPU state and virtual local APIC.  A
 * one-vCPU VM runs either on the CPU of a COS thread that asks for it
 * (VMK_HC_VM_RUN), until an interrupt due to the COS, a halt, a yield or a
 * stop switches that CPU back to the COS world; or, like every multi-vCPU
 * VM, under the vmkernel's scheduler on the CPUs the COS gave it
 * (VMK_VM_SCHEDULE, cpuctl.c), one scheduler world per vCPU. */
#ifndef VMK_VM_H
#define VMK_VM_H
#include "pcpu.h"
#include "spinlock.h"
#include <vmk/hypercall.h>
#include "vlapic.h"
#include "../sched/sched.h"

#define VM_MAX_CHUNKS (VMK_VM_MAX_MEM >> VMK_CHUNK_SHIFT)
#define VM_CONSOLE_SIZE 4096u
#define VM_XSAVE_SIZE 4096u
#define VM_MAX_VCPUS VMK_VM_MAX_VCPUS
/* The scheduler's world id of vCPU @i of VM @id, and back. */
#define VM_SID(id, i) ((int32_t)((id) * VM_MAX_VCPUS + (i)))
#define VM_SID_LIMIT ((int32_t)((VMK_MAX_VMS + 1) * VM_MAX_VCPUS))

struct vm;

enum vcpu_run_state {
	VCPU_RUN = 0,        /* runs, or waits for an interrupt or its timer */
	VCPU_WAIT_SIPI = 1,  /* after INIT (and every AP at creation): only a start-up IPI starts it */
};

struct vcpu {
	struct world w;                 /* first; w.id is the VM's id */
	struct vm *vm;
	uint32_t idx;                   /* 0 is the bootstrap processor */
	int32_t sid;                    /* VM_SID(vm id, idx) */
	int32_t cpu;                    /* vmkernel CPU running it, or -1 (see vm.c) */
	uint32_t run_state;             /* enum vcpu_run_state; under cpuctl's lock */
	/* Timers, under cpuctl's lock: the paravirtual one (VMK_GHC_TIMER) and
	 * the vLAPIC's, in host TSC; timer_deadline is the earlier (0: none). */
	uint64_t timer_deadline, pv_deadline, apic_deadline;
	uint32_t timer_vec;             /* VMK_GHC_TIMER's vector */
	int32_t timer_due;              /* atomic: a deadline passed; the vCPU looks */
	int32_t waiting;                /* blocked in HLT until an interrupt; cpuctl's lock */
	int32_t pv_pending;             /* the vCPU's own: VMK_GHC_TIMER's interrupt is due */
	/* Set by other CPUs (atomic), acted on by the vCPU before it enters. */
	int32_t attn;                   /* look at the requests below and the vLAPIC */
	int32_t nmi_req;                /* an NMI IPI */
	int32_t init_req;               /* an INIT IPI while it ran */
	int32_t sipi_latched;           /* start-up vector + 1 that came with init_req, or 0 */
	/* NMI blocking, the vCPU's own: from an NMI's injection until the
	 * handler's IRET has run (intercepted, then stepped over with TF). */
	uint8_t nmi_masked, nmi_stepping, nmi_tf;
	uint64_t nmi_dr6;
	spinlock_t apic_lock;           /* the vLAPIC: its vCPU and IPI senders */
	struct vlapic apic;
	uint64_t exits[VMK_VX_COUNT];   /* the vCPU's own; VMK_VM_INFO sums them */
	uint64_t shadow_hlts;           /* likewise: vx_preempt's emulated HLTs */
	/* The policy's figures for it as last read, kept when it leaves the
	 * scheduler (cpuctl's lock). */
	struct sched_world_info last;
	uint64_t switches;
	uint8_t xsave[VM_XSAVE_SIZE] __attribute__((aligned(64)));
};

struct vm {
	uint32_t id;
	uint32_t state;                 /* enum vmk_vm_state; under vm_lock */
	uint32_t nvcpus;
	int32_t cpu;                    /* VMK_HC_VM_RUN: CPU running vCPU 0, or -1; vm_lock */
	int32_t home;                   /* the only CPU VMK_HC_VM_RUN uses, -1 before the first */
	int32_t stop_req;               /* the COS or a vCPU asked every vCPU to stop */
	uint32_t nsched;                /* vCPUs the scheduler has; cpuctl's lock */
	struct vcpu *vcpu[VM_MAX_VCPUS];/* in the control chunk */
	uint64_t mem_size;
	uint32_t nchunks;               /* guest memory, 2 MiB each, gpa order */
	uint32_t chunk[VM_MAX_CHUNKS];
	uint32_t ctl_chunk;             /* vCPUs, VMCBs and nested page tables */
	uint64_t ctl_used;              /* bytes of ctl_chunk handed out */
	uint64_t npt_root;
	struct vmk_vm_info info;        /* exits, status, reason */
	char console[VM_CONSOLE_SIZE];  /* ring; under vm_lock for readers */
	uint64_t con_head, con_tail;
};

/* What the CPU's pause filter offers (CPUID 8000_000Ah EDX bits 10, 12):
 * 0 none (PAUSE loops go unseen), 1 a count, 2 a count and a threshold. */
extern uint32_t vm_pause_filter;

int64_t vm_ctl(struct pcpu *p, uint64_t pa, uint64_t len);
int64_t vm_run(struct pcpu *p, uint64_t id);
/* vm_exit.c */
void vm_handle_exit(struct pcpu *p, struct vcpu *vc);
void vm_vmcb_init(struct vcpu *vc, uint64_t entry, uint64_t ebx);
void vm_vmcb_long_mode(struct vcpu *vc);    /* after vm_vmcb_init */
/* The state INIT and a start-up IPI leave: real mode at vec:0. */
void vm_vmcb_sipi(struct vcpu *vc, uint32_t vec);
/* Before each entry with vc->attn set: timers, INIT, NMI, the vLAPIC's
 * interrupts (vm_apic.c). */
void vcpu_entry_events(struct pcpu *p, struct vcpu *vc);
/* vm_apic.c */
void vcpu_apic_init(struct vcpu *vc);
/* An external interrupt (vector @vec) as SVM's virtual interrupt: taken by
 * the guest once its IF allows.  No other may be pending (int_ctl V_IRQ). */
void vcpu_virq(struct vcpu *vc, uint32_t vec);
void vcpu_log_state(struct vcpu *vc);   /* a log line: where it is, what it waits for */
/* An x2APIC or APIC-base MSR (vlapic_msr_owned): 1 done, 0 for #GP. */
int vcpu_apic_msr(struct pcpu *p, struct vcpu *vc, uint32_t msr, int write, uint64_t *val);
/* A nested page fault at @gpa: 0 if it is not the vCPU's xAPIC page
 * (its APIC base, xAPIC mode); else 1, the access emulated or the VM
 * stopped with the reason. */
int vcpu_apic_mmio(struct pcpu *p, struct vcpu *vc, uint64_t gpa);
/* Something the vCPU could take now or that ends its halt: an NMI, a due
 * paravirtual timer, or (with IF set) a deliverable vLAPIC vector. */
int vcpu_has_wakeup(struct vcpu *vc);
/* vm.c */
void vm_long_mode_tables(struct vm *vm);
/* @len bytes of guest memory at @gpa, within one 2 MiB chunk; ERANGE if
 * not all of it is the VM's. */
int vm_guest_read(struct vm *vm, uint64_t gpa, void *dst, uint32_t len);
/* vm_exit.c: vm_guest_read() as a world_read_fn (world_insn.h), ctx the VM. */
int vcpu_mem(void *ctx, uint64_t pa, void *dst, uint32_t len);
/* vm.c, for vm_exit.c */
void vm_leave(struct pcpu *p, struct vcpu *vc, int64_t result);
/* cpuctl.c: */
void vm_switch_in(struct pcpu *p, struct vcpu *vc, int from_cos);
void vm_stop(struct pcpu *p, struct vcpu *vc, const char *why);
void vm_console_put(struct vm *vm, char c);

#endif
