// SPDX-License-Identifier: GPL-2.0
/*
 * migctl: the command-line tool that drives vmig.
 *
 * Each command lives in its own file with its grammar (struct migctl_cmd);
 * this file finds the command and holds what the commands share.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

int migctl_open_dev(void)
{
	int fd = vmig_open_dev();

	if (fd >= 0)
		return fd;
	fprintf(stderr, "migctl: cannot open %s: %s\n", VMIG_DEV_PATH,
		strerror(-fd));
	if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV)
		fprintf(stderr,
			"migctl: is the vmig module loaded? Try 'modprobe vmig'.\n");
	else if (fd == -EACCES || fd == -EPERM)
		fprintf(stderr, "migctl: %s is for root only.\n", VMIG_DEV_PATH);
	return -1;
}

void migctl_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char * const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (bytes >= 1024 && u < ARRAY_SIZE(units) - 1) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

void migctl_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

void migctl_json_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

void migctl_json_u64s(struct json_object *o, const void *base,
		      const struct migctl_json_key *keys, size_t n)
{
	const char *p = base;
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&v, p + keys[i].offset, sizeof(v));
		migctl_json_u64(o, keys[i].key, v);
	}
}

void migctl_json_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

void migctl_json_double(struct json_object *o, const char *key, double v,
			const char *fmt)
{
	char buf[64];

	snprintf(buf, sizeof(buf), fmt, v);
	json_object_object_add(o, key, json_object_new_double_s(v, buf));
}

static const struct migctl_cmd *const commands[] = {
	&migctl_version_cmd, &migctl_vm_group, &migctl_track_cmd,
	&migctl_migrate_cmd, &migctl_listen_cmd, &migctl_status_cmd,
	&migctl_switchover_cmd, &migctl_cancel_cmd, &migctl_disk_group,
	&migctl_genkey_cmd,
};

static void list_cmd(FILE *f, const struct migctl_cmd *c)
{
	char left[64];

	snprintf(left, sizeof(left), "%s %s", c->name, c->args ? c->args : "");
	if (strlen(left) > 32)
		fprintf(f, "  %s\n  %-32s %s\n", left, "", c->help);
	else
		fprintf(f, "  %-32s %s\n", left, c->help);
}

static void print_usage(FILE *f)
{
	const struct migctl_cmd *c;
	size_t i, k;

	fprintf(f, "usage: migctl COMMAND [ARGS] [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		c = commands[i];
		if (!c->subs)
			list_cmd(f, c);
		for (k = 0; c->subs && k < c->nr_subs; k++)
			list_cmd(f, &c->subs[k]);
	}
	fprintf(f, "\n'migctl COMMAND --help' describes a command's options.\n");
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "--help") ||
	       !strcmp(arg, "-h");
}

/* Run the subcommand of @group that argv[1] names. */
static int run_group(const struct migctl_cmd *group, int argc, char **argv)
{
	size_t i, n = group->nr_subs, len = strlen(group->name);

	if (argc >= 2 && is_help(argv[1])) {
		for (i = 0; i < n; i++)
			list_cmd(stdout, &group->subs[i]);
		printf("\n'migctl %s COMMAND --help' describes a command's options.\n",
		       group->name);
		return 0;
	}
	for (i = 0; argc >= 2 && i < n; i++)
		if (!strcmp(group->subs[i].name + len + 1, argv[1]))
			return group->subs[i].run(&group->subs[i], argc - 1,
						  argv + 1);
	if (argc >= 2)
		fprintf(stderr, "migctl: unknown command '%s %s'\n",
			group->name, argv[1]);
	return migctl_usage(group);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_usage(stderr);
		return MIGCTL_USAGE;
	}
	if (is_help(argv[1])) {
		print_usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i]->name))
			continue;
		if (commands[i]->subs)
			return run_group(commands[i], argc - 1, argv + 1);
		return commands[i]->run(commands[i], argc - 1, argv + 1);
	}
	fprintf(stderr, "migctl: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return MIGCTL_USAGE;
}
