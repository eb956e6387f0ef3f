// SPDX-License-Identifier: GPL-2.0
/*
 * migctl vm list|create|destroy|stats: named VMs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

#define BAD_NAME_OR_SIZE \
	"bad name or size (names: 1-31 of A-Z a-z 0-9 . _ -; at most 64 GiB)"

int migctl_open_vm_name(const char *name)
{
	int dev = migctl_open_dev(), fd;

	if (dev < 0)
		return -1;
	fd = migctl_open_vm(dev, name);
	close(dev);
	return fd;
}

int migctl_open_vm(int dev, const char *name)
{
	int fd = vmig_vm_open(dev, name);

	if (fd < 0)
		fprintf(stderr, "migctl: cannot open VM '%s': %s\n", name,
			fd == -ENOENT ? "no such VM" : strerror(-fd));
	return fd;
}

/* The keys a VM's entry has in JSON, in every command. */
static struct json_object *entry_json(const struct vmig_vm_entry *e)
{
	struct json_object *o = json_object_new_object();

	migctl_json_str(o, "name", e->name);
	migctl_json_u64(o, "nr_pages", e->nr_pages);
	migctl_json_u64(o, "group_pages", e->group_pages);
	return o;
}

static int run_list(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct vmig_vm_entry *e;
	struct json_object *arr;
	bool json = false;
	char size[32], **args;
	int n, i, dev;

	n = migctl_parse(cmd, argc, argv, migctl_json_opt, &json, &argc, &args);
	if (n >= 0)
		return n;
	dev = migctl_open_dev();
	if (dev < 0)
		return 1;
	n = vmig_vm_list(dev, &e);
	close(dev);
	if (n < 0) {
		fprintf(stderr, "migctl: VMIG_VM_LIST: %s\n", strerror(-n));
		return 1;
	}
	if (json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, entry_json(&e[i]));
		migctl_json_print(arr);
		free(e);
		return 0;
	}
	printf("%-31s %10s %10s %s\n", "NAME", "SIZE", "PAGES", "TRACKING");
	for (i = 0; i < n; i++) {
		migctl_fmt_bytes(size, sizeof(size),
				 e[i].nr_pages * (double)VMIG_PAGE_SIZE);
		printf("%-31s %10s %10llu ", e[i].name, size,
		       (unsigned long long)e[i].nr_pages);
		if (e[i].group_pages)
			printf("group of %u pages\n", e[i].group_pages);
		else
			printf("no\n");
	}
	free(e);
	return 0;
}

static const struct migctl_num size_num = {
	.what = "SIZE",
	.min = VMIG_PAGE_SIZE,
	.max = VMIG_VM_MAX_PAGES * VMIG_PAGE_SIZE,
	.unit = "bytes (K, M, G: powers of 1024)",
	.flags = MIGCTL_NUM_SIZE,
};

static int run_create(const struct migctl_cmd *cmd, int argc, char **argv)
{
	unsigned long long size;
	char **args;
	int fd, dev;

	fd = migctl_parse(cmd, argc, argv, NULL, NULL, &argc, &args);
	if (fd >= 0)
		return fd;
	if (migctl_parse_num(&size_num, args[1], &size))
		return MIGCTL_USAGE;
	if (size % VMIG_PAGE_SIZE) {
		fprintf(stderr, "migctl: bad size '%s': a positive multiple of 4 KiB, e.g. 512M\n",
			args[1]);
		return MIGCTL_USAGE;
	}
	dev = migctl_open_dev();
	if (dev < 0)
		return 1;
	fd = vmig_vm_create(dev, args[0], size / VMIG_PAGE_SIZE);
	close(dev);
	if (fd < 0) {
		fprintf(stderr, "migctl: cannot create VM '%s': %s\n", args[0],
			fd == -EEXIST ? "a VM of that name exists" :
			fd == -EINVAL ? BAD_NAME_OR_SIZE : strerror(-fd));
		return 1;
	}
	close(fd);
	return 0;
}

