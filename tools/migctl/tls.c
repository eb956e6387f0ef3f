// SPDX-License-Identifier: GPL-2.0
/*
 * migctl: the security of a migration's streams. By default every stream
 * carries TLS 1.3 (libvmig's tls.c: the handshake here, the keys then in
 * kernel TLS), authenticated by a pre-shared key (--psk, a file made by
 * 'migctl genkey' and copied to both hosts) or by X.509 certificates
 * chained to one pinned CA (--cert, --key, --ca; the source may check the
 * target's name with --peer-name). Plain TCP only with --insecure, which
 * warns. A target drops a connection that fails the handshake and goes on
 * waiting for the real source.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include <vmig/libvmig.h>

#include "migctl.h"

const struct migctl_opt migctl_tls_opts[] = {
	{ "psk", MIGCTL_OPT_PSK, "FILE", "the pre-shared key (migctl genkey)" },
	{ "cert", MIGCTL_OPT_CERT, "FILE", "our X.509 certificate (PEM)" },
	{ "key", MIGCTL_OPT_KEY, "FILE", "its private key (PEM)" },
	{ "ca", MIGCTL_OPT_CA, "FILE",
	  "the CA the peer's certificate must chain to" },
	{ "insecure", MIGCTL_OPT_INSECURE, NULL,
	  "plain TCP: no encryption, no authentication" },
	{}
};

int migctl_tls_opt(struct migctl_tls *t, int id, const char *arg)
{
	switch (id) {
	case MIGCTL_OPT_PSK:
		t->cfg.psk_file = arg;
		return 0;
	case MIGCTL_OPT_CERT:
		t->cfg.cert_file = arg;
		return 0;
	case MIGCTL_OPT_KEY:
		t->cfg.key_file = arg;
		return 0;
	case MIGCTL_OPT_CA:
		t->cfg.ca_file = arg;
		return 0;
	case MIGCTL_OPT_PEER_NAME:
		t->cfg.peer_name = arg;
		return 0;
	case MIGCTL_OPT_INSECURE:
		t->insecure = true;
		return 0;
	}
	return MIGCTL_USAGE;
}

int migctl_tls_check(struct migctl_tls *t, const char *cmd)
{
	const struct vmig_tls_cfg *c = &t->cfg;
	bool x509 = c->cert_file || c->key_file || c->ca_file;

	if (t->insecure && (c->psk_file || x509 || c->peer_name)) {
		fprintf(stderr, "migctl %s: --insecure and credentials: choose\n",
			cmd);
		return MIGCTL_USAGE;
	}
	if (c->psk_file && (x509 || c->peer_name)) {
		fprintf(stderr, "migctl %s: --psk, or --cert, --key and --ca: not both\n",
			cmd);
		return MIGCTL_USAGE;
	}
	if (x509 && (!c->cert_file || !c->key_file || !c->ca_file)) {
		fprintf(stderr, "migctl %s: X.509 needs --cert, --key and --ca\n",
			cmd);
		return MIGCTL_USAGE;
	}
	if (!t->insecure && !c->psk_file && !x509) {
		fprintf(stderr, "migctl %s: no credentials: %s\n", cmd,
			"--psk FILE (see migctl genkey), or --cert, --key and --ca; --insecure sends the guest's memory in clear");
		return MIGCTL_USAGE;
	}
	if (!t->insecure) {
		char err[512];

		if (vmig_tls_check(c, err, sizeof(err))) {
			fprintf(stderr, "migctl %s: %s\n", cmd, err);
			return 1;
		}
	}
	if (t->insecure)
		fprintf(stderr, "migctl: warning: --insecure: %s\n",
			"the guest's memory crosses the network unencrypted, and the peer is not authenticated");
	return 0;
}

/* "ADDR:PORT" of @fd's peer, for messages. */
static void peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (!getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof(host));
			port = ntohs(in->sin6_port);
		}
	}
	snprintf(buf, len, "%s:%u", host, port);
}

int migctl_tls_secure(const struct migctl_tls *t, int fd, bool server)
{
	char err[512], peer[INET6_ADDRSTRLEN + 8];
	int ret;

	if (t->insecure)
		return 0;
	ret = vmig_tls_handshake(fd, &t->cfg, server, err, sizeof(err));
	if (ret) {
		peer_name(fd, peer, sizeof(peer));
		fprintf(stderr, "migctl: %s %s: %s\n",
			server ? "refused a connection from" : "target", peer,
			err);
	}
	return ret;
}

static int run_genkey(const struct migctl_cmd *cmd, int argc, char **argv)
{
	char hex[2 * VMIG_TLS_PSK_BYTES + 1];
	struct stat st;
	char **args;
	int ret;

	ret = migctl_parse(cmd, argc, argv, NULL, NULL, &argc, &args);
	if (ret >= 0)
		return ret;
	/* The key is a secret: not into a file others can read. */
	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077)) {
		fprintf(stderr, "migctl genkey: %s\n",
			"the output file is readable by others; run it with umask 077");
		return 1;
	}
	if (vmig_tls_genkey(hex, sizeof(hex))) {
		fprintf(stderr, "migctl genkey: no random numbers\n");
		return 1;
	}
	ret = printf("%s\n", hex) < 0 || fflush(stdout) ? 1 : 0;
	memset(hex, 0, sizeof(hex));
	return ret;
}

const struct migctl_cmd migctl_genkey_cmd = {
	.name = "genkey",
	.help = "print a new pre-shared key for --psk (umask 077 first)",
	.run = run_genkey,
};
