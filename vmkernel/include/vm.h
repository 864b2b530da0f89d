/* VM worlds: a guest OS run by the vmkernel's VMM on SVM with nested
 * paging.  A VM runs either on the CPU of a COS thread that asks for it
 * (VMK_HC_VM_RUN), until an interrupt due to the COS, a halt, a yield or a
 * stop switches that CPU back to the COS world; or under the vmkernel's
 * scheduler on the CPUs the COS gave it (VMK_VM_SCHEDULE, cpuctl.c). */
#ifndef VMK_VM_H
#define VMK_VM_H
#include "pcpu.h"
#include <vmk/hypercall.h>

#define VM_MAX_CHUNKS (VMK_VM_MAX_MEM >> VMK_CHUNK_SHIFT)
#define VM_CONSOLE_SIZE 4096u
#define VM_XSAVE_SIZE 4096u

struct vm {
	struct world w;                 /* first: the VM's vCPU */
	uint32_t state;                 /* enum vmk_vm_state; under vm_lock */
	int32_t cpu;                    /* CPU running it, or -1; under vm_lock */
	int32_t home;                   /* the only CPU it runs on, -1 before its first run */
	int32_t stop_req;               /* the COS asked it to stop while it ran */
	/* Its one-shot timer (VMK_GHC_TIMER), under cpuctl's lock; `pending`
	 * is taken atomically by the CPU that enters the VM. */
	uint64_t timer_deadline;        /* TSC, 0 if disarmed */
	uint32_t timer_vec;
	int32_t timer_pending;          /* expired, not yet injected */
	int32_t timer_waiting;          /* blocked in HLT until it expires */
	uint64_t mem_size;
	uint32_t nchunks;               /* guest memory, 2 MiB each, gpa order */
	uint32_t chunk[VM_MAX_CHUNKS];
	uint32_t ctl_chunk;             /* VMCB and nested page tables */
	uint64_t ctl_used;              /* bytes of ctl_chunk handed out */
	uint64_t npt_root;
	struct vmk_vm_info info;        /* exits, status, reason */
	char console[VM_CONSOLE_SIZE];  /* ring; under vm_lock for readers */
	uint64_t con_head, con_tail;
	uint8_t xsave[VM_XSAVE_SIZE] __attribute__((aligned(64)));
};

int64_t vm_ctl(struct pcpu *p, uint64_t pa, uint64_t len);
int64_t vm_run(struct pcpu *p, uint64_t id);
/* vm_exit.c */
void vm_handle_exit(struct pcpu *p, struct vm *vm);
void vm_vmcb_init(struct vm *vm, uint64_t entry, uint64_t ebx);
void vm_vmcb_long_mode(struct vm *vm);    /* after vm_vmcb_init */
/* vm.c */
void vm_long_mode_tables(struct vm *vm);
/* vm.c, for vm_exit.c */
void vm_leave(struct pcpu *p, struct vm *vm, int64_t result);
/* cpuctl.c: */
void vm_switch_in(struct pcpu *p, struct vm *vm, int from_cos);
void vm_stop(struct pcpu *p, struct vm *vm, const char *why);
void vm_console_put(struct vm *vm, char c);

#endif