static int run_destroy(const struct migctl_cmd *cmd, int argc, char **argv)
{
	char **args;
	int ret, dev;

	ret = migctl_parse(cmd, argc, argv, NULL, NULL, &argc, &args);
	if (ret >= 0)
		return ret;
	dev = migctl_open_dev();
	if (dev < 0)
		return 1;
	ret = vmig_vm_destroy(dev, args[0]);
	close(dev);
	if (ret) {
		fprintf(stderr, "migctl: cannot destroy VM '%s': %s\n", args[0],
			ret == -ENOENT ? "no such VM" : strerror(-ret));
		return 1;
	}
	return 0;
}

static const struct migctl_json_key stats_keys[] = {
	MIGCTL_JSON_KEY(vmig_vm_stats, write_faults),
	MIGCTL_JSON_KEY(vmig_vm_stats, groups_dirtied),
	MIGCTL_JSON_KEY(vmig_vm_stats, pages_reported),
	MIGCTL_JSON_KEY(vmig_vm_stats, pinned_pages),
	MIGCTL_JSON_KEY(vmig_vm_stats, harvests),
	MIGCTL_JSON_KEY(vmig_vm_stats, harvest_ns),
	MIGCTL_JSON_KEY(vmig_vm_stats, pages_present),
};

static void print_stats_json(const struct vmig_vm_entry *e,
			     const struct vmig_vm_stats *s)
{
	struct json_object *o = entry_json(e);

	migctl_json_u64s(o, s, stats_keys, ARRAY_SIZE(stats_keys));
	migctl_json_print(o);
}

static int run_stats(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct vmig_vm_stats s;
	struct vmig_vm_entry e;
	bool json = false;
	char **args;
	int fd, ret;

	ret = migctl_parse(cmd, argc, argv, migctl_json_opt, &json, &argc, &args);
	if (ret >= 0)
		return ret;
	fd = migctl_open_vm_name(args[0]);
	if (fd < 0)
		return 1;
	ret = vmig_vm_info(fd, &e);
	if (!ret)
		ret = vmig_vm_stats(fd, &s);
	close(fd);
	if (ret) {
		fprintf(stderr, "migctl: cannot read stats of '%s': %s\n",
			args[0], strerror(-ret));
		return 1;
	}
	if (json) {
		print_stats_json(&e, &s);
		return 0;
	}
	printf("name:            %s\n", e.name);
	printf("pages:           %llu\n", (unsigned long long)e.nr_pages);
	printf("pages present:   %llu\n", (unsigned long long)s.pages_present);
	printf("tracking:        %s\n", e.group_pages ? "yes" : "no");
	if (e.group_pages)
		printf("group size:      %u pages\n", e.group_pages);
	printf("write faults:    %llu\n", (unsigned long long)s.write_faults);
	printf("groups dirtied:  %llu\n", (unsigned long long)s.groups_dirtied);
	printf("pages reported:  %llu\n", (unsigned long long)s.pages_reported);
	printf("  of them pinned: %llu\n", (unsigned long long)s.pinned_pages);
	printf("harvests:        %llu\n", (unsigned long long)s.harvests);
	printf("harvest time:    %.3f ms\n", s.harvest_ns / 1e6);
	return 0;
}

static const struct migctl_cmd vm_cmds[] = {
	{ .name = "vm list", .help = "list the VMs", .opts = migctl_json_opts,
	  .run = run_list },
	{ .name = "vm create", .args = "NAME SIZE",
	  .help = "create a VM of SIZE bytes (with K, M or G)",
	  .min_args = 2, .max_args = 2, .run = run_create },
	{ .name = "vm destroy", .args = "NAME", .help = "destroy a VM",
	  .min_args = 1, .max_args = 1, .run = run_destroy },
	{ .name = "vm stats", .args = "NAME", .help = "show a VM's counters",
	  .opts = migctl_json_opts, .min_args = 1, .max_args = 1,
	  .run = run_stats },
};

const struct migctl_cmd migctl_vm_group = {
	.name = "vm",
	.help = "manage VMs",
	.subs = vm_cmds,
	.nr_subs = ARRAY_SIZE(vm_cmds),
};
