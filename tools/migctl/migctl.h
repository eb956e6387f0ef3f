/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migctl: drives vmig from userspace.
 */
#ifndef _MIGCTL_H
#define _MIGCTL_H

#include <stddef.h>

#define VMIG_DEVICE "/dev/vmig"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct migctl_cmd {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(int argc, char **argv);
};

/* Open /dev/vmig, explaining on stderr what to do when that fails. */
int migctl_open_dev(void);

/* Open VM @name on @dev, explaining failures on stderr. */
int migctl_open_vm(int dev, const char *name);
/* The same, opening /dev/vmig for the purpose. */
int migctl_open_vm_name(const char *name);
/* A whole decimal number, all of @s, into @out; -1 otherwise. */
int migctl_parse_uint(const char *s, unsigned int *out);
/* Parse "123", "64K", "512M", "2G" (bytes); -1 on error. */
long long migctl_parse_size(const char *s);
/* "1.5 MiB" */
void migctl_fmt_bytes(char *buf, size_t len, double bytes);

int cmd_version(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_track(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_switchover(int argc, char **argv);
int cmd_disk(int argc, char **argv);

#endif /* _MIGCTL_H */
