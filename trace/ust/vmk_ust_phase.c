/* vmk-ust-phase RUNNER PHASE begin|end [DETAIL]: emits one
 * vmk_tool:runner_phase event, so shell runners (bench/<family>/run) mark
 * their phases in an LTTng session.  Each call is a new process: LTTng-UST
 * registers it with the session daemon before main() (at most
 * LTTNG_UST_REGISTER_TIMEOUT ms), so the event is recorded when a session
 * has vmk_tool:runner_phase enabled, and costs a few ms otherwise. */
#include <stdio.h>
#include <string.h>
#include "vmk_ust.h"

int main(int argc, char **argv)
{
	int begin;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[3], "begin") && strcmp(argv[3], "end"))) {
		fprintf(stderr, "usage: vmk-ust-phase RUNNER PHASE begin|end [DETAIL]\n");
		return 2;
	}
	begin = !strcmp(argv[3], "begin");
	VMK_UST(runner_phase, argv[1], argv[2], begin, argc == 5 ? argv[4] : "");
	return 0;
}
