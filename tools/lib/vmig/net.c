// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: the TCP connections a migration runs over, in the caller's
 * network namespace. The VMM (or migctl) connects and accepts them and
 * hands them to the kernel, which does all the sending and receiving.
 * What did not resolve or connect is said on stderr, prefixed with the
 * program's name.
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

#include "libvmig.h"

int vmig_net_split(const char *arg, char *host, size_t hlen, char *port,
		   size_t plen)
{
	const char *colon = strrchr(arg, ':');
	const char *h = arg;
	size_t n;

	if (!colon || !colon[1] || strlen(colon + 1) >= plen)
		return -EINVAL;
	n = colon - arg;
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (!n || n >= hlen)
		return -EINVAL;
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

/* getaddrinfo(), saying why it failed; -errno. */
static int net_resolve(const char *host, const char *port, int flags,
		       struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = flags };
	int err = getaddrinfo(host, port, &hints, res);

	if (!err)
		return 0;
	fprintf(stderr, "%s: %s:%s: %s\n", program_invocation_short_name,
		host ? host : "*", port, gai_strerror(err));
	return err == EAI_SYSTEM ? -errno : err == EAI_MEMORY ? -ENOMEM :
	       -EADDRNOTAVAIL;
}

/*
 * A socket connected to (or, with @passive, listening on) the first
 * address of @host:@port that takes it; -errno.
 */
static int net_open(const char *host, const char *port, bool passive)
{
	struct addrinfo *res, *ai;
	int fd = -1, err, one = 1;

	err = -net_resolve(host, port, passive ? AI_PASSIVE : 0, &res);
	if (err)
		return -err;
	err = ENOENT;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (passive) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			err = bind(fd, ai->ai_addr, ai->ai_addrlen) ||
			      listen(fd, 16);
		} else {
			err = connect(fd, ai->ai_addr, ai->ai_addrlen);
		}
		if (!err)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot %s %s:%s: %s\n",
			program_invocation_short_name,
			passive ? "listen on" : "connect to",
			host ? host : "*", port, strerror(err));
		return -err;
	}
	return fd;
}

int vmig_net_connect(const char *host, const char *port)
{
	int fd = net_open(host, port, false);

	if (fd >= 0)
		net_tune(fd);
	return fd;
}

int vmig_net_listen(const char *addr, const char *port)
{
	return net_open(addr, port, true);
}

int vmig_net_accept(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd, ret;

	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	net_tune(fd);
	return fd;
}
