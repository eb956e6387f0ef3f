// SPDX-License-Identifier: GPL-2.0
/*
 * migctl disk: a dm-vmig filter's state and its hand-off, through the
 * ioctls of /dev/dm-vmig (libvmig's disk.c) and its package (pkg.c).
 *
 *   migctl disk status DM
 *   migctl disk handoff DM [cancel|drain] [TIMEOUT_MS]
 *   migctl disk export DM FILE
 *   migctl disk import DM FILE [wait]
 *   migctl disk release|complete|incoming DM
 *   migctl disk show FILE
 *
 * DM is a device-mapper name or a device path. Every command that prints
 * something takes --json.
 */
#include <assert.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

/* Exit status: the hand-off or the import reports failed IO. */
#define IO_FAILED 3

/*
 * The names of VMIG_DISK_OP_*, the VMIG_DISK_F_* bits and the hand-off
 * modes, in the order of <linux/dm-vmig.h>.
 */
static const char *const op_names[VMIG_DISK_OP_MAX] = {
	"read", "write", "flush", "discard", "write-zeroes",
};

static const char *const flag_names[] = {
	"fua", "preflush", "sync", "meta", "nounmap",
};

static const char *const mode_names[] = { "cancel", "drain" };

/* The disk a command works on: the control node and the dm device. */
struct disk {
	int ctl, fd;
	char name[128];	/* the device-mapper name */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "migctl: %s: %s\n", what, strerror(err));
	return 1;
}

