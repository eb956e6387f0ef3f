// SPDX-License-Identifier: GPL-2.0
/*
 * migctl vm list|create|destroy|stats: named VMs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvmig.h"
#include "migctl.h"

#define PAGE_SIZE 4096ULL
#define BAD_NAME_OR_SIZE \
	"bad name or size (names: 1-31 of A-Z a-z 0-9 . _ -; at most 64 GiB)"

/* Parse "123", "64K", "512M", "2G" (bytes); -1 on error. */
long long migctl_parse_size(const char *s)
{
	unsigned long long v, mult = 1;
	char *end;

	v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k':
		mult = 1ULL << 10;
		end++;
		break;
	case 'M': case 'm':
		mult = 1ULL << 20;
		end++;
		break;
	case 'G': case 'g':
		mult = 1ULL << 30;
		end++;
		break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || v > (1ULL << 62) / mult)
		return -1;
	return v * mult;
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

static int vm_list(int dev)
{
	struct vmig_vm_entry *e;
	char size[32];
	int n, i;

	n = vmig_vm_list(dev, &e);
	if (n < 0) {
		fprintf(stderr, "migctl: VMIG_VM_LIST: %s\n", strerror(-n));
		return 1;
	}
	printf("%-31s %10s %10s %s\n", "NAME", "SIZE", "PAGES", "TRACKING");
	for (i = 0; i < n; i++) {
		migctl_fmt_bytes(size, sizeof(size),
				 e[i].nr_pages * (double)PAGE_SIZE);
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

static int vm_create(int dev, const char *name, const char *size_arg)
{
	long long size = migctl_parse_size(size_arg);
	int fd;

	if (size <= 0 || size % PAGE_SIZE) {
		fprintf(stderr, "migctl: bad size '%s': a positive multiple of 4 KiB, e.g. 512M\n",
			size_arg);
		return 2;
	}
	fd = vmig_vm_create(dev, name, size / PAGE_SIZE);
	if (fd < 0) {
		fprintf(stderr, "migctl: cannot create VM '%s': %s\n", name,
			fd == -EEXIST ? "a VM of that name exists" :
			fd == -EINVAL ? BAD_NAME_OR_SIZE : strerror(-fd));
		return 1;
	}
	close(fd);
	return 0;
}

static int vm_destroy(int dev, const char *name)
{
	int ret = vmig_vm_destroy(dev, name);

	if (ret) {
		fprintf(stderr, "migctl: cannot destroy VM '%s': %s\n", name,
			ret == -ENOENT ? "no such VM" : strerror(-ret));
		return 1;
	}
	return 0;
}

static int vm_stats(int dev, const char *name, int json)
{
	struct vmig_vm_stats s;
	struct vmig_vm_entry e;
	int fd, ret;

	fd = migctl_open_vm(dev, name);
	if (fd < 0)
		return 1;
	ret = vmig_vm_info(fd, &e);
	if (!ret)
		ret = vmig_vm_stats(fd, &s);
	close(fd);
	if (ret) {
		fprintf(stderr, "migctl: cannot read stats of '%s': %s\n", name,
			strerror(-ret));
		return 1;
	}
	if (json) {
		printf("{\"name\": \"%s\", \"nr_pages\": %llu, ", e.name,
		       (unsigned long long)e.nr_pages);
		printf("\"group_pages\": %u, \"write_faults\": %llu, ",
		       e.group_pages, (unsigned long long)s.write_faults);
		printf("\"groups_dirtied\": %llu, \"pages_reported\": %llu, ",
		       (unsigned long long)s.groups_dirtied,
		       (unsigned long long)s.pages_reported);
		printf("\"pinned_pages\": %llu, \"harvests\": %llu, ",
		       (unsigned long long)s.pinned_pages,
		       (unsigned long long)s.harvests);
		printf("\"harvest_ns\": %llu, \"pages_present\": %llu}\n",
		       (unsigned long long)s.harvest_ns,
		       (unsigned long long)s.pages_present);
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

int cmd_vm(int argc, char **argv)
{
	int dev, ret = 2;

	if (argc < 2)
		goto usage;
	dev = migctl_open_dev();
	if (dev < 0)
		return 1;
	if (!strcmp(argv[1], "list") && argc == 2)
		ret = vm_list(dev);
	else if (!strcmp(argv[1], "create") && argc == 4)
		ret = vm_create(dev, argv[2], argv[3]);
	else if (!strcmp(argv[1], "destroy") && argc == 3)
		ret = vm_destroy(dev, argv[2]);
	else if (!strcmp(argv[1], "stats") && argc == 3)
		ret = vm_stats(dev, argv[2], 0);
	else if (!strcmp(argv[1], "stats") && argc == 4 &&
		 !strcmp(argv[3], "--json"))
		ret = vm_stats(dev, argv[2], 1);
	close(dev);
	if (ret != 2)
		return ret;
usage:
	fprintf(stderr,
		"usage: migctl vm list\n"
		"       migctl vm create NAME SIZE     (SIZE in bytes, or with K, M, G)\n"
		"       migctl vm destroy NAME\n"
		"       migctl vm stats NAME [--json]\n");
	return 2;
}
