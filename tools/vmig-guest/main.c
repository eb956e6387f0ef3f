// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: a program that plays both a VMM and its guest, written
 * against vmig's public interface as a VMM would use it, to show and test
 * a live migration end to end.
 *
 *   vmig-guest source NAME HOST:PORT [options]   run, then migrate away
 *   vmig-guest target NAME [options]             receive, verify, run on
 *
 * With --migctl instead of HOST:PORT (and on the target), the operator's
 * migctl migrate --switchover vmm and migctl listen drive the session, and
 * vmig-guest does only what a VMM does: the switchover, the device state,
 * the disk. With --disk the guest also does disk IO through a dm-vmig
 * filter, journalled as its memory is.
 *
 * The parts: the guest (guest.c), the VMM's memory side and the session
 * (vmm_mem.c), the VMM's disk side (vmm_disk.c); this file reads the
 * command line.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmig/libvmig.h>

#include "vmm.h"

static void die_usage(void)
{
	fprintf(stderr,
		"usage: vmig-guest source NAME HOST:PORT|--migctl [--size SIZE] [--rate PAGES/S]\n"
		"           [--pattern random|seq|hot] [--content mixed|zero|text|random]\n"
		"           [--streams N] [--compress auto|lz4|zstd|none] [--downtime-ms MS]\n"
		"           [--group-pages N|auto] [--max-bandwidth BYTES/S] [--max-rounds N]\n"
		"           [--disk DEV] [--disk-depth N] [--disk-rate IOPS] [--hold-ms MS]\n"
		"           [--late-io N]\n"
		"           [--cancel-at precopy|handoff|switchover] [--on-stall force|cancel]\n"
		"           [--progress] [--json] --psk FILE|--insecure\n"
		"       vmig-guest target NAME [--size SIZE] [--addr ADDR] [--port PORT]\n"
		"           [--disk DEV] [--run-ms MS] [--migctl] [--json]\n"
		"           --psk FILE|--insecure\n"
		"Without --migctl, the streams carry TLS keyed by --psk (migctl genkey),\n"
		"or, with --insecure, plain TCP.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "content", required_argument, NULL, 'c' },
		{ "streams", required_argument, NULL, 's' },
		{ "compress", required_argument, NULL, 'C' },
		{ "downtime-ms", required_argument, NULL, 'd' },
		{ "group-pages", required_argument, NULL, 'g' },
		{ "max-bandwidth", required_argument, NULL, 'b' },
		{ "max-rounds", required_argument, NULL, 'm' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "run-ms", required_argument, NULL, 'R' },
		{ "cancel-at", required_argument, NULL, 'x' },
		{ "disk", required_argument, NULL, 'D' },
		{ "disk-depth", required_argument, NULL, 'q' },
		{ "disk-rate", required_argument, NULL, 'i' },
		{ "hold-ms", required_argument, NULL, 'h' },
		{ "on-stall", required_argument, NULL, 'o' },
		{ "late-io", required_argument, NULL, 'L' },
		{ "progress", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "migctl", no_argument, NULL, 'M' },
		{ "psk", required_argument, NULL, 'K' },
		{ "insecure", no_argument, NULL, 'I' },
		{}
	};
	struct vmig_mig_start start = { .compress = VMIG_COMPRESS_AUTO,
					.group_pages = VMIG_GROUP_AUTO };
	const char *addr = NULL, *port = "7070";
	enum cancel_at cancel_at = NEVER;
	unsigned int run_ms = 1000;
	bool show = false, migctl = false, insecure = false;
	const char *target = NULL;
	int streams = 2, c;
	struct vmm_opts o = {
		.nr_pages = 256 * 256,
		.regs = { .rate = 20000, .pattern = RANDOM, .disk_depth = 8,
			  .disk_rate = 200 },
	};

	if (argc < 3)
		die_usage();
	optind = 3;
	if (!strcmp(argv[1], "source") && argc > 3 && argv[3][0] != '-')
		target = argv[optind++];
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.nr_pages = strtoull(optarg, NULL, 0) * 256;
			break;
		case 'r':
			o.regs.rate = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			o.regs.pattern = !strcmp(optarg, "seq") ? SEQ :
				      !strcmp(optarg, "hot") ? HOT : RANDOM;
			break;
		case 'c':
			o.regs.content = !strcmp(optarg, "zero") ? ZERO :
				      !strcmp(optarg, "text") ? TEXT :
				      !strcmp(optarg, "random") ? NOISE : MIXED;
			break;
		case 's':
			streams = atoi(optarg);
			break;
		case 'C':
			start.compress = !strcmp(optarg, "none") ?
					 VMIG_COMPRESS_NONE :
					 !strcmp(optarg, "lz4") ?
					 VMIG_COMPRESS_LZ4 :
					 !strcmp(optarg, "zstd") ?
					 VMIG_COMPRESS_ZSTD : VMIG_COMPRESS_AUTO;
			break;
		case 'd':
			start.downtime_ms = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			start.group_pages = strcmp(optarg, "auto") ?
					    strtoul(optarg, NULL, 0) : 0;
			break;
		case 'b':
			start.max_bandwidth = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			start.max_rounds = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'P':
			port = optarg;
			break;
		case 'R':
			run_ms = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			cancel_at = !strcmp(optarg, "precopy") ? PRECOPY :
				    !strcmp(optarg, "handoff") ? HANDOFF :
				    !strcmp(optarg, "switchover") ? SWITCHOVER :
				    NEVER;
			if (cancel_at == NEVER)
				die_usage();
			break;
		case 'D':
			o.disk = optarg;
			break;
		case 'q':
			o.regs.disk_depth = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			o.regs.disk_rate = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			o.hold_ms = strtoul(optarg, NULL, 0);
			break;
		case 'M':
			migctl = true;
			break;
		case 'L':
			o.late_io = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			if (strcmp(optarg, "force") && strcmp(optarg, "cancel"))
				die_usage();
			o.stall_cancel = !strcmp(optarg, "cancel");
			break;
		case 'v':
			show = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'K':
			o.psk_file = optarg;
			break;
		case 'I':
			insecure = true;
			break;
		default:
			die_usage();
		}
	}
	if (o.nr_pages < 64 || streams < 1 || streams > VMIG_MIG_MAX_STREAMS ||
	    !o.regs.disk_depth || o.regs.disk_depth > DISK_MAX_DEPTH ||
	    (!migctl && !o.psk_file == !insecure))
		die_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "source") && !target != !migctl)
		return vmm_source(&o, argv[2], target, streams, &start, show,
				  cancel_at);
	if (!strcmp(argv[1], "target"))
		return vmm_target(&o, argv[2], addr, port, run_ms, migctl);
	die_usage();
}
