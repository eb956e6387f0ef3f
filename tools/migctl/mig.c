// SPDX-License-Identifier: GPL-2.0
/*
 * migctl migrate|listen|status|switchover|cancel: migration sessions.
 *
 * migctl only sets sessions up: it connects (source) or accepts (target)
 * the TCP streams, hands them to the kernel, and then watches the session,
 * waking on its state changes (poll() on the VM's descriptor) and showing
 * progress. The kernel's threads move the memory.
 */
#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

#define PAGE_SIZE ((double)VMIG_PAGE_SIZE)

static atomic_bool interrupted;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double ratio(const struct vmig_mig_status *st)
{
	return st->bytes_wire ? st->pages_sent * PAGE_SIZE / st->bytes_wire :
				0;
}

/* The status's counters in JSON: before the ratio, then after it. */
static const struct migctl_json_key pages_keys[] = {
	MIGCTL_JSON_KEY(vmig_mig_status, pages_total),
	MIGCTL_JSON_KEY(vmig_mig_status, pages_sent),
	MIGCTL_JSON_KEY(vmig_mig_status, pages_remaining),
	MIGCTL_JSON_KEY(vmig_mig_status, zero_pages),
	MIGCTL_JSON_KEY(vmig_mig_status, lz4_pages),
	MIGCTL_JSON_KEY(vmig_mig_status, zstd_pages),
	MIGCTL_JSON_KEY(vmig_mig_status, raw_pages),
	MIGCTL_JSON_KEY(vmig_mig_status, bytes_wire),
};

static const struct migctl_json_key rate_keys[] = {
	MIGCTL_JSON_KEY(vmig_mig_status, dirty_rate),
	MIGCTL_JSON_KEY(vmig_mig_status, link_rate),
	MIGCTL_JSON_KEY(vmig_mig_status, expected_downtime_ms),
	MIGCTL_JSON_KEY(vmig_mig_status, total_ms),
	MIGCTL_JSON_KEY(vmig_mig_status, downtime_ms),
	MIGCTL_JSON_KEY(vmig_mig_status, blob_len),
};

static void print_status_json(const char *name,
			      const struct vmig_mig_status *st)
{
	bool in = st->info & VMIG_MIG_INFO_INCOMING;
	struct json_object *o = json_object_new_object();

	migctl_json_str(o, "name", name);
	migctl_json_str(o, "role", in ? "target" : "source");
	migctl_json_str(o, "state", vmig_mig_state_name(st->state));
	migctl_json_str(o, "error", st->error ? strerror(st->error) : "");
	migctl_json_u64(o, "round", st->round);
	migctl_json_u64(o, "streams", st->nr_streams);
	migctl_json_u64s(o, st, pages_keys, ARRAY_SIZE(pages_keys));
	migctl_json_double(o, "compression_ratio", ratio(st), "%.3f");
	migctl_json_u64s(o, st, rate_keys, ARRAY_SIZE(rate_keys));
	migctl_json_print(o);
}

static void print_status(const char *name, const struct vmig_mig_status *st,
			 bool json)
{
	char sent[32], wire[32], rate[32];
	bool in = st->info & VMIG_MIG_INFO_INCOMING;

	if (json) {
		print_status_json(name, st);
		return;
	}
	migctl_fmt_bytes(sent, sizeof(sent), st->pages_sent * PAGE_SIZE);
	migctl_fmt_bytes(wire, sizeof(wire), st->bytes_wire);
	migctl_fmt_bytes(rate, sizeof(rate), st->link_rate);
	printf("VM %s: %s migration, %s", name, in ? "incoming" : "outgoing",
	       vmig_mig_state_name(st->state));
	if (st->error)
		printf(" (%s)", strerror(st->error));
	printf("\n  round %u, %u stream%s\n", st->round, st->nr_streams,
	       st->nr_streams == 1 ? "" : "s");
	printf("  memory moved %s in %llu pages", sent,
	       (unsigned long long)st->pages_sent);
	printf(" (%llu zero, %llu lz4, %llu zstd, %llu raw), %s on the wire, ratio %.2fx\n",
	       (unsigned long long)st->zero_pages,
	       (unsigned long long)st->lz4_pages,
	       (unsigned long long)st->zstd_pages,
	       (unsigned long long)st->raw_pages, wire, ratio(st));
	if (!in) {
		printf("  remaining %llu pages, dirty rate %llu pages/s,",
		       (unsigned long long)st->pages_remaining,
		       (unsigned long long)st->dirty_rate);
		printf(" link %s/s, expected downtime %llu ms\n", rate,
		       (unsigned long long)st->expected_downtime_ms);
	}
	printf("  total time %llu ms", (unsigned long long)st->total_ms);
	if (st->state == VMIG_MIG_STATE_DONE)
		printf(", downtime %llu ms, device state %llu bytes",
		       (unsigned long long)st->downtime_ms,
		       (unsigned long long)st->blob_len);
	printf("\n");
}

