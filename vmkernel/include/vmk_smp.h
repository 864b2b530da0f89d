/* smp/ in the vmkernel (arch/x86/smp_x86.c): one struct smp for the
 * machine, its hooks (the call vector, INVLPG/INVLPGA, TLB_CONTROL at the
 * next VMRUN, the TSC), and which CPUs take part.
 *
 * Online = the vmkernel takes this CPU's interrupts: from the moment the
 * COS gives it (cpuctl_cos_halt) until it is handed back (sysworld_run,
 * before it waits for the COS's INIT).  A CPU that runs the COS in the
 * direct stage is never online: the COS world does not intercept physical
 * interrupts, so the call vector would be delivered to Linux's IDT, and
 * the vmkernel runs there only for the length of an exit.  Calls may be
 * started from any CPU of the vmkernel, online or not (the bench's
 * initiator is a COS CPU in a hypercall). */
#ifndef VMK_SMP_H
#define VMK_SMP_H
#include "smp.h"
#include "smp_tlb.h"

struct pcpu;

extern struct smp vmk_smp;

/* Once, in global set-up, after lapic_init. */
int vmk_smp_init(void);
/* @p is this CPU.  Coming online it flushes its whole TLB first (calls it
 * missed while offline are not replayed); going offline it answers any call
 * in flight for it before it is dropped. */
void vmk_smp_cpu_online(struct pcpu *p, int online);
/* VMK_VEC_CALL's handler (vmk_irq, after EOI). */
void vmk_smp_irq(struct pcpu *p);
/* Spin loops with interrupts off run this: a CPU that an initiator waits
 * for must answer even while it waits for a lock that initiator holds. */
void vmk_smp_poll(void);
/* Call-vector interrupts this CPU has taken. */
uint64_t vmk_smp_irqs(unsigned cpu);
/* A shootdown's bound: long enough for a CPU that takes the IPI in its
 * next interrupt window (TCG runs CPUs in turn), short enough that a dead
 * one is named within a second. */
uint64_t vmk_smp_timeout(void);
/* Log a failed call (@what) and its @missing CPUs ("cpu1 cpu3", Linux's
 * numbers): those that did not answer in time (ETIMEDOUT) or were not
 * online (ENOENT). */
void vmk_smp_log_missing(const char *what, const struct smp_cpuset *missing);

/* smp_bench.c: VMK_HC_SMP_BENCH (<vmk/hypercall.h>). */
int64_t smp_bench_hypercall(struct pcpu *p, uint64_t arg, uint64_t pa, uint64_t len);

#endif
