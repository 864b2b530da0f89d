/* Lab check: VMMCALL from user space (CPL 3) must not reach the vmkernel; the
 * vmkernel answers it with #UD, which Linux turns into SIGILL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_sigill(int sig)
{
	static const char msg[] = "vmmcall-user: SIGILL as expected\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(0);
}

int main(void)
{
	unsigned long rax = 0;   /* VMK_HC_VERSION */

	signal(SIGILL, on_sigill);
	__asm__ volatile("vmmcall" : "+a"(rax) : : "memory");
	printf("vmmcall-user: FAIL: VMMCALL from CPL 3 returned %lu\n", rax);
	return 1;
}
