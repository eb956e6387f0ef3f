// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: TLS 1.3 on a migration stream. The handshake runs here, in
 * userspace, with GnuTLS; its traffic keys then go to kernel TLS
 * (setsockopt(SOL_TLS, TLS_TX / TLS_RX), as the kernel's own handshake
 * helper, tlshd, does), and vmig reads and writes plaintext through it.
 *
 * Two ways to authenticate the peer: a pre-shared key, one key file that
 * both hosts hold (vmig_tls_genkey()), used with an (EC)DHE exchange so
 * that a leaked key does not open recorded sessions; or X.509 certificates,
 * each side's chained to one pinned CA, the client checking the server's
 * name when it is given. Only AES-GCM, which kTLS takes, and no session
 * tickets, which kTLS could not take after the handshake.
 *
 * The handshake must leave nothing behind in GnuTLS's buffers: what the
 * peer sends next belongs to the kernel. The transport therefore reads
 * TLS records one at a time, a header first (peeked) and then exactly
 * that record, never past the last handshake record.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "libvmig.h"

#define TLS_PRIORITY "NONE:+VERS-TLS1.3:+AES-256-GCM:+AES-128-GCM:+AEAD:" \
	"+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+SIGN-ALL:+CTYPE-X509"
/* The PSK mode with an ephemeral exchange only (psk_dhe_ke). */
#define TLS_PRIORITY_PSK TLS_PRIORITY ":+ECDHE-PSK:+DHE-PSK"
#define TLS_PSK_IDENTITY "vmig"

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int vmig_tls_genkey(char *hex, size_t len)
{
	unsigned char key[VMIG_TLS_PSK_BYTES];
	size_t i;

	if (len < 2 * sizeof(key) + 1)
		return -EINVAL;
	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)))
		return -EIO;
	for (i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	memset(key, 0, sizeof(key));
	return 0;
}

/* The value of hex digit @c, or -1. */
static int tls_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key of @path: 64 hex digits and a newline, readable by its owner only. */
static int tls_read_psk(const char *path, unsigned char *key, char *err,
			size_t errlen)
{
	char buf[2 * VMIG_TLS_PSK_BYTES + 2];
	unsigned int i;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		n = -errno;
		say(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return (int)n;
	}
	if (st.st_mode & 077) {
		close(fd);
		say(err, errlen, "%s: readable by others than its owner (chmod 600 it)",
		    path);
		return -EACCES;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 2 * VMIG_TLS_PSK_BYTES ||
	    (n > 2 * VMIG_TLS_PSK_BYTES && buf[2 * VMIG_TLS_PSK_BYTES] != '\n') ||
	    n > 2 * VMIG_TLS_PSK_BYTES + 1)
		goto bad;
	for (i = 0; i < VMIG_TLS_PSK_BYTES; i++) {
		int hi = tls_hex(buf[2 * i]), lo = tls_hex(buf[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		key[i] = hi << 4 | lo;
	}
	memset(buf, 0, sizeof(buf));
	return 0;
bad:
	memset(buf, 0, sizeof(buf));
	say(err, errlen, "%s: not a vmig key (%d hex digits, from migctl genkey)",
	    path, 2 * VMIG_TLS_PSK_BYTES);
	return -EINVAL;
}

int vmig_tls_check(const struct vmig_tls_cfg *cfg, char *err, size_t errlen)
{
	const char *const files[] = { cfg->cert_file, cfg->key_file,
				      cfg->ca_file };
	unsigned char key[VMIG_TLS_PSK_BYTES];
	unsigned int i;
	int ret;

	if (cfg->psk_file) {
		ret = tls_read_psk(cfg->psk_file, key, err, errlen);
		memset(key, 0, sizeof(key));
		return ret;
	}
	for (i = 0; i < 3; i++) {
		if (files[i] && access(files[i], R_OK)) {
			ret = -errno;
			say(err, errlen, "%s: %s", files[i], strerror(errno));
			return ret;
		}
	}
	return 0;
}

/* The transport: whole TLS records, one at a time (see above). */
struct tls_io {
	int fd;
	size_t left;	/* bytes of the current record still to read */
};

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tls_io *io = ptr;
	unsigned char hdr[5];
	ssize_t n;

	if (!io->left) {
		n = recv(io->fd, hdr, sizeof(hdr), MSG_PEEK | MSG_WAITALL);
		if (n <= 0)
			return n;
		if (n < (ssize_t)sizeof(hdr)) {
			errno = ECONNRESET;
			return -1;
		}
		io->left = sizeof(hdr) + ((size_t)hdr[3] << 8 | hdr[4]);
	}
	if (len > io->left)
		len = io->left;
	n = recv(io->fd, buf, len, 0);
	if (n > 0)
		io->left -= n;
	return n;
}

/* Wait up to @ms for something to read (GnuTLS's handshake timeout). */
static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_io *io = ptr;
	struct pollfd p = { .fd = io->fd, .events = POLLIN };

	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *buf,
			size_t len)
{
	struct tls_io *io = ptr;

	return send(io->fd, buf, len, MSG_NOSIGNAL);
}

