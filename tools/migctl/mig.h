/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migctl: what the migration commands share.
 */
#ifndef _MIGCTL_MIG_H
#define _MIGCTL_MIG_H

#include <stdbool.h>
#include <linux/vmig.h>

/* net.c: TCP, in the caller's network namespace. */

/* Split "HOST:PORT" or "[V6ADDR]:PORT"; -1 when malformed. */
int net_split(const char *arg, char *host, size_t hlen, char *port,
	      size_t plen);
/* Connect to @host:@port; a descriptor, or -1 with a message on stderr. */
int net_connect(const char *host, const char *port);
/* Listen on @addr (NULL: any) and @port; -1 with a message on stderr. */
int net_listen(const char *addr, const char *port);
/* Accept one connection within @timeout_ms (-1: forever); -1 on timeout. */
int net_accept(int lfd, int timeout_ms);

/* mig.c: show a session's status. */
void mig_print_status(const char *name, const struct vmig_mig_status *st,
		      bool json);

#endif /* _MIGCTL_MIG_H */
