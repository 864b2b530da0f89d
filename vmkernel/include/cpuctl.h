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
struct vcpu;
int sched_vm_add(struct vm *vm, const struct sched_params *sp);
/* Its vCPUs that are not running leave the scheduler, running ones are
 * kicked unless on CPU @self (they stop at their next exit, seeing
 * vm->stop_req): VMK_OK if none ran, else EBUSY. */
int sched_vm_stop(struct vm *vm, int32_t self);
/* The vCPU on this owned CPU left it; @result is enum vmk_vm_run_result. */
void sched_vm_left(struct pcpu *p, struct vcpu *vc, int64_t result);
void sched_vm_info(struct vm *vm);    /* fills vm->info's scheduler fields */
/* VMK_GHC_TIMER from the running vCPU: 0 or a VMK_E* for the guest. */
int64_t sched_vm_timer(struct vcpu *vc, uint64_t ns, uint64_t vec);
/* vm_apic.c and vm_exit.c: */
void sched_vcpu_apic_timer(struct pcpu *p, struct vcpu *vc, uint64_t tsc);
void sched_vcpu_timers(struct vcpu *vc);
void sched_vcpu_notify(struct pcpu *p, struct vcpu *vc);
void sched_vcpu_init(struct pcpu *p, struct vcpu *vc);
void sched_vcpu_sipi(struct pcpu *p, struct vcpu *vc, uint32_t vec);
int sched_vcpu_take_init(struct vcpu *vc);
int sched_vcpu_irq_exit(struct pcpu *p);
/* The scheduler's clock, TSC in ns: what run_ns is charged by. */
uint64_t cpuctl_clock_ns(void);

#endif
