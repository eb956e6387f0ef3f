// SPDX-License-Identifier: GPL-2.0
/*
 * migctl: the TCP connections a migration runs over. migctl connects and
 * accepts them, in its own network namespace, and hands them to the
 * kernel, which does all the sending and receiving.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mig.h"

int net_split(const char *arg, char *host, size_t hlen, char *port,
	      size_t plen)
{
	const char *colon = strrchr(arg, ':');
	const char *h = arg;
	size_t n;

	if (!colon || !colon[1] || strlen(colon + 1) >= plen)
		return -1;
	n = colon - arg;
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (!n || n >= hlen)
		return -1;
	memcpy(host, h, n);
	host[n] = 0;
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

/* Small records must not wait for more data: the kernel sends whole ones. */
static void net_tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int net_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, err;

	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "migctl: %s:%s: %s\n", host, port,
			gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "migctl: cannot connect to %s:%s: %s\n", host,
			port, strerror(errno));
	else
		net_tune(fd);
	return fd;
}

int net_listen(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res, *ai;
	int fd = -1, err, one = 1;

	err = getaddrinfo(addr, port, &hints, &res);
	if (err) {
		fprintf(stderr, "migctl: %s:%s: %s\n", addr ? addr : "*", port,
			gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "migctl: cannot listen on %s:%s: %s\n",
			addr ? addr : "*", port, strerror(errno));
	return fd;
}

int net_accept(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		net_tune(fd);
	return fd;
}