/* /dev/dm-N of the device-mapper device named @name, from sysfs. */
static int find_by_name(const char *name, char *path, size_t len)
{
	char file[300], buf[160];
	struct dirent *de;
	int ret = -1;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/block");
	while (dir && ret && (de = readdir(dir))) {
		if (strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(file, sizeof(file), "/sys/block/%s/dm/name",
			 de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, name)) {
				snprintf(path, len, "/dev/%s", de->d_name);
				ret = 0;
			}
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return ret;
}

/*
 * Open the control node and disk @arg (/dev/mapper/@arg, or the /dev/dm-N
 * that sysfs names so, or a path): read-only, or for writing (@rw), which
 * the ioctls that change the filter's state need.
 */
static int disk_open(struct disk *d, const char *arg, bool rw)
{
	int (*open_disk)(const char *) = rw ? vmig_dm_open_disk :
					 vmig_dm_open_disk_ro;
	char path[300];

	d->fd = open_disk(arg);
	if (d->fd == -ENOENT && !strchr(arg, '/') &&
	    !find_by_name(arg, path, sizeof(path)))
		d->fd = open_disk(path);
	if (d->fd == -ENOENT) {
		fprintf(stderr, "migctl: %s: no such device-mapper device\n",
			arg);
		return 1;
	}
	if (d->fd == -ENOTBLK) {
		fprintf(stderr, "migctl: %s: not a block device\n", arg);
		return 1;
	}
	if (d->fd < 0)
		return fail(arg, -d->fd);
	if (vmig_dm_name(d->fd, d->name, sizeof(d->name)))
		snprintf(d->name, sizeof(d->name), "%s", arg);
	d->ctl = vmig_dm_open_ctl();
	if (d->ctl >= 0)
		return 0;
	fprintf(stderr, "migctl: cannot open %s: %s\n", DM_VMIG_DEV_PATH,
		strerror(-d->ctl));
	if (d->ctl == -ENOENT || d->ctl == -ENXIO || d->ctl == -ENODEV)
		fprintf(stderr,
			"migctl: is the dm-vmig module loaded? Try 'modprobe dm-vmig'.\n");
	close(d->fd);
	return 1;
}

static void disk_close(struct disk *d)
{
	close(d->ctl);
	close(d->fd);
}

/* The errors of the disk ioctls, said for a person. */
static int ioctl_fail(const char *what, int err)
{
	if (err == -ENODEV) {
		fprintf(stderr, "migctl: %s: not a dm-vmig device\n", what);
		return 1;
	}
	return fail(what, -err);
}

/* --- the package ------------------------------------------------------ */

static void *read_file(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap), *nbuf;
	FILE *f = fopen(path, "rb");

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		if (cap >= VMIG_DISK_PKG_MAX + 1)
			break;
		nbuf = realloc(buf, cap * 2);
		if (!nbuf) {
			fclose(f);
			free(buf);
			return NULL;
		}
		buf = nbuf;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Read and check the package in @path; NULL after saying why. */
static void *load_pkg(const char *path, size_t *len, int *nr)
{
	void *pkg = read_file(path, len);

	if (!pkg) {
		fail(path, errno);
		return NULL;
	}
	*nr = vmig_disk_pkg_check(pkg, *len);
	if (*nr < 0) {
		fprintf(stderr, "migctl: %s: not a valid hand-off package\n",
			path);
		free(pkg);
		return NULL;
	}
	return pkg;
}

/* What became of IO @d: ok, error, resubmit, pending; @err its error. */
static const char *io_status(const struct vmig_disk_desc *d,
			     const __s32 *status, int *err)
{
	bool done = le16toh(d->kind) == VMIG_DISK_COMPLETED;
	int st = status ? *status :
		 done ? -(int)le16toh(d->error) : VMIG_DISK_RESUBMIT;

	*err = st < 0 ? -st : 0;
	if (st == VMIG_DISK_RESUBMIT)
		return done ? "?" : status ? "resubmit" : "pending";
	return st ? "error" : "ok";
}

static struct json_object *io_json(const struct vmig_disk_desc *d,
				   const __s32 *status)
{
	unsigned int op = le16toh(d->op), fl = le16toh(d->flags), i;
	struct json_object *o = json_object_new_object(), *flags;
	const char *st;
	int err;

	st = io_status(d, status, &err);
	migctl_json_u64(o, "seq", le64toh(d->seq));
	migctl_json_str(o, "kind", le16toh(d->kind) == VMIG_DISK_COMPLETED ?
			"completed" : "cancelled");
	migctl_json_str(o, "op", op < ARRAY_SIZE(op_names) ? op_names[op] : "?");
	migctl_json_u64(o, "sector", le64toh(d->sector));
	migctl_json_u64(o, "len", le32toh(d->len));
	flags = json_object_new_array();
	for (i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (fl & (1U << i))
			json_object_array_add(flags,
					      json_object_new_string(flag_names[i]));
	json_object_object_add(o, "flags", flags);
	migctl_json_str(o, "status", st);
	migctl_json_str(o, "error", err ? strerror(err) : "");
	return o;
}

/* The package's IO, as a JSON array under "ios" in @o. */
static void ios_json(struct json_object *o, const void *pkg, int nr,
		     const __s32 *statuses)
{
	struct json_object *arr = json_object_new_array();
	const __s32 *st;
	int i;

	for (i = 0; i < nr; i++) {
		st = statuses ? &statuses[i] : NULL;
		json_object_array_add(arr, io_json(vmig_disk_pkg_desc(pkg, i), st));
	}
	json_object_object_add(o, "ios", arr);
}

static void print_ios(const void *pkg, int nr, const __s32 *statuses)
{
	const struct vmig_disk_desc *d;
	unsigned int op, fl;
	const char *st;
	int i, err;

	printf("%-8s %-10s %-12s %-8s %-6s %-9s %s\n", "seq", "kind", "op",
	       "sector", "bytes", "flags", "status");
	for (i = 0; i < nr; i++) {
		d = vmig_disk_pkg_desc(pkg, i);
		op = le16toh(d->op);
		fl = le16toh(d->flags);
		st = io_status(d, statuses ? &statuses[i] : NULL, &err);
		printf("%-8llu %-10s %-12s %-8llu %-6u %s%s%s%-3s ",
		       (unsigned long long)le64toh(d->seq),
		       le16toh(d->kind) == VMIG_DISK_COMPLETED ? "completed" :
		       "cancelled",
		       op < ARRAY_SIZE(op_names) ? op_names[op] : "?",
		       (unsigned long long)le64toh(d->sector), le32toh(d->len),
		       fl & VMIG_DISK_F_FUA ? "F" : "-",
		       fl & VMIG_DISK_F_PREFLUSH ? "P" : "-",
		       fl & VMIG_DISK_F_SYNC ? "S" : "-", "");
		if (err)
			printf("error %s\n", strerror(err));
		else
			printf("%s\n", st);
	}
}

/* @id as a UUID's text form in @out (37 bytes), or "" when all zero. */
static void disk_id_str(const __u8 id[16], char out[37])
{
	static const __u8 zero[16];
	int i, n = 0;

	*out = 0;
	if (!memcmp(id, zero, sizeof(zero)))
		return;
	for (i = 0; i < 16; i++)
		n += sprintf(out + n, "%s%02x",
			     i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			     id[i]);
}

/* --- the commands ----------------------------------------------------- */

static int run_disk(const struct migctl_cmd *cmd, int argc, char **argv);

/* A disk command's --json and its arguments: DM or FILE, then the rest. */
struct call {
	const struct migctl_cmd *cmd;
	bool json;
	int argc;
	char **args;
};

static int do_show(struct call *c)
{
	const struct vmig_disk_pkg *h;
	struct json_object *o;
	char id[37];
	size_t len;
	void *pkg;
	int nr;

	pkg = load_pkg(c->args[0], &len, &nr);
	if (!pkg)
		return 1;
	h = pkg;
	disk_id_str(h->disk_id, id);
	if (c->json) {
		o = json_object_new_object();
		migctl_json_str(o, "file", c->args[0]);
		migctl_json_u64(o, "pkg_len", len);
		migctl_json_str(o, "mode", le32toh(h->mode) ==
				VMIG_DISK_HANDOFF_DRAIN ? "drain" : "cancel");
		migctl_json_u64(o, "nr_sectors", le64toh(h->nr_sectors));
		migctl_json_u64(o, "data_len", le64toh(h->data_len));
		migctl_json_u64(o, "next_seq", le64toh(h->next_seq));
		migctl_json_str(o, "disk_id", id);
		ios_json(o, pkg, nr, NULL);
		migctl_json_print(o);
	} else {
		printf("package: %d IO, %llu bytes of data, %s mode, ", nr,
		       (unsigned long long)le64toh(h->data_len),
		       le32toh(h->mode) == VMIG_DISK_HANDOFF_DRAIN ? "drain" :
		       "cancel");
		printf("%llu sectors, disk %s, CRC ok\n",
		       (unsigned long long)le64toh(h->nr_sectors),
		       *id ? id : "without an id");
		print_ios(pkg, nr, NULL);
	}
	free(pkg);
	return 0;
}

static int do_status(struct call *c)
{
	struct vmig_disk_info i;
	struct json_object *o;
	const char *state;
	struct disk d;
	int ret;

	if (disk_open(&d, c->args[0], false))
		return 1;
	ret = vmig_disk_info(d.ctl, d.fd, &i);
	disk_close(&d);
	if (ret)
		return ioctl_fail(c->args[0], ret);
	state = vmig_disk_state_name(i.state);
	if (!c->json) {
		printf("state %s\nmax_inflight %u\nheld %u\ninflight %u\n"
		       "passed %llu\ncancelled %llu\nreissued %llu\nerrors %u\n",
		       state, i.max_inflight, i.held, i.inflight,
		       (unsigned long long)i.passed,
		       (unsigned long long)i.cancelled,
		       (unsigned long long)i.reissued, i.errors);
		return 0;
	}
	o = json_object_new_object();
	migctl_json_str(o, "name", d.name);
	migctl_json_str(o, "state", state);
	migctl_json_u64(o, "max_inflight", i.max_inflight);
	migctl_json_u64(o, "held", i.held);
	migctl_json_u64(o, "inflight", i.inflight);
	migctl_json_u64(o, "passed", i.passed);
	migctl_json_u64(o, "cancelled", i.cancelled);
	migctl_json_u64(o, "reissued", i.reissued);
	migctl_json_u64(o, "errors", i.errors);
	migctl_json_u64(o, "api_version", i.api_version);
	migctl_json_print(o);
	return 0;
}

static const struct migctl_num timeout_num = {
	.what = "TIMEOUT_MS",
	.min = 0,
	.max = 600000,
	.unit = "ms (0: the device's timeout_ms)",
};

static int do_handoff(struct call *c)
{
	__u32 mode = VMIG_DISK_HANDOFF_CANCEL, timeout_ms = 0;
	struct vmig_disk_handoff h;
	struct json_object *o;
	struct disk d;
	int ret;

	if (c->argc > 1 && !strcmp(c->args[1], "drain")) {
		mode = VMIG_DISK_HANDOFF_DRAIN;
	} else if (c->argc > 1 && strcmp(c->args[1], "cancel")) {
		fprintf(stderr, "migctl: handoff mode: cancel or drain, not '%s'\n",
			c->args[1]);
		return MIGCTL_USAGE;
	}
	if (c->argc > 2 &&
	    migctl_parse_u32(&timeout_num, c->args[2], &timeout_ms))
		return MIGCTL_USAGE;
	if (disk_open(&d, c->args[0], true))
		return 1;
	ret = vmig_disk_handoff(d.ctl, d.fd, mode, timeout_ms, &h);
	disk_close(&d);
	if (ret)
		return ioctl_fail("VMIG_DISK_HANDOFF", ret);
	ret = h.nr_errors ? IO_FAILED : 0;
	if (!c->json) {
		printf("handed off: %u IO waited for (%u failed), %u cancelled,",
		       h.nr_completed, h.nr_errors, h.nr_cancelled);
		printf(" package of %llu bytes\n", (unsigned long long)h.pkg_len);
		return ret;
	}
	o = json_object_new_object();
	migctl_json_str(o, "name", d.name);
	migctl_json_str(o, "mode", mode_names[mode]);
	migctl_json_u64(o, "completed", h.nr_completed);
	migctl_json_u64(o, "cancelled", h.nr_cancelled);
	migctl_json_u64(o, "errors", h.nr_errors);
	migctl_json_u64(o, "pkg_len", h.pkg_len);
	migctl_json_print(o);
	return ret;
}

static int do_export(struct call *c)
{
	struct json_object *o;
	struct disk d;
	ssize_t len;
	void *pkg;
	FILE *f;

	if (disk_open(&d, c->args[0], false))
		return 1;
	len = vmig_disk_export(d.ctl, d.fd, &pkg);
	disk_close(&d);
	if (len < 0)
		return ioctl_fail("VMIG_DISK_EXPORT", len);
	f = fopen(c->args[1], "wb");
	if (!f || fwrite(pkg, 1, len, f) != (size_t)len || fclose(f)) {
		fail(c->args[1], errno);
		free(pkg);
		return 1;
	}
	free(pkg);
	if (c->json) {
		o = json_object_new_object();
		migctl_json_str(o, "name", d.name);
		migctl_json_str(o, "file", c->args[1]);
		migctl_json_u64(o, "pkg_len", len);
		migctl_json_print(o);
	} else {
		printf("exported %zd bytes to %s\n", len, c->args[1]);
	}
	return 0;
}

static int do_import(struct call *c)
{
	__s32 *statuses = NULL;
	struct vmig_disk_import imp;
	__u32 flags = 0;
	struct json_object *o;
	struct disk d;
	size_t len;
	void *pkg;
	int nr, ret;

	if (c->argc > 2 && strcmp(c->args[2], "wait")) {
		fprintf(stderr, "migctl: import: 'wait' or nothing, not '%s'\n",
			c->args[2]);
		return MIGCTL_USAGE;
	}
	pkg = load_pkg(c->args[1], &len, &nr);
	if (!pkg)
		return 1;
	if (c->argc > 2) {
		flags = VMIG_DISK_IMPORT_WAIT;
		statuses = nr ? calloc(nr, sizeof(*statuses)) : NULL;
	}
	ret = disk_open(&d, c->args[0], true);
	if (!ret) {
		ret = vmig_disk_import(d.ctl, d.fd, pkg, len, flags, statuses,
				       nr, &imp);
		disk_close(&d);
		if (ret == -EINTR || ret == -ETIMEDOUT)
			fprintf(stderr,
				"migctl: import: took effect, but its IO was still running %s: %s is running, its results are not known\n",
				ret == -EINTR ? "at a signal" :
				"at the module's import_wait_s",
				c->args[0]);
		if (ret)
			ret = ioctl_fail("VMIG_DISK_IMPORT", ret);
	}
	if (!ret && c->json) {
		o = json_object_new_object();
		migctl_json_str(o, "name", d.name);
		migctl_json_str(o, "file", c->args[1]);
		migctl_json_u64(o, "reissued", imp.nr_reissued);
		migctl_json_u64(o, "resubmit", imp.nr_resubmit);
		migctl_json_u64(o, "failed", imp.nr_failed);
		ios_json(o, pkg, nr, statuses);
		migctl_json_print(o);
	} else if (!ret) {
		printf("imported: %u IO reissued, %u reads to resubmit, %u failed\n",
		       imp.nr_reissued, imp.nr_resubmit, imp.nr_failed);
		if (statuses)
			print_ios(pkg, nr, statuses);
	}
	free(statuses);
	free(pkg);
	if (ret)
		return ret;
	return imp.nr_failed ? IO_FAILED : 0;
}

/* release, complete and incoming: a state change and nothing to print. */
static int do_ctl(struct call *c)
{
	const char *sub = c->cmd->name + strlen("disk ");
	unsigned long nr;
	struct disk d;
	int ret;

	nr = !strcmp(sub, "release") ? VMIG_DISK_RELEASE :
	     !strcmp(sub, "complete") ? VMIG_DISK_COMPLETE :
	     VMIG_DISK_INCOMING;
	if (disk_open(&d, c->args[0], true))
		return 1;
	ret = vmig_disk_ctl(d.ctl, nr, d.fd);
	disk_close(&d);
	return ret ? ioctl_fail(sub, ret) : 0;
}

static const struct migctl_cmd disk_cmds[] = {
	{ .name = "disk status", .args = "DM",
	  .help = "show a filter's state and counters",
	  .opts = migctl_json_opts, .min_args = 1, .max_args = 1,
	  .run = run_disk },
	{ .name = "disk handoff", .args = "DM [cancel|drain] [TIMEOUT_MS]",
	  .help = "hand the disk off and fence it", .opts = migctl_json_opts,
	  .min_args = 1, .max_args = 3, .run = run_disk },
	{ .name = "disk export", .args = "DM FILE",
	  .help = "write a fenced disk's package to FILE",
	  .opts = migctl_json_opts, .min_args = 2, .max_args = 2,
	  .run = run_disk },
	{ .name = "disk import", .args = "DM FILE [wait]",
	  .help = "reissue a package's IO on an incoming disk",
	  .opts = migctl_json_opts, .min_args = 2, .max_args = 3,
	  .run = run_disk },
	{ .name = "disk release", .args = "DM",
	  .help = "cancel the migration: the disk runs again",
	  .min_args = 1, .max_args = 1, .run = run_disk },
	{ .name = "disk complete", .args = "DM",
	  .help = "the target took over: the disk is gone",
	  .min_args = 1, .max_args = 1, .run = run_disk },
	{ .name = "disk incoming", .args = "DM",
	  .help = "make the disk wait for a package", .min_args = 1,
	  .max_args = 1, .run = run_disk },
	{ .name = "disk show", .args = "FILE",
	  .help = "check a package and list its IO",
	  .opts = migctl_json_opts, .min_args = 1, .max_args = 1,
	  .run = run_disk },
};

/* What each of disk_cmds does once its arguments are parsed. */
static int (*const disk_fns[])(struct call *c) = {
	do_status, do_handoff, do_export, do_import, do_ctl, do_ctl, do_ctl,
	do_show,
};

static_assert(ARRAY_SIZE(disk_fns) == ARRAY_SIZE(disk_cmds),
	      "one function per disk command");

static int run_disk(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct call c = { .cmd = cmd };
	int ret;

	ret = migctl_parse(cmd, argc, argv, migctl_json_opt, &c.json, &c.argc,
			   &c.args);
	return ret >= 0 ? ret : disk_fns[cmd - disk_cmds](&c);
}

const struct migctl_cmd migctl_disk_group = {
	.name = "disk",
	.help = "a dm-vmig disk's hand-off",
	.subs = disk_cmds,
	.nr_subs = ARRAY_SIZE(disk_cmds),
};
