// SPDX-License-Identifier: GPL-2.0
/*
 * sniff IFACE PATTERN SECONDS: capture every frame on IFACE (AF_PACKET,
 * both directions) for SECONDS, or until SIGTERM, and print how many
 * frames hold PATTERN, and how many frames there were. For mig_netns.sh:
 * a known pattern of guest memory must not appear on the wire under TLS
 * (and must, in the same run without it, or the capture proves nothing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	static unsigned char frame[65536];
	unsigned long frames = 0, hits = 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct pollfd p = { .events = POLLIN };
	sigset_t term;
	size_t plen;
	time_t end;
	ssize_t n;

	if (argc != 4) {
		fprintf(stderr, "usage: sniff IFACE PATTERN SECONDS\n");
		return 2;
	}
	plen = strlen(argv[2]);
	end = time(NULL) + atoi(argv[3]);
	/* SIGTERM ends the capture: blocked, and looked for between frames. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	p.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(argv[1]);
	if (p.fd < 0 || !sll.sll_ifindex ||
	    bind(p.fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("sniff");
		return 1;
	}
	/* Ready: the caller may start the traffic. */
	printf("listening\n");
	fflush(stdout);
	while (time(NULL) < end) {
		sigset_t pending;

		if (!sigpending(&pending) && sigismember(&pending, SIGTERM))
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(p.fd, frame, sizeof(frame), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		frames++;
		hits += !!memmem(frame, n, argv[2], plen);
	}
	printf("%lu frames, %lu with the pattern\n", frames, hits);
	return 0;
}
