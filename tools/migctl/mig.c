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
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvmig.h"
#include "migctl.h"
#include "mig.h"

#define PAGE_SIZE 4096.0

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

static void json_u64(const char *key, __u64 v)
{
	printf("\"%s\":%llu,", key, (unsigned long long)v);
}

void mig_print_status(const char *name, const struct vmig_mig_status *st,
		      bool json)
{
	char sent[32], wire[32], rate[32];
	bool in = st->info & VMIG_MIG_INFO_INCOMING;

	if (json) {
		printf("{\"vm\":\"%s\",\"role\":\"%s\",\"state\":\"%s\",",
		       name, in ? "target" : "source",
		       vmig_mig_state_name(st->state));
		printf("\"error\":\"%s\",\"round\":%u,\"streams\":%u,",
		       st->error ? strerror(st->error) : "", st->round,
		       st->nr_streams);
		json_u64("pages_total", st->pages_total);
		json_u64("pages_sent", st->pages_sent);
		json_u64("pages_remaining", st->pages_remaining);
		json_u64("zero_pages", st->zero_pages);
		json_u64("lz4_pages", st->lz4_pages);
		json_u64("raw_pages", st->raw_pages);
		json_u64("bytes_wire", st->bytes_wire);
		printf("\"compression_ratio\":%.3f,", ratio(st));
		json_u64("dirty_rate", st->dirty_rate);
		json_u64("link_rate", st->link_rate);
		json_u64("expected_downtime_ms", st->expected_downtime_ms);
		json_u64("total_ms", st->total_ms);
		json_u64("downtime_ms", st->downtime_ms);
		printf("\"blob_len\":%llu}\n", (unsigned long long)st->blob_len);
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
	printf(" (%llu zero, %llu lz4, %llu raw), %s on the wire, ratio %.2fx\n",
	       (unsigned long long)st->zero_pages,
	       (unsigned long long)st->lz4_pages,
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
		mig_print_status(w->name, st, w->json);
	if (st->state == VMIG_MIG_STATE_FAILED)
		fprintf(stderr, "migctl: migration of %s failed: %s\n",
			w->name, strerror(st->error));
	return st->state == VMIG_MIG_STATE_DONE ? 0 : 1;
}

static int parse_compress(const char *s, __u32 *out)
{
	if (!strcmp(s, "auto"))
		*out = VMIG_COMPRESS_AUTO;
	else if (!strcmp(s, "none"))
		*out = VMIG_COMPRESS_NONE;
	else if (!strcmp(s, "lz4"))
		*out = VMIG_COMPRESS_LZ4;
	else
		return -1;
	return 0;
}

/*
 * "100M" bytes per second (binary units, like sizes), or with a bit
 * suffix, as link speeds go, decimal: "800Mbit" = 100000000 bytes/s.
 */
static long long parse_rate(const char *s)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!strstr(s, "bit"))
		return migctl_parse_size(s);
	v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k':
		mult = 1000;
		end++;
		break;
	case 'M': case 'm':
		mult = 1000000;
		end++;
		break;
	case 'G': case 'g':
		mult = 1000000000;
		end++;
		break;
	}
	if (strcmp(end, "bit") || v > (1ULL << 60) / mult)
		return -1;
	return v * mult / 8;
}

