// SPDX-License-Identifier: GPL-2.0
/*
 * migctl: the command-line tool that drives vmig.
 *
 * Each subcommand lives in its own file and is listed in the table below.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "migctl.h"

static const struct migctl_cmd commands[] = {
	{ "version", "", "print the tool's and the module's versions",
	  cmd_version },
	{ "vm", "list|create|destroy|stats", "manage VMs", cmd_vm },
	{ "track", "NAME [options]", "track a VM's writes and show the dirty rate",
	  cmd_track },
	{ "migrate", "NAME HOST:PORT [options]",
	  "migrate a VM's memory to a target host", cmd_migrate },
	{ "listen", "NAME [options]", "receive a VM's memory from a source",
	  cmd_listen },
	{ "status", "NAME [--json]", "show a VM's migration", cmd_status },
	{ "switchover", "NAME [--blob FILE]",
	  "force a migration's switchover now", cmd_switchover },
	{ "cancel", "NAME", "cancel a VM's migration", cmd_cancel },
	{ "disk", "status|handoff|export|import|...", "a dm-vmig disk's hand-off",
	  cmd_disk },
};

int migctl_open_dev(void)
{
	int fd = open(VMIG_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	fprintf(stderr, "migctl: cannot open %s: %s\n", VMIG_DEVICE,
		strerror(errno));
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		fprintf(stderr,
			"migctl: is the vmig module loaded? Try 'modprobe vmig'.\n");
	else if (errno == EACCES || errno == EPERM)
		fprintf(stderr, "migctl: %s is for root only.\n", VMIG_DEVICE);
	return -1;
}

int migctl_parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT_MAX)
		return -1;
	*out = v;
	return 0;
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: migctl COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %-26s %s\n", commands[i].name,
			commands[i].usage, commands[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "migctl: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return 2;
}
