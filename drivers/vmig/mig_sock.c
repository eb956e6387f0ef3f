// SPDX-License-Identifier: GPL-2.0
/*
 * The streams of a migration session: connected stream sockets that
 * userspace hands over, and whole records sent and received on them.
 *
 * The sockets stay in the network namespace they were created in, and keep
 * their options, kTLS included. Records are copied into the socket (no
 * MSG_SPLICE_PAGES), so guest pages are never referenced by a socket buffer
 * that could outlive the session.
 */
#include "mig.h"

#include <linux/module.h>
#include <linux/net.h>
#include <net/sock.h>

static unsigned int stream_timeout_s = 60;
module_param(stream_timeout_s, uint, 0644);
MODULE_PARM_DESC(stream_timeout_s,
		 "Fail a migration whose peer neither sends nor receives for this many seconds (default 60)");

/* How long a stream may stay silent, in jiffies. */
long vmig_stream_timeout(void)
{
	return (long)max(READ_ONCE(stream_timeout_s), 1U) * HZ;
}

int vmig_sock_attach(struct vmig_stream *s, int fd)
{
	long timeout = vmig_stream_timeout();
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	if (sock->type != SOCK_STREAM || sock->state != SS_CONNECTED) {
		sockfd_put(sock);
		return -EPROTOTYPE;
	}
	lock_sock(sock->sk);
	sock->sk->sk_rcvtimeo = timeout;
	sock->sk->sk_sndtimeo = timeout;
	release_sock(sock->sk);
	WRITE_ONCE(s->sock, sock);	/* vmig_sock_shutdown() reads it */
	return 0;
}

void vmig_sock_detach(struct vmig_stream *s)
{
	if (s->sock)
		sockfd_put(s->sock);
	WRITE_ONCE(s->sock, NULL);
}

/* Wake whoever sleeps on the socket: the session is ending. */
void vmig_sock_shutdown(struct vmig_stream *s)
{
	struct socket *sock = READ_ONCE(s->sock);

	if (sock)
		kernel_sock_shutdown(sock, SHUT_RDWR);
}

/* A timeout, a reset and a closed peer are what a session reports. */
static int vmig_sock_error(int ret)
{
	switch (ret) {
	case 0:
	case -EPIPE:
		return -ECONNRESET;
	case -EAGAIN:
		return -ETIMEDOUT;
	}
	return ret;
}

/* Move @len bytes from or to @buf, all of them, counting them on the wire. */
static int vmig_sock_xfer(struct vmig_stream *s, void *buf, size_t len,
			  bool send)
{
	struct msghdr msg = { .msg_flags = send ? MSG_NOSIGNAL : 0 };
	struct kvec iov;
	int ret;

	while (len) {
		iov.iov_base = buf;
		iov.iov_len = len;
		if (send)
			ret = kernel_sendmsg(s->sock, &msg, &iov, 1, len);
		else
			ret = kernel_recvmsg(s->sock, &msg, &iov, 1, len,
					     MSG_WAITALL);
		if (ret <= 0)
			return vmig_sock_error(ret);
		atomic64_add(ret, &s->mig->st.bytes_wire);
		buf += ret;
		len -= ret;
	}
	return 0;
}

int vmig_sock_send(struct vmig_stream *s, const void *buf, size_t len)
{
	/* kernel_sendmsg() only reads the kvec's memory. */
	return vmig_sock_xfer(s, (void *)buf, len, true);
}

int vmig_sock_recv(struct vmig_stream *s, void *buf, size_t len)
{
	return vmig_sock_xfer(s, buf, len, false);
}

/* Send a small record: one of the fixed-size types. */
int vmig_sock_send_rec(struct vmig_stream *s, u16 type, const void *payload,
		       u32 len)
{
	struct {
		struct vmig_wire_rec rec;
		u8 payload[64];
	} buf;

	if (WARN_ON_ONCE(len > sizeof(buf.payload)))
		return -EINVAL;
	memcpy(buf.payload, payload, len);
	vmig_wire_rec_seal(&buf.rec, type, buf.payload, len);
	return vmig_sock_send(s, &buf, sizeof(buf.rec) + len);
}

/*
 * Receive a record into s->rec, its payload right after the header, and
 * check it: returns its type, or -EBADMSG for a malformed header or a bad
 * CRC, or the error of the socket.
 */
int vmig_sock_recv_rec(struct vmig_stream *s)
{
	struct vmig_wire_rec *rec = s->rec;
	int ret;

	ret = vmig_sock_recv(s, rec, sizeof(*rec));
	if (ret)
		return ret;
	ret = vmig_wire_check_rec(rec);
	if (ret)
		return ret;
	ret = vmig_sock_recv(s, rec + 1, le32_to_cpu(rec->len));
	if (ret)
		return ret;
	if (vmig_wire_rec_crc(rec, rec + 1) != le32_to_cpu(rec->crc))
		return -EBADMSG;
	return le16_to_cpu(rec->type);
}
