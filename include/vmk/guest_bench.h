/* The bench guest's benchmark scenarios (guest/main.c, cmdline
 * "bench=OP[,n=N]") and the runners that host them: vmk's VM worlds and the
 * KVM runner in bench/vm/.  Each scenario prints one line
 *   vmk-bench: op=OP n=N tsc=T empty=E
 * (T: TSC ticks for N round trips; E: the same loop without the operation;
 * under the lab's --icount a tick is one instruction) and reports pass on
 * the exit port. */
#ifndef VMK_GUEST_BENCH_H
#define VMK_GUEST_BENCH_H

#include <vmk/guest.h>

#define VMK_BENCH_ABI_VERSION 1u

/* op=pio reads the console's line status register: every VMM of the bench
 * guest answers it (0x60, transmitter idle) and it has no side effect. */
#define VMK_BENCH_PIO_PORT (VMK_GUEST_CONSOLE_PORT + 5)

/* op=yield-port writes this port to give up the CPU: for VMMs whose yield is
 * an exit to their user space (the KVM runner).  vmk ignores writes to it;
 * vmk's own yield is op=yield, VMMCALL VMK_GHC_YIELD. */
#define VMK_BENCH_YIELD_PORT 0x510

#define VMK_BENCH_DEFAULT_N 10000u

/* "bench=OP,n=N,mark": each loop is bracketed by two instructions that do
 * nothing, which the lab's instruction-count plugin (scripts/lab
 * --insncount, tests/lab/insncount) turns into an exact per-vCPU count of
 * what ran in between: the guest's loop, the VMM, other worlds on that CPU. */
#define VMK_INSN_MARK_BEGIN ".byte 0x66, 0x87, 0xdb"   /* xchg %bx,%bx */
#define VMK_INSN_MARK_END ".byte 0x66, 0x87, 0xc9"     /* xchg %cx,%cx */

#endif