/* One line of live progress, on a terminal. */
static void progress(const struct vmig_mig_status *st)
{
	/* The memory in sync: none before the first round's harvest. */
	double done = st->pages_total && st->pages_sent ?
		      1.0 - (double)st->pages_remaining / st->pages_total : 0;
	char bar[31], sent[32], rate[32];
	int i, n = done * 30;

	for (i = 0; i < 30; i++)
		bar[i] = i < n ? '#' : '.';
	bar[30] = 0;
	migctl_fmt_bytes(sent, sizeof(sent), st->pages_sent * PAGE_SIZE);
	migctl_fmt_bytes(rate, sizeof(rate), st->link_rate);
	fprintf(stderr, "\r[%s] %-10s round %-3u sent %-10s %4.1fx",
		bar, vmig_mig_state_name(st->state), st->round, sent,
		ratio(st));
	fprintf(stderr, " link %s/s dirty %llu p/s   ", rate,
		(unsigned long long)st->dirty_rate);
}

static int read_file(const char *path, void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n = -1;

	if (f && !fseek(f, 0, SEEK_END))
		n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "migctl: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	*buf = malloc(n ? n : 1);
	*len = n;
	if (!*buf || fread(*buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "migctl: cannot read %s\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int switchover(int vmfd, const char *blob_path)
{
	size_t len = 0;
	void *blob = NULL;
	int ret;

	if (blob_path && read_file(blob_path, &blob, &len))
		return -1;
	ret = vmig_mig_switchover(vmfd, blob, len);
	free(blob);
	if (ret)
		fprintf(stderr, "migctl: cannot switch over: %s\n", ret == -EINVAL ?
			"the session cannot switch over now" : strerror(-ret));
	return ret;
}

enum on_stall { STALL_CANCEL, STALL_FORCE, STALL_WAIT };

struct watch {
	const char *name;
	bool json, quiet, self;
	enum on_stall on_stall;
	const char *blob;
	bool stall_told;
};

/*
 * Follow a session to its end, acting on its state changes; returns the
 * final status's exit code: 0 when done.
 */
static int watch(int vmfd, struct watch *w, struct vmig_mig_status *st)
{
	bool tty = !w->quiet && !w->json && isatty(STDERR_FILENO);
	struct pollfd p = { .fd = vmfd, .events = POLLIN };
	int ret;

	for (;;) {
		ret = vmig_mig_status(vmfd, st, 1);
		if (ret) {
			fprintf(stderr, "migctl: status: %s\n", strerror(-ret));
			return 1;
		}
		if (tty)
			progress(st);
		if (vmig_mig_ended(st->state))
			break;
		if (atomic_load(&interrupted)) {
			fprintf(stderr, "\nmigctl: interrupted: cancelling\n");
			vmig_mig_cancel(vmfd);
			continue;
		}
		if (st->state == VMIG_MIG_STATE_READY && w->self &&
		    switchover(vmfd, w->blob))
			vmig_mig_cancel(vmfd);
		if (st->state == VMIG_MIG_STATE_STALLED && !w->stall_told) {
			w->stall_told = true;
			fprintf(stderr, "%smigctl: VM %s cannot converge:",
				tty ? "\n" : "", w->name);
			fprintf(stderr, " %llu pages dirty, expected downtime %llu ms\n",
				(unsigned long long)st->pages_remaining,
				(unsigned long long)st->expected_downtime_ms);
			if (w->on_stall == STALL_FORCE) {
				fprintf(stderr, "migctl: forcing the switchover\n");
				if (switchover(vmfd, w->blob))
					vmig_mig_cancel(vmfd);
			} else if (w->on_stall == STALL_CANCEL) {
				fprintf(stderr, "migctl: cancelling\n");
				vmig_mig_cancel(vmfd);
			} else {
				fprintf(stderr, "migctl: waiting for 'migctl switchover %s'",
					w->name);
				fprintf(stderr, " or 'migctl cancel %s'\n", w->name);
			}
		}
		poll(&p, 1, tty ? 200 : 1000);
	}
	if (tty)
		fprintf(stderr, "\n");
	if (!w->quiet || w->json)
		print_status(w->name, st, w->json);
	if (st->state == VMIG_MIG_STATE_FAILED)
		fprintf(stderr, "migctl: migration of %s failed: %s\n",
			w->name, strerror(st->error));
	return st->state == VMIG_MIG_STATE_DONE ? 0 : 1;
}

enum {
	OPT_STREAMS = 1, OPT_COMPRESS, OPT_DOWNTIME, OPT_BANDWIDTH, OPT_GROUP,
	OPT_ROUNDS, OPT_PRECOPY, OPT_SWITCHOVER, OPT_ON_STALL, OPT_BLOB,
	OPT_VERIFY, OPT_JSON, OPT_QUIET, OPT_ADDR, OPT_PORT, OPT_TIMEOUT,
	OPT_BLOB_OUT,
};

static const struct migctl_num streams_num = {
	.what = "--streams",
	.min = 1,
	.max = VMIG_MIG_MAX_STREAMS,
};

static const struct migctl_num downtime_num = {
	.what = "--downtime-ms",
	.min = 1,
	.max = 3600000,
	.unit = "ms",
};

static const struct migctl_num bandwidth_num = {
	.what = "--max-bandwidth",
	.min = 1,
	.max = 1ULL << 40,
	.unit = "bytes/s (K, M, G: powers of 1024), or bits/s as in 800Mbit",
	.flags = MIGCTL_NUM_SIZE | MIGCTL_NUM_RATE,
};

static const struct migctl_num group_num = {
	.what = "--group-pages",
	.min = 1,
	.max = VMIG_GROUP_PAGES_MAX,
	.unit = "pages, or auto",
};

static const struct migctl_num rounds_num = {
	.what = "--max-rounds",
	.min = 0,
	.max = 1000000,
};

static const struct migctl_num precopy_num = {
	.what = "--max-precopy-ms",
	.min = 0,
	.max = UINT32_MAX,
	.unit = "ms",
};

static const struct migctl_num port_num = {
	.what = "--port",
	.min = 1,
	.max = 65535,
};

static const struct migctl_num target_port_num = {
	.what = "the port of HOST:PORT",
	.min = 1,
	.max = 65535,
};

static const struct migctl_num timeout_num = {
	.what = "--timeout",
	.min = 0,
	.max = 86400,
	.unit = "seconds",
};

/* A port: a number in range, or a service name for getaddrinfo(). */
static int check_port(const struct migctl_num *n, const char *port)
{
	unsigned long long v;

	return isdigit((unsigned char)*port) ?
	       migctl_parse_num(n, port, &v) : 0;
}

/* One of @names (NULL-terminated): its index into *@out; else usage. */
static int parse_word(const char *what, const char *const *names,
		      const char *s, int *out)
{
	int i;

	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "migctl: %s: %s", what, names[0]);
	for (i = 1; names[i]; i++)
		fprintf(stderr, "%s%s", names[i + 1] ? ", " : " or ", names[i]);
	fprintf(stderr, ", not '%s'\n", s);
	return MIGCTL_USAGE;
}

static const char *const compress_names[] = {
	"auto", "lz4", "none", "zstd", NULL
};

static const __u32 compress_values[] = {
	VMIG_COMPRESS_AUTO, VMIG_COMPRESS_LZ4, VMIG_COMPRESS_NONE,
	VMIG_COMPRESS_ZSTD
};

static const struct migctl_num zstd_level_num = {
	.what = "the LEVEL of --compress zstd:LEVEL",
	.min = 1,
	.max = 22,
};

/* --compress MODE, or zstd:LEVEL (auto:LEVEL: the level auto tries). */
static int parse_compress(const char *arg, struct vmig_mig_start *start)
{
	const char *colon = strchr(arg, ':');
	char mode[8] = "";
	__u32 level = 0;
	int i = 0, ret;

	if (colon && (size_t)(colon - arg) < sizeof(mode))
		memcpy(mode, arg, colon - arg);
	ret = parse_word("--compress", compress_names, colon ? mode : arg, &i);
	if (ret)
		return ret;
	start->compress = compress_values[i];
	if (!colon)
		return 0;
	if (start->compress != VMIG_COMPRESS_ZSTD &&
	    start->compress != VMIG_COMPRESS_AUTO) {
		fprintf(stderr,
			"migctl: --compress: a level is zstd's (zstd:LEVEL or auto:LEVEL), not '%s'\n",
			arg);
		return MIGCTL_USAGE;
	}
	ret = migctl_parse_u32(&zstd_level_num, colon + 1, &level);
	start->compress_level = level;
	return ret;
}

static const char *const switchover_names[] = { "self", "vmm", NULL };
/* In enum on_stall's order. */
static const char *const on_stall_names[] = {
	"cancel", "force", "wait", NULL
};

struct mig_args {
	struct vmig_mig_start start;
	struct migctl_tls tls;
	struct watch w;
	bool on_stall_set;
	__u32 streams;
	const char *addr, *port, *blob_out;
	int timeout_ms;
};

static int mig_opt(void *ctx, int id, const char *arg)
{
	struct mig_args *a = ctx;
	unsigned long long v = 0;
	int i = 0, ret = 0;
	__u32 t = 0;

	switch (id) {
	case OPT_STREAMS:
		return migctl_parse_u32(&streams_num, arg, &a->streams);
	case OPT_COMPRESS:
		return parse_compress(arg, &a->start);
	case OPT_DOWNTIME:
		return migctl_parse_u32(&downtime_num, arg,
					&a->start.downtime_ms);
	case OPT_BANDWIDTH:
		ret = migctl_parse_num(&bandwidth_num, arg, &v);
		a->start.max_bandwidth = v;
		return ret;
	case OPT_GROUP:
		a->start.group_pages = VMIG_GROUP_AUTO;
		return strcmp(arg, "auto") ?
		       migctl_parse_u32(&group_num, arg,
					&a->start.group_pages) : 0;
	case OPT_ROUNDS:
		return migctl_parse_u32(&rounds_num, arg, &a->start.max_rounds);
	case OPT_PRECOPY:
		return migctl_parse_u32(&precopy_num, arg,
					&a->start.max_precopy_ms);
	case OPT_SWITCHOVER:
		ret = parse_word("--switchover", switchover_names, arg, &i);
		a->w.self = !i;
		return ret;
	case OPT_ON_STALL:
		a->on_stall_set = true;
		ret = parse_word("--on-stall", on_stall_names, arg, &i);
		a->w.on_stall = i;
		return ret;
	case OPT_BLOB:
		a->w.blob = arg;
		return 0;
	case OPT_VERIFY:
		a->start.flags |= VMIG_MIG_VERIFY;
		return 0;
	case OPT_JSON:
		a->w.json = true;
		return 0;
	case OPT_QUIET:
		a->w.quiet = true;
		return 0;
	case OPT_ADDR:
		a->addr = arg;
		return 0;
	case OPT_PORT:
		a->port = arg;
		return check_port(&port_num, arg);
	case OPT_TIMEOUT:
		ret = migctl_parse_u32(&timeout_num, arg, &t);
		a->timeout_ms = t * 1000;
		return ret;
	case OPT_BLOB_OUT:
		a->blob_out = arg;
		return 0;
	}
	return migctl_tls_opt(&a->tls, id, arg);
}

static const struct migctl_opt migrate_opts[] = {
	{ "streams", OPT_STREAMS, "N", "TCP connections, 1 to 16 (1)" },
	{ "compress", OPT_COMPRESS, "auto|lz4|zstd[:LEVEL]|none",
	  "page compression (auto)" },
	{ "downtime-ms", OPT_DOWNTIME, "MS", "the downtime to aim at (300)" },
	{ "max-bandwidth", OPT_BANDWIDTH, "RATE",
	  "bytes/s (100M) or bits/s (800Mbit) at most" },
	{ "group-pages", OPT_GROUP, "N|auto",
	  "tracking group size, a power of two (auto)" },
	{ "max-rounds", OPT_ROUNDS, "N", "rounds before a stall (30)" },
	{ "max-precopy-ms", OPT_PRECOPY, "MS", "time before a stall (none)" },
	{ "switchover", OPT_SWITCHOVER, "self|vmm",
	  "who switches over when ready (self)" },
	{ "on-stall", OPT_ON_STALL, "cancel|force|wait",
	  "what to do on a stall (cancel)" },
	{ "blob", OPT_BLOB, "FILE", "the device state to send" },
	{ "verify", OPT_VERIFY, NULL, "digest the memory itself" },
	{ "json", OPT_JSON, NULL, "no progress; the status as JSON at the end" },
	{ "quiet", OPT_QUIET, NULL, "no progress, no summary" },
	{ "peer-name", MIGCTL_OPT_PEER_NAME, "NAME",
	  "the name the target's certificate must carry" },
	{}
};

static int run_migrate(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct mig_args a = {
		.start.group_pages = VMIG_GROUP_AUTO,
		.w.self = true,
		.w.on_stall = STALL_CANCEL,
		.streams = 1,
	};
	int fds[VMIG_MIG_MAX_STREAMS], vmfd, ret, i;
	struct vmig_mig_status st;
	char host[256], port[32];
	struct watch *w = &a.w;
	__u32 streams;
	char **args;

	ret = migctl_parse(cmd, argc, argv, mig_opt, &a, &argc, &args);
	if (ret >= 0)
		return ret;
	if (vmig_net_split(args[1], host, sizeof(host), port, sizeof(port))) {
		fprintf(stderr, "migctl migrate: '%s' is not HOST:PORT\n",
			args[1]);
		return migctl_usage(cmd);
	}
	if (check_port(&target_port_num, port))
		return MIGCTL_USAGE;
	ret = migctl_tls_check(&a.tls, "migrate");
	if (ret)
		return ret;
	w->name = args[0];
	/* With a VMM in charge, migctl only watches; the VMM decides. */
	if (!w->self && a.on_stall_set && w->on_stall != STALL_WAIT) {
		fprintf(stderr, "migctl: with --switchover vmm, the VMM handles a stall\n");
		return MIGCTL_USAGE;
	}
	if (!w->self)
		w->on_stall = STALL_WAIT;
	streams = a.streams;

	vmfd = migctl_open_vm_name(w->name);
	if (vmfd < 0)
		return 1;
	for (i = 0; i < (int)streams; i++) {
		fds[i] = vmig_net_connect(host, port);
		if (fds[i] >= 0 && migctl_tls_secure(&a.tls, fds[i], false)) {
			close(fds[i]);
			fds[i] = -1;
		}
		if (fds[i] < 0) {
			while (i--)
				close(fds[i]);
			close(vmfd);
			return 1;
		}
	}
	ret = vmig_mig_start(vmfd, &a.start, fds, streams);
	for (i = 0; i < (int)streams; i++)
		close(fds[i]);
	if (ret) {
		fprintf(stderr, "migctl: cannot start migrating %s: %s\n", w->name,
			ret == -EBUSY ? "a migration or write tracking runs on it" :
			ret == -EINVAL ? "bad parameters" : strerror(-ret));
		close(vmfd);
		return 1;
	}
	catch_signals();
	ret = watch(vmfd, w, &st);
	close(vmfd);
	return ret;
}

static int write_blob(int vmfd, const char *path)
{
	__u64 need = 0;
	__s64 n;
	void *buf;
	FILE *f;

	n = vmig_mig_get_blob(vmfd, NULL, 0, &need);
	if (n < 0 && n != -EMSGSIZE) {
		fprintf(stderr, "migctl: device state: %s\n", strerror(-n));
		return 1;
	}
	buf = malloc(need ? need : 1);
	if (!buf)
		return 1;
	n = vmig_mig_get_blob(vmfd, buf, need, NULL);
	f = fopen(path, "wb");
	if (n < 0 || !f || fwrite(buf, 1, n, f) != (size_t)n || fclose(f)) {
		fprintf(stderr, "migctl: cannot write the device state to %s\n",
			path);
		free(buf);
		return 1;
	}
	free(buf);
	return 0;
}

/*
 * Accept a connection within @timeout_ms (-1: forever) that passes the
 * handshake; those that fail it are closed, and the wait goes on.
 */
static int accept_secure(int lfd, const struct migctl_tls *t, int timeout_ms)
{
	struct timespec t0, t1;
	int fd, left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = vmig_net_accept(lfd, left);
		if (fd < 0 || !migctl_tls_secure(t, fd, true))
			return fd;
		close(fd);
		if (atomic_load(&interrupted))
			return -EINTR;
		if (timeout_ms < 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
					  (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
	}
}

/* Accept the streams the first HELLO announced. */
static int accept_streams(int vmfd, int lfd, const struct migctl_tls *t,
			  int timeout_ms)
{
	struct vmig_mig_status st;
	int waited = 0, fd, ret;

	for (;;) {
		ret = vmig_mig_status(vmfd, &st, 0);
		if (ret || st.state != VMIG_MIG_STATE_CONNECTING)
			return 0;
		if (st.nr_streams && st.streams_attached >= st.nr_streams) {
			usleep(10000);
			waited += 10;
		} else {
			fd = accept_secure(lfd, t, 100);
			waited += 100;
			if (fd >= 0) {
				ret = vmig_mig_add_stream(vmfd, fd);
				close(fd);
				if (ret)
					fprintf(stderr, "migctl: extra stream refused: %s\n",
						strerror(-ret));
			}
		}
		if (atomic_load(&interrupted) ||
		    (timeout_ms >= 0 && waited > timeout_ms)) {
			fprintf(stderr, "migctl: the source's streams did not all arrive\n");
			vmig_mig_cancel(vmfd);
			return -1;
		}
	}
}

static const struct migctl_opt listen_opts[] = {
	{ "addr", OPT_ADDR, "ADDR", "the address to listen on (any)" },
	{ "port", OPT_PORT, "PORT", "the port, or a service name (7070)" },
	{ "timeout", OPT_TIMEOUT, "S",
	  "seconds to wait for the source's streams" },
	{ "blob-out", OPT_BLOB_OUT, "FILE", "where to write the device state" },
	{ "json", OPT_JSON, NULL, "no progress; the status as JSON at the end" },
	{ "quiet", OPT_QUIET, NULL, "no progress, no summary" },
	{}
};

static int run_listen(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct mig_args a = {
		.start.flags = VMIG_MIG_INCOMING,
		.w.on_stall = STALL_WAIT,
		.port = "7070",
		.timeout_ms = -1,
	};
	struct watch *w = &a.w;
	struct vmig_mig_status st;
	int vmfd, lfd, fd, ret;
	char **args;

	ret = migctl_parse(cmd, argc, argv, mig_opt, &a, &argc, &args);
	if (ret >= 0)
		return ret;
	ret = migctl_tls_check(&a.tls, "listen");
	if (ret)
		return ret;
	w->name = args[0];
	vmfd = migctl_open_vm_name(w->name);
	if (vmfd < 0)
		return 1;
	lfd = vmig_net_listen(a.addr, a.port);
	if (lfd < 0) {
		close(vmfd);
		return 1;
	}
	if (!w->quiet && !w->json)
		fprintf(stderr, "migctl: waiting for %s on %s:%s\n", w->name,
			a.addr ? a.addr : "*", a.port);
	catch_signals();
	fd = accept_secure(lfd, &a.tls, a.timeout_ms);
	if (fd < 0) {
		fprintf(stderr, "migctl: no source connected\n");
		return 1;
	}
	ret = vmig_mig_start(vmfd, &a.start, &fd, 1);
	close(fd);
	if (ret) {
		fprintf(stderr, "migctl: cannot receive %s: %s\n", w->name,
			ret == -EBUSY ? "a migration runs on it" :
			strerror(-ret));
		return 1;
	}
	if (accept_streams(vmfd, lfd, &a.tls,
			   a.timeout_ms < 0 ? 60000 : a.timeout_ms))
		return 1;
	close(lfd);
	ret = watch(vmfd, w, &st);
	if (!ret && a.blob_out)
		ret = write_blob(vmfd, a.blob_out);
	close(vmfd);
	return ret;
}

static int run_status(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct vmig_mig_status st;
	bool json = false;
	int vmfd, ret;
	char **args;

	ret = migctl_parse(cmd, argc, argv, migctl_json_opt, &json, &argc,
			   &args);
	if (ret >= 0)
		return ret;
	vmfd = migctl_open_vm_name(args[0]);
	if (vmfd < 0)
		return 1;
	ret = vmig_mig_status(vmfd, &st, 0);
	close(vmfd);
	if (ret == -ENOENT) {
		fprintf(stderr, "migctl: VM %s has never migrated\n", args[0]);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "migctl: status: %s\n", strerror(-ret));
		return 1;
	}
	print_status(args[0], &st, json);
	return 0;
}

static const struct migctl_opt switchover_opts[] = {
	{ "blob", OPT_BLOB, "FILE", "the device state to send" },
	{}
};

static int run_switchover(const struct migctl_cmd *cmd, int argc,
			  char **argv)
{
	struct mig_args a = {};
	int vmfd, ret;
	char **args;

	ret = migctl_parse(cmd, argc, argv, mig_opt, &a, &argc, &args);
	if (ret >= 0)
		return ret;
	vmfd = migctl_open_vm_name(args[0]);
	if (vmfd < 0)
		return 1;
	ret = switchover(vmfd, a.w.blob);
	close(vmfd);
	return ret ? 1 : 0;
}

static int run_cancel(const struct migctl_cmd *cmd, int argc, char **argv)
{
	int vmfd, ret;
	char **args;

	ret = migctl_parse(cmd, argc, argv, NULL, NULL, &argc, &args);
	if (ret >= 0)
		return ret;
	vmfd = migctl_open_vm_name(args[0]);
	if (vmfd < 0)
		return 1;
	ret = vmig_mig_cancel(vmfd);
	close(vmfd);
	if (ret) {
		fprintf(stderr, "migctl: cancel: %s\n", ret == -ENOENT ?
			"no migration runs" : ret == -EBUSY ?
			"too late: the target decides" : strerror(-ret));
		return 1;
	}
	return 0;
}

const struct migctl_cmd migctl_migrate_cmd = {
	.name = "migrate",
	.args = "NAME HOST:PORT",
	.help = "migrate a VM's memory to a target host",
	.opts = migrate_opts,
	.more_opts = migctl_tls_opts,
	.min_args = 2,
	.max_args = 2,
	.run = run_migrate,
};

const struct migctl_cmd migctl_listen_cmd = {
	.name = "listen",
	.args = "NAME",
	.help = "receive a VM's memory from a source",
	.opts = listen_opts,
	.more_opts = migctl_tls_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_listen,
};

const struct migctl_cmd migctl_status_cmd = {
	.name = "status",
	.args = "NAME",
	.help = "show a VM's migration",
	.opts = migctl_json_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_status,
};

const struct migctl_cmd migctl_switchover_cmd = {
	.name = "switchover",
	.args = "NAME",
	.help = "force a migration's switchover now",
	.opts = switchover_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_switchover,
};

const struct migctl_cmd migctl_cancel_cmd = {
	.name = "cancel",
	.args = "NAME",
	.help = "cancel a VM's migration",
	.min_args = 1,
	.max_args = 1,
	.run = run_cancel,
};
