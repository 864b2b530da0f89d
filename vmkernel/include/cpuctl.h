/* CPUs the COS hands to the vmkernel (cpuctl.c): give and take back, the
 * system world each owned CPU runs, and the scheduler that runs VM worlds
 * there on the CPU's own LAPIC timer. */
#ifndef VMK_CPUCTL_H
#define VMK_CPUCTL_H
#include "pcpu.h"

struct vm;
struct sched_params;

int cpuctl_init(void);
int64_t cpuctl_hypercall(struct pcpu *p, uint64_t op, uint64_t index);
/* The COS's halt on a CPU being given: 1 if it parked (the CPU is the
 * vmkernel's from now on), 0 if the halt is to be skipped. */
int cpuctl_cos_halt(struct pcpu *p);
/* The COS wrote an INIT or start-up IPI to its ICR (cos_apic.c). */
void cpuctl_cos_startup_ipi(struct pcpu *p, uint32_t icr, uint32_t dest);
/* After each exit: on an owned CPU, run the system world until a world is
 * chosen (p->cur) -- a VM, or the COS once the CPU is handed back. */
void sysworld_run(struct pcpu *p);
/* Host interrupts (entry.S); only owned CPUs take them. */
void vmk_irq(uint64_t vec);

/* The scheduler (under its lock).  vm.c: */
int sched_vm_add(struct vm *vm, const struct sched_params *sp);
int sched_vm_stop(struct vm *vm);     /* a scheduled VM that is not running */
/* The VM on this owned CPU left it; @result is enum vmk_vm_run_result. */
void sched_vm_left(struct pcpu *p, struct vm *vm, int64_t result);
void sched_vm_info(struct vm *vm);    /* fills vm->info's scheduler fields */
/* VMK_GHC_TIMER from the running VM: 0 or a VMK_E* for the guest. */
int64_t sched_vm_timer(struct vm *vm, uint64_t ns, uint64_t vec);
/* Before entering a VM whose timer_pending was seen set: raise the timer's
 * interrupt if it can take one now (IF set, nothing else being injected). */
void vm_timer_inject(struct vm *vm);
/* The scheduler's clock, TSC in ns: what run_ns is charged by. */
uint64_t cpuctl_clock_ns(void);

#endif