static void usage_migrate(void)
{
	fprintf(stderr,
		"usage: migctl migrate NAME HOST:PORT [--streams N] [--compress auto|lz4|none]\n"
		"       [--downtime-ms MS] [--max-bandwidth RATE] [--group-pages N|auto]\n"
		"       [--max-rounds N] [--max-precopy-ms MS] [--switchover self|vmm]\n"
		"       [--on-stall cancel|force|wait] [--blob FILE] [--verify] [--json] [--quiet]\n");
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "streams", required_argument, NULL, 's' },
		{ "compress", required_argument, NULL, 'c' },
		{ "downtime-ms", required_argument, NULL, 'd' },
		{ "max-bandwidth", required_argument, NULL, 'b' },
		{ "group-pages", required_argument, NULL, 'g' },
		{ "max-rounds", required_argument, NULL, 'r' },
		{ "max-precopy-ms", required_argument, NULL, 'p' },
		{ "switchover", required_argument, NULL, 'S' },
		{ "on-stall", required_argument, NULL, 'o' },
		{ "blob", required_argument, NULL, 'B' },
		{ "verify", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{}
	};
	struct vmig_mig_start start = { .group_pages = VMIG_GROUP_AUTO };
	struct watch w = { .self = true, .on_stall = STALL_CANCEL };
	bool on_stall_set = false;
	int fds[VMIG_MIG_MAX_STREAMS], vmfd, ret, c, i;
	char host[256], port[32];
	struct vmig_mig_status st;
	__u32 streams = 1;
	long long bw;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (migctl_parse_uint(optarg, &streams) || !streams ||
			    streams > VMIG_MIG_MAX_STREAMS) {
				fprintf(stderr, "migctl: --streams: 1 to %d\n",
					VMIG_MIG_MAX_STREAMS);
				return 2;
			}
			break;
		case 'c':
			if (parse_compress(optarg, &start.compress)) {
				fprintf(stderr, "migctl: --compress: auto, lz4 or none\n");
				return 2;
			}
			break;
		case 'd':
			if (migctl_parse_uint(optarg, &start.downtime_ms) ||
			    !start.downtime_ms) {
				fprintf(stderr, "migctl: --downtime-ms: a positive number\n");
				return 2;
			}
			break;
		case 'b':
			bw = parse_rate(optarg);
			if (bw <= 0) {
				fprintf(stderr, "migctl: --max-bandwidth: e.g. 100M, 800Mbit\n");
				return 2;
			}
			start.max_bandwidth = bw;
			break;
		case 'g':
			if (!strcmp(optarg, "auto")) {
				start.group_pages = VMIG_GROUP_AUTO;
			} else if (migctl_parse_uint(optarg, &start.group_pages) ||
				   !start.group_pages) {
				fprintf(stderr, "migctl: --group-pages: a power of two, or auto\n");
				return 2;
			}
			break;
		case 'r':
			if (migctl_parse_uint(optarg, &start.max_rounds)) {
				fprintf(stderr, "migctl: --max-rounds: a number\n");
				return 2;
			}
			break;
		case 'p':
			if (migctl_parse_uint(optarg, &start.max_precopy_ms)) {
				fprintf(stderr, "migctl: --max-precopy-ms: a number\n");
				return 2;
			}
			break;
		case 'S':
			if (strcmp(optarg, "self") && strcmp(optarg, "vmm")) {
				fprintf(stderr, "migctl: --switchover: self or vmm\n");
				return 2;
			}
			w.self = !strcmp(optarg, "self");
			break;
		case 'o':
			on_stall_set = true;
			if (!strcmp(optarg, "cancel")) {
				w.on_stall = STALL_CANCEL;
			} else if (!strcmp(optarg, "force")) {
				w.on_stall = STALL_FORCE;
			} else if (!strcmp(optarg, "wait")) {
				w.on_stall = STALL_WAIT;
			} else {
				fprintf(stderr, "migctl: --on-stall: cancel, force or wait\n");
				return 2;
			}
			break;
		case 'B':
			w.blob = optarg;
			break;
		case 'v':
			start.flags |= VMIG_MIG_VERIFY;
			break;
		case 'j':
			w.json = true;
			break;
		case 'q':
			w.quiet = true;
			break;
		default:
			usage_migrate();
			return 2;
		}
	}
	if (argc - optind != 2 ||
	    net_split(argv[optind + 1], host, sizeof(host), port, sizeof(port))) {
		usage_migrate();
		return 2;
	}
	w.name = argv[optind];
	/* With a VMM in charge, migctl only watches; the VMM decides. */
	if (!w.self && on_stall_set && w.on_stall != STALL_WAIT) {
		fprintf(stderr, "migctl: with --switchover vmm, the VMM handles a stall\n");
		return 2;
	}
	if (!w.self)
		w.on_stall = STALL_WAIT;

	vmfd = migctl_open_vm_name(w.name);
	if (vmfd < 0)
		return 1;
	for (i = 0; i < (int)streams; i++) {
		fds[i] = net_connect(host, port);
		if (fds[i] < 0) {
			while (i--)
				close(fds[i]);
			return 1;
		}
	}
	ret = vmig_mig_start(vmfd, &start, fds, streams);
	for (i = 0; i < (int)streams; i++)
		close(fds[i]);
	if (ret) {
		fprintf(stderr, "migctl: cannot start migrating %s: %s\n", w.name,
			ret == -EBUSY ? "a migration or write tracking runs on it" :
			ret == -EINVAL ? "bad parameters" : strerror(-ret));
		return 1;
	}
	catch_signals();
	ret = watch(vmfd, &w, &st);
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

/* Accept the streams the first HELLO announced. */
static int accept_streams(int vmfd, int lfd, int timeout_ms)
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
			fd = net_accept(lfd, 100);
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

