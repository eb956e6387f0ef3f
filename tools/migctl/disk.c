// SPDX-License-Identifier: GPL-2.0
/*
 * migctl disk: a dm-vmig filter's state and its hand-off.
 *
 *   migctl disk status DM
 *   migctl disk handoff DM [cancel|drain] [TIMEOUT_MS]
 *   migctl disk export DM FILE
 *   migctl disk import DM FILE [wait]
 *   migctl disk release|complete|incoming DM
 *   migctl disk show FILE
 *
 * DM is a device-mapper name or a device path.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvmig_disk.h"
#include "migctl.h"

static const char * const state_names[] = {
	[VMIG_DISK_ST_RUNNING] = "running",
	[VMIG_DISK_ST_HANDOFF] = "handoff",
	[VMIG_DISK_ST_FENCED] = "fenced",
	[VMIG_DISK_ST_GONE] = "gone",
	[VMIG_DISK_ST_INCOMING] = "incoming",
};

static const char * const op_names[] = {
	[VMIG_DISK_OP_READ] = "read",
	[VMIG_DISK_OP_WRITE] = "write",
	[VMIG_DISK_OP_FLUSH] = "flush",
	[VMIG_DISK_OP_DISCARD] = "discard",
	[VMIG_DISK_OP_WRITE_ZEROES] = "write-zeroes",
};

static void disk_usage(void)
{
	fprintf(stderr,
		"usage: migctl disk status DM\n"
		"       migctl disk handoff DM [cancel|drain] [TIMEOUT_MS]\n"
		"       migctl disk export DM FILE\n"
		"       migctl disk import DM FILE [wait]\n"
		"       migctl disk release|complete|incoming DM\n"
		"       migctl disk show FILE\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "migctl: %s: %s\n", what, strerror(-err));
	return 1;
}

static void *read_file(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *nbuf;
	FILE *f = fopen(path, "rb");
	size_t r;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				n = 0;
				break;
			}
			buf = nbuf;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static void print_descs(const void *pkg, int nr, const __s32 *statuses)
{
	int i;

	printf("%-8s %-10s %-12s %-8s %-6s %-9s %s\n", "seq", "kind", "op",
	       "sector", "bytes", "flags", "status");
	for (i = 0; i < nr; i++) {
		const struct vmig_disk_desc *d = vmig_disk_pkg_desc(pkg, i);
		unsigned int op = le16toh(d->op), fl = le16toh(d->flags);
		bool done = le16toh(d->kind) == VMIG_DISK_COMPLETED;
		int st;

		if (statuses)
			st = statuses[i];
		else
			st = done ? -(int)le16toh(d->error) : VMIG_DISK_RESUBMIT;
		printf("%-8llu %-10s %-12s %-8llu %-6u %s%s%s%-3s ",
		       (unsigned long long)le64toh(d->seq),
		       done ? "completed" : "cancelled",
		       op < ARRAY_SIZE(op_names) ? op_names[op] : "?",
		       (unsigned long long)le64toh(d->sector), le32toh(d->len),
		       fl & VMIG_DISK_F_FUA ? "F" : "-",
		       fl & VMIG_DISK_F_PREFLUSH ? "P" : "-",
		       fl & VMIG_DISK_F_SYNC ? "S" : "-", "");
		if (st == VMIG_DISK_RESUBMIT)
			printf("%s\n", done ? "?" : (statuses ? "resubmit" :
			       "pending"));
		else if (st)
			printf("error %s\n", strerror(-st));
		else
			printf("ok\n");
	}
}

static int disk_show(const char *path)
{
	const struct vmig_disk_pkg *h;
	size_t len;
	void *pkg;
	int nr;

	pkg = read_file(path, &len);
	if (!pkg) {
		perror(path);
		return 1;
	}
	nr = vmig_disk_pkg_verify(pkg, len);
	if (nr < 0) {
		free(pkg);
		return fail(path, nr);
	}
	h = pkg;
	printf("package: %d IO, %llu bytes of data, %s mode, %llu sectors, CRC ok\n",
	       nr, (unsigned long long)le64toh(h->data_len),
	       le32toh(h->mode) == VMIG_DISK_HANDOFF_DRAIN ? "drain" : "cancel",
	       (unsigned long long)le64toh(h->nr_sectors));
	print_descs(pkg, nr, NULL);
	free(pkg);
	return 0;
}

static int disk_status(int fd, __u32 ma, __u32 mi)
{
	struct vmig_disk_info i;
	int ret = vmig_disk_info(fd, ma, mi, &i);

	if (ret)
		return fail("VMIG_DISK_GET_INFO", ret);
	printf("state %s\nmax_inflight %u\nheld %u\ninflight %u\n"
	       "passed %llu\ncancelled %llu\nreissued %llu\nerrors %u\n",
	       i.state < ARRAY_SIZE(state_names) ? state_names[i.state] : "?",
	       i.max_inflight, i.held, i.inflight,
	       (unsigned long long)i.passed, (unsigned long long)i.cancelled,
	       (unsigned long long)i.reissued, i.errors);
	return 0;
}

static int disk_handoff(int fd, __u32 ma, __u32 mi, int argc, char **argv)
{
	__u32 mode = VMIG_DISK_HANDOFF_CANCEL, timeout = 0;
	struct vmig_disk_handoff h;
	int ret;

	if (argc > 3 && !strcmp(argv[3], "drain"))
		mode = VMIG_DISK_HANDOFF_DRAIN;
	else if (argc > 3 && strcmp(argv[3], "cancel"))
		return disk_usage(), 2;
	if (argc > 4)
		timeout = strtoul(argv[4], NULL, 10);
	ret = vmig_disk_handoff(fd, ma, mi, mode, timeout, &h);
	if (ret)
		return fail("VMIG_DISK_HANDOFF", ret);
	printf("handed off: %u IO waited for (%u failed), %u cancelled, package of %llu bytes\n",
	       h.nr_completed, h.nr_errors, h.nr_cancelled,
	       (unsigned long long)h.pkg_len);
	return h.nr_errors ? 3 : 0;
}

static int disk_export(int fd, __u32 ma, __u32 mi, const char *path)
{
	void *pkg;
	long len = vmig_disk_export(fd, ma, mi, &pkg);
	FILE *f;

	if (len < 0)
		return fail("VMIG_DISK_EXPORT", len);
	f = fopen(path, "wb");
	if (!f || fwrite(pkg, 1, len, f) != (size_t)len || fclose(f)) {
		perror(path);
		free(pkg);
		return 1;
	}
	free(pkg);
	printf("exported %ld bytes to %s\n", len, path);
	return 0;
}

static int disk_import(int fd, __u32 ma, __u32 mi, int argc, char **argv)
{
	bool wait = argc > 4 && !strcmp(argv[4], "wait");
	struct vmig_disk_import imp;
	__s32 *statuses = NULL;
	size_t len;
	void *pkg;
	int nr, ret;

	pkg = read_file(argv[3], &len);
	if (!pkg) {
		perror(argv[3]);
		return 1;
	}
	nr = vmig_disk_pkg_verify(pkg, len);
	if (nr < 0) {
		free(pkg);
		return fail(argv[3], nr);
	}
	if (wait && nr)
		statuses = calloc(nr, sizeof(*statuses));
	ret = vmig_disk_import(fd, ma, mi, pkg, len,
			       wait ? VMIG_DISK_IMPORT_WAIT : 0, statuses, nr,
			       &imp);
	if (ret) {
		free(statuses);
		free(pkg);
		return fail("VMIG_DISK_IMPORT", ret);
	}
	printf("imported: %u IO reissued, %u reads to resubmit, %u failed\n",
	       imp.nr_reissued, imp.nr_resubmit, imp.nr_failed);
	if (statuses)
		print_descs(pkg, nr, statuses);
	free(statuses);
	free(pkg);
	return imp.nr_failed ? 3 : 0;
}

static unsigned long ctl_cmd(const char *sub)
{
	if (!strcmp(sub, "release"))
		return VMIG_DISK_RELEASE;
	if (!strcmp(sub, "complete"))
		return VMIG_DISK_COMPLETE;
	if (!strcmp(sub, "incoming"))
		return VMIG_DISK_INCOMING;
	return 0;
}

int cmd_disk(int argc, char **argv)
{
	unsigned long cmd;
	const char *sub = argc > 1 ? argv[1] : "";
	__u32 ma, mi;
	int fd, ret;

	if (argc == 3 && !strcmp(sub, "show"))
		return disk_show(argv[2]);
	if (argc < 3) {
		disk_usage();
		return 2;
	}
	ret = vmig_disk_devnum(argv[2], &ma, &mi);
	if (ret) {
		fprintf(stderr, "migctl: %s: no such device-mapper device\n",
			argv[2]);
		return 1;
	}
	fd = migctl_open_dev();
	if (fd < 0)
		return 1;
	if (!strcmp(sub, "status") && argc == 3) {
		ret = disk_status(fd, ma, mi);
	} else if (!strcmp(sub, "handoff") && argc <= 5) {
		ret = disk_handoff(fd, ma, mi, argc, argv);
	} else if (!strcmp(sub, "export") && argc == 4) {
		ret = disk_export(fd, ma, mi, argv[3]);
	} else if (!strcmp(sub, "import") && (argc == 4 || argc == 5)) {
		ret = disk_import(fd, ma, mi, argc, argv);
	} else if (argc == 3 && ctl_cmd(sub)) {
		cmd = ctl_cmd(sub);
		ret = vmig_disk_ctl(fd, cmd, ma, mi);
		if (ret)
			ret = fail(sub, ret);
	} else {
		disk_usage();
		ret = 2;
	}
	close(fd);
	return ret;
}