/* One direction's keys into kTLS: @read for TLS_RX, else TLS_TX. */
static int tls_install_dir(gnutls_session_t s, int fd, bool read)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	union {
		struct tls12_crypto_info_aes_gcm_128 g128;
		struct tls12_crypto_info_aes_gcm_256 g256;
	} ci;
	socklen_t len;

	if (gnutls_record_get_state(s, read, &mac, &iv, &key, seq) < 0)
		return -EIO;
	memset(&ci, 0, sizeof(ci));
	switch (gnutls_cipher_get(s)) {
	case GNUTLS_CIPHER_AES_128_GCM:
		if (key.size != sizeof(ci.g128.key) || iv.size != 12)
			return -EIO;
		ci.g128.info.version = TLS_1_3_VERSION;
		ci.g128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci.g128.key, key.data, key.size);
		memcpy(ci.g128.salt, iv.data, sizeof(ci.g128.salt));
		memcpy(ci.g128.iv, iv.data + sizeof(ci.g128.salt),
		       sizeof(ci.g128.iv));
		memcpy(ci.g128.rec_seq, seq, sizeof(ci.g128.rec_seq));
		len = sizeof(ci.g128);
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		if (key.size != sizeof(ci.g256.key) || iv.size != 12)
			return -EIO;
		ci.g256.info.version = TLS_1_3_VERSION;
		ci.g256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci.g256.key, key.data, key.size);
		memcpy(ci.g256.salt, iv.data, sizeof(ci.g256.salt));
		memcpy(ci.g256.iv, iv.data + sizeof(ci.g256.salt),
		       sizeof(ci.g256.iv));
		memcpy(ci.g256.rec_seq, seq, sizeof(ci.g256.rec_seq));
		len = sizeof(ci.g256);
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (setsockopt(fd, SOL_TLS, read ? TLS_RX : TLS_TX, &ci, len))
		len = 0;
	memset(&ci, 0, sizeof(ci));
	return len ? 0 : -errno;
}

/* The server's PSK: the one key, for the one identity. */
static int tls_psk_lookup(gnutls_session_t s, const gnutls_datum_t *user,
			  gnutls_datum_t *key)
{
	const unsigned char *psk = gnutls_session_get_ptr(s);

	if (user->size != strlen(TLS_PSK_IDENTITY) ||
	    memcmp(user->data, TLS_PSK_IDENTITY, user->size))
		return -1;
	key->data = gnutls_malloc(VMIG_TLS_PSK_BYTES);
	if (!key->data)
		return -1;
	memcpy(key->data, psk, VMIG_TLS_PSK_BYTES);
	key->size = VMIG_TLS_PSK_BYTES;
	return 0;
}

/*
 * Set up the session's credentials from @cfg; @psk holds the key of a
 * PSK session, which a server's lookup reads through the session pointer.
 */
static int tls_setup(gnutls_session_t s, const struct vmig_tls_cfg *cfg,
		     bool server, unsigned char *psk, void **cred, char *err,
		     size_t errlen)
{
	gnutls_datum_t k = { psk, VMIG_TLS_PSK_BYTES };
	int ret;

	if (cfg->psk_file && server) {
		gnutls_psk_server_credentials_t c;

		ret = gnutls_psk_allocate_server_credentials(&c);
		*cred = c;
		if (!ret) {
			gnutls_session_set_ptr(s, psk);
			gnutls_psk_set_server_credentials_function2(c,
								    tls_psk_lookup);
			ret = gnutls_credentials_set(s, GNUTLS_CRD_PSK, c);
		}
	} else if (cfg->psk_file) {
		gnutls_psk_client_credentials_t c;

		ret = gnutls_psk_allocate_client_credentials(&c);
		*cred = c;
		if (!ret)
			ret = gnutls_psk_set_client_credentials(c, TLS_PSK_IDENTITY,
								&k,
								GNUTLS_PSK_KEY_RAW);
		if (!ret)
			ret = gnutls_credentials_set(s, GNUTLS_CRD_PSK, c);
	} else {
		gnutls_certificate_credentials_t c;

		ret = gnutls_certificate_allocate_credentials(&c);
		*cred = c;
		if (!ret)
			ret = gnutls_certificate_set_x509_key_file(c, cfg->cert_file,
								   cfg->key_file,
								   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			say(err, errlen, "%s, %s: %s", cfg->cert_file,
			    cfg->key_file, gnutls_strerror(ret));
			return -EINVAL;
		}
		ret = gnutls_certificate_set_x509_trust_file(c, cfg->ca_file,
							     GNUTLS_X509_FMT_PEM);
		if (ret <= 0) {
			say(err, errlen, "%s: %s", cfg->ca_file,
			    ret ? gnutls_strerror(ret) : "no certificate");
			return -EINVAL;
		}
		ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c);
		if (server)
			gnutls_certificate_server_set_request(s,
							      GNUTLS_CERT_REQUIRE);
		/* The peer's chain must verify against the pinned CA. */
		gnutls_session_set_verify_cert(s, server ? NULL : cfg->peer_name,
					       0);
	}
	if (!ret)
		ret = gnutls_priority_set_direct(s, cfg->psk_file ?
						 TLS_PRIORITY_PSK : TLS_PRIORITY,
						 NULL);
	if (ret < 0) {
		say(err, errlen, "TLS set-up: %s", gnutls_strerror(ret));
		return -EIO;
	}
	return 0;
}

