// SPDX-License-Identifier: GPL-2.0
/*
 * migctl track NAME: start write tracking, harvest in a loop and print the
 * dirty rate, stop tracking on exit.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libvmig.h"
#include "migctl.h"

static atomic_bool stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_track(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group-pages", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{}
	};
	unsigned int group = 64, interval_ms = 1000, count = 0, round;
	struct vmig_vm_stats s0, s1;
	struct vmig_vm_entry e;
	double t0, t1;
	char rate[32], amount[32];
	__u64 *bm = NULL;
	int opt, fd, ret = 1;
	__s64 dirty;

	while ((opt = getopt_long(argc, argv, "g:i:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			if (migctl_parse_uint(optarg, &group))
				goto usage;
			break;
		case 'i':
			if (migctl_parse_uint(optarg, &interval_ms))
				goto usage;
			break;
		case 'c':
			if (migctl_parse_uint(optarg, &count))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || !interval_ms)
		goto usage;

	fd = migctl_open_vm_name(argv[optind]);
	if (fd < 0)
		return 1;
	if (vmig_vm_info(fd, &e))
		goto out;
	bm = calloc((e.nr_pages + 63) / 64, sizeof(*bm));
	if (!bm)
		goto out;
	ret = vmig_track_start(fd, group);
	if (ret) {
		fprintf(stderr, "migctl: cannot start tracking: %s\n",
			ret == -EBUSY ? "tracking already runs (a migration?)" :
			ret == -EINVAL ? "group size must be a power of two, 1 to 512" :
			strerror(-ret));
		ret = 1;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (group)
		printf("tracking %s (%llu pages) in groups of %u pages; Ctrl-C stops\n",
		       e.name, (unsigned long long)e.nr_pages, group);
	else
		printf("tracking %s (%llu pages), group sizes chosen per 2 MiB; Ctrl-C stops\n",
		       e.name, (unsigned long long)e.nr_pages);

	vmig_vm_stats(fd, &s0);
	t0 = now();
	for (round = 0; !atomic_load(&stop) && (!count || round <= count); round++) {
		dirty = vmig_harvest(fd, 0, e.nr_pages, 0, bm);
		t1 = now();
		if (dirty < 0) {
			fprintf(stderr, "migctl: harvest: %s\n", strerror(-dirty));
			vmig_track_stop(fd);
			ret = 1;
			goto out;
		}
		vmig_vm_stats(fd, &s1);
		if (round) {
			migctl_fmt_bytes(amount, sizeof(amount), dirty * 4096.0);
			migctl_fmt_bytes(rate, sizeof(rate),
					 dirty * 4096.0 / (t1 - t0));
			printf("round %u: %lld pages dirty (%s), %s/s, %llu write faults\n",
			       round, (long long)dirty, amount, rate,
			       (unsigned long long)(s1.write_faults -
						    s0.write_faults));
		} else {
			printf("round 0: %lld pages (everything is dirty at start)\n",
			       (long long)dirty);
		}
		fflush(stdout);
		s0 = s1;
		t0 = t1;
		if (!count || round < count)
			usleep(interval_ms * 1000);
	}
	ret = vmig_track_stop(fd) ? 1 : 0;
out:
	free(bm);
	close(fd);
	return ret;
usage:
	fprintf(stderr,
		"usage: migctl track NAME [--group-pages G] [--interval MS] [--count N]\n");
	return 2;
}
