/* The bench guest OS.  For now: greet on the console and report pass through
 * the exit port; benchmark loops and the timer come with the VM-worlds issue. */
#include <stdint.h>
#include <vmk/guest.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void console_puts(const char *s)
{
	while (*s)
		outb(VMK_GUEST_CONSOLE_PORT, (uint8_t)*s++);
}

void guest_main(void);
void guest_main(void)
{
	console_puts("vmk-guest: long mode reached, ABI 1\n");
	console_puts("vmk-guest: PASS\n");
	outb(VMK_GUEST_EXIT_PORT, VMK_GUEST_EXIT_PASS);
}