static void tls_free_cred(const struct vmig_tls_cfg *cfg, bool server,
			  void *cred)
{
	if (!cred)
		return;
	if (!cfg->psk_file)
		gnutls_certificate_free_credentials(cred);
	else if (server)
		gnutls_psk_free_server_credentials(cred);
	else
		gnutls_psk_free_client_credentials(cred);
}

int vmig_tls_handshake(int fd, const struct vmig_tls_cfg *cfg, bool server,
		       char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = VMIG_TLS_HANDSHAKE_S }, none = { 0 };
	unsigned char psk[VMIG_TLS_PSK_BYTES];
	struct tls_io io = { .fd = fd };
	gnutls_session_t s = NULL;
	void *cred = NULL;
	int ret;

	if (!cfg->psk_file && (!cfg->cert_file || !cfg->key_file ||
			       !cfg->ca_file)) {
		say(err, errlen, "no credentials: a key file, or a certificate, its key and a CA");
		return -EINVAL;
	}
	if (cfg->psk_file) {
		ret = tls_read_psk(cfg->psk_file, psk, err, errlen);
		if (ret)
			return ret;
	}
	ret = gnutls_init(&s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
			      GNUTLS_NO_TICKETS);
	if (ret < 0) {
		say(err, errlen, "TLS: %s", gnutls_strerror(ret));
		ret = -ENOMEM;
		goto out;
	}
	ret = tls_setup(s, cfg, server, psk, &cred, err, errlen);
	if (ret)
		goto out;
	gnutls_transport_set_ptr(s, &io);
	gnutls_transport_set_pull_function(s, tls_pull);
	gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
	gnutls_transport_set_push_function(s, tls_push);
	gnutls_handshake_set_timeout(s, VMIG_TLS_HANDSHAKE_S * 1000);
	/* A peer that stalls the handshake is dropped. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	if (ret < 0) {
		gnutls_datum_t why = { NULL, 0 };
		/* Tell the peer, so that it fails now, not at its timeout. */
		gnutls_alert_send_appropriate(s, ret);
		unsigned int status = gnutls_session_get_verify_cert_status(s);

		if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			gnutls_certificate_verification_status_print(status,
								     GNUTLS_CRT_X509,
								     &why, 0);
		say(err, errlen, "TLS handshake failed: %s%s%s%s",
		    gnutls_strerror(ret), why.data ? " (" : "",
		    why.data ? (char *)why.data : "", why.data ? ")" :
		    cfg->psk_file && ret != GNUTLS_E_TIMEDOUT &&
		    ret != GNUTLS_E_PULL_ERROR && ret != GNUTLS_E_PUSH_ERROR ?
		    " (the peer has another key, or is not a vmig peer)" : "");
		gnutls_free(why.data);
		ret = -EACCES;
		goto out;
	}
	if (gnutls_record_check_pending(s)) {
		say(err, errlen, "TLS: data after the handshake");
		ret = -EPROTO;
		goto out;
	}
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		ret = -errno;
		say(err, errlen, "kernel TLS: %s (CONFIG_TLS, the tls module)",
		    strerror(errno));
		goto out;
	}
	ret = tls_install_dir(s, fd, false);
	if (!ret)
		ret = tls_install_dir(s, fd, true);
	if (ret)
		say(err, errlen, "kernel TLS keys: %s", strerror(-ret));
out:
	memset(psk, 0, sizeof(psk));
	if (s)
		gnutls_deinit(s);
	tls_free_cred(cfg, server, cred);
	return ret;
}