int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "blob-out", required_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{}
	};
	struct vmig_mig_start start = { .flags = VMIG_MIG_INCOMING };
	struct watch w = { .on_stall = STALL_WAIT };
	const char *addr = NULL, *port = "7070", *blob_out = NULL;
	int vmfd, lfd, fd, ret, c, timeout_ms = -1;
	struct vmig_mig_status st;
	__u32 t;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 't':
			if (migctl_parse_uint(optarg, &t) || t > INT_MAX / 1000) {
				fprintf(stderr, "migctl: --timeout: seconds\n");
				return 2;
			}
			timeout_ms = t * 1000;
			break;
		case 'B':
			blob_out = optarg;
			break;
		case 'j':
			w.json = true;
			break;
		case 'q':
			w.quiet = true;
			break;
		default:
			fprintf(stderr, "usage: migctl listen NAME [--addr ADDR] [--port PORT]\n");
			fprintf(stderr, "       [--timeout S]");
			fprintf(stderr, " [--blob-out FILE] [--json] [--quiet]\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: migctl listen NAME [options]\n");
		return 2;
	}
	w.name = argv[optind];
	vmfd = migctl_open_vm_name(w.name);
	if (vmfd < 0)
		return 1;
	lfd = net_listen(addr, port);
	if (lfd < 0)
		return 1;
	if (!w.quiet && !w.json)
		fprintf(stderr, "migctl: waiting for %s on %s:%s\n", w.name,
			addr ? addr : "*", port);
	catch_signals();
	fd = net_accept(lfd, timeout_ms);
	if (fd < 0) {
		fprintf(stderr, "migctl: no source connected\n");
		return 1;
	}
	ret = vmig_mig_start(vmfd, &start, &fd, 1);
	close(fd);
	if (ret) {
		fprintf(stderr, "migctl: cannot receive %s: %s\n", w.name,
			ret == -EBUSY ? "a migration runs on it" :
			strerror(-ret));
		return 1;
	}
	if (accept_streams(vmfd, lfd, timeout_ms < 0 ? 60000 : timeout_ms))
		return 1;
	close(lfd);
	ret = watch(vmfd, &w, &st);
	if (!ret && blob_out)
		ret = write_blob(vmfd, blob_out);
	close(vmfd);
	return ret;
}

/* NAME, then only the options in @allowed (NULL-terminated); else usage. */
static bool args_ok(int argc, char **argv, const char *const *allowed,
		    int with_value)
{
	int i, k;

	if (argc < 2 || argv[1][0] == '-')
		return false;
	for (i = 2; i < argc; i++) {
		for (k = 0; allowed[k]; k++)
			if (!strcmp(argv[i], allowed[k]))
				break;
		if (!allowed[k])
			return false;
		if (k < with_value && ++i >= argc)
			return false;
	}
	return true;
}

int cmd_status(int argc, char **argv)
{
	static const char *const opts[] = { "--json", NULL };
	struct vmig_mig_status st;
	int vmfd, ret;

	if (!args_ok(argc, argv, opts, 0)) {
		fprintf(stderr, "usage: migctl status NAME [--json]\n");
		return 2;
	}
	vmfd = migctl_open_vm_name(argv[1]);
	if (vmfd < 0)
		return 1;
	ret = vmig_mig_status(vmfd, &st, 0);
	close(vmfd);
	if (ret == -ENOENT) {
		fprintf(stderr, "migctl: VM %s has never migrated\n", argv[1]);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "migctl: status: %s\n", strerror(-ret));
		return 1;
	}
	mig_print_status(argv[1], &st, argc > 2);
	return 0;
}

int cmd_switchover(int argc, char **argv)
{
	static const char *const opts[] = { "--blob", NULL };
	int vmfd, ret;

	if (!args_ok(argc, argv, opts, 1) || argc == 3) {
		fprintf(stderr, "usage: migctl switchover NAME [--blob FILE]\n");
		return 2;
	}
	vmfd = migctl_open_vm_name(argv[1]);
	if (vmfd < 0)
		return 1;
	ret = switchover(vmfd, argc == 4 ? argv[3] : NULL);
	close(vmfd);
	return ret ? 1 : 0;
}

int cmd_cancel(int argc, char **argv)
{
	static const char *const opts[] = { NULL };
	int vmfd, ret;

	if (!args_ok(argc, argv, opts, 0)) {
		fprintf(stderr, "usage: migctl cancel NAME\n");
		return 2;
	}
	vmfd = migctl_open_vm_name(argv[1]);
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
