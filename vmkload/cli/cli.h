/* Shared by the vmk CLI's command files. */
#ifndef VMK_CLI_H
#define VMK_CLI_H

extern const char *prog;
/* errno of the last failed open/ioctl of the control device (0: none). */
extern int cli_errno;
/* /dev/vmk (or $VMK_DEVICE) after an ABI check, or -1 with a message printed. */
int open_dev(void);
/* ioctl(2) on the control device; traced in the UST build (vmk-ust). */
int cli_ioctl(int fd, unsigned long req, void *arg);
int cmd_trace(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_cpu(int argc, char **argv);
int cli_print_vms(int fd, int json, const char *sep);
#include <stddef.h>
void *cli_read_file(const char *path, size_t *len);
long long cli_parse_size(const char *s);   /* "64M" -> bytes; -1 if bad */

#endif
