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

#endif
