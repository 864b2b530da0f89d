/* Shared by the vmk CLI's command files. */
#ifndef VMK_CLI_H
#define VMK_CLI_H

extern const char *prog;
/* /dev/vmk after an ABI check, or -1 with a message printed. */
int open_dev(void);
int cmd_trace(int argc, char **argv);

#endif
