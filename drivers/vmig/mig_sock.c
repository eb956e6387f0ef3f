// SPDX-License-Identifier: GPL-2.0
/*
 * The streams of a migration session: connected stream sockets that
 * userspace hands over, and whole records sent and received on them.
 *
 * The sockets stay in the network namespace they were created in, and keep
 * their options, kTLS included. Records are copied into the socket (no
 * MSG_SPLICE_PAGES), so guest pages are never referenced by a socket buffer
 * that could outlive the session.
 *
 * Over kernel TLS, receives carry a control buffer, so that a TLS control
 * record (an alert, a post-handshake message) comes back with its type
 * instead of failing the receive with EIO, and ends the session with a
 * reason; and the bytes each way are bounded by what one key may safely
 * encrypt, since 6.12's kTLS cannot update TLS 1.3 keys.
 */
#include "mig.h"

#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls_prot.h>
#include <uapi/linux/tls.h>

static unsigned int stream_timeout_s = 60;
module_param(stream_timeout_s, uint, 0644);
MODULE_PARM_DESC(stream_timeout_s,
		 "Fail a migration when one record takes longer than this many seconds to move (default 60)");

static unsigned int switchover_timeout_s = 120;
module_param(switchover_timeout_s, uint, 0644);
MODULE_PARM_DESC(switchover_timeout_s,
		 "Fail a migration whose switchover (final round, device state, end and acknowledgment) takes longer than this many seconds (default 120)");

/* How long a stream may stay silent, in jiffies. */
long vmig_stream_timeout(void)
{
	return (long)max(READ_ONCE(stream_timeout_s), 1U) * HZ;
}

/* Under the session's lock: the switchover begins, and its deadline runs. */
void vmig_mig_switch_begins(struct vmig_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	WRITE_ONCE(mig->switch_jiffies, jiffies | 1);
}

/*
 * The deadline of a record starting now: the stream timeout from now, or
 * the end of the switchover when that comes first (while the guest is
 * paused, many records each just within their timeout must not add up).
 */
static unsigned long vmig_sock_deadline(struct vmig_stream *s)
{
	unsigned long deadline = jiffies + vmig_stream_timeout();
	unsigned long begun = READ_ONCE(s->mig->switch_jiffies), end;

	if (!begun)
		return deadline;
	end = begun + (unsigned long)max(READ_ONCE(switchover_timeout_s), 1U) * HZ;
	return time_before(end, deadline) ? end : deadline;
}

/*
 * Only TCP and MPTCP, over IPv4 or IPv6: the streams cross hosts, and other
 * families have semantics of their own (an AF_UNIX peer with SO_PASSCRED
 * would see the kernel thread's credentials).
 */
static bool vmig_sock_is_tcp(const struct sock *sk)
{
	return (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       (sk->sk_protocol == IPPROTO_TCP ||
		sk->sk_protocol == IPPROTO_MPTCP);
}

/*
 * Under the socket's lock: does @sk, a TCP or MPTCP socket (so a
 * connection socket), run kernel TLS?
 */
static bool vmig_sock_is_tls(struct sock *sk)
{
	const struct tcp_ulp_ops *ulp = inet_csk(sk)->icsk_ulp_ops;

	return ulp && !strcmp(ulp->name, "tls");
}

int vmig_sock_attach(struct vmig_stream *s, int fd)
{
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	if (sock->type != SOCK_STREAM || sock->state != SS_CONNECTED) {
		sockfd_put(sock);
		return -EPROTOTYPE;
	}
	if (!vmig_sock_is_tcp(sock->sk)) {
		sockfd_put(sock);
		return -EPROTONOSUPPORT;
	}
	/* The timeouts are set per call, from each record's deadline. */
	lock_sock(sock->sk);
	s->tls = vmig_sock_is_tls(sock->sk);
	release_sock(sock->sk);
	s->sent = 0;
	s->received = 0;
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

/*
 * A TLS record that is not data arrived, @len bytes of it at @payload: an
 * alert, or a handshake message (a key update or a session ticket, which
 * kTLS cannot take). Always an error: -ECONNRESET for the peer's
 * close_notify, -ECONNABORTED for another alert, -EPROTO otherwise.
 */
static int vmig_sock_tls_control(struct vmig_stream *s, u8 type,
				 const u8 *payload, int len)
{
	const char *name = s->mig->vm->name;

	if (type == TLS_RECORD_TYPE_ALERT && len == 2) {
		if (payload[1] == TLS_ALERT_DESC_CLOSE_NOTIFY)
			return -ECONNRESET;
		pr_info("VM %.*s: stream %u: TLS alert %u (level %u) from the peer\n",
			VMIG_NAME_MAX, name, s->index, payload[1], payload[0]);
		return -ECONNABORTED;
	}
	pr_info("VM %.*s: stream %u: TLS record of type %u (%d bytes) after the handshake: not supported\n",
		VMIG_NAME_MAX, name, s->index, type, len);
	return -EPROTO;
}

/* The type of the TLS record a receive returned, from its control message. */
static u8 vmig_sock_tls_type(const struct msghdr *msg,
			     const struct cmsghdr *cm, size_t room)
{
	if (!msg->msg_control || msg->msg_controllen == room ||
	    cm->cmsg_level != SOL_TLS ||
	    cm->cmsg_type != TLS_GET_RECORD_TYPE)
		return TLS_RECORD_TYPE_DATA;
	return *(const u8 *)CMSG_DATA(cm);
}

/*
 * The bytes one TLS 1.3 key may encrypt (RFC 8446, 5.5: 2^24.5 full-size
 * records for AES-GCM), rounded down: 256 GiB each way on each stream.
 */
#define VMIG_TLS_MAX_BYTES BIT_ULL(38)

/*
 * Move @len bytes from or to @buf, all of them, counting them on the wire,
 * by @deadline (jiffies): each call waits only what is left of it, so that
 * a peer that trickles a record in, a byte at a time, fails as one that
 * sends nothing does.
 */
static int vmig_sock_xfer(struct vmig_stream *s, void *buf, size_t len,
			  bool send, unsigned long deadline)
{
	union {
		struct cmsghdr cm;
		u8 room[CMSG_SPACE(sizeof(u8))];
	} ctl;
	u64 *count = send ? &s->sent : &s->received;
	struct msghdr msg;
	struct kvec iov;
	u8 type;
	int ret;

	if (s->tls && *count + len > VMIG_TLS_MAX_BYTES)
		return -EMSGSIZE;
	while (len) {
		long left = (long)(deadline - jiffies);

		if (left <= 0)
			return -ETIMEDOUT;
		if (send)
			WRITE_ONCE(s->sock->sk->sk_sndtimeo, left);
		else
			WRITE_ONCE(s->sock->sk->sk_rcvtimeo, left);
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = len;
		if (send) {
			msg.msg_flags = MSG_NOSIGNAL;
			ret = kernel_sendmsg(s->sock, &msg, &iov, 1, len);
		} else {
			/*
			 * Only over kTLS: on an AF_UNIX socket, a peer's
			 * SCM_RIGHTS into a kernel buffer would warn.
			 */
			if (s->tls) {
				msg.msg_control = &ctl;
				msg.msg_controllen = sizeof(ctl);
			}
			ret = kernel_recvmsg(s->sock, &msg, &iov, 1, len,
					     MSG_WAITALL);
			type = vmig_sock_tls_type(&msg, &ctl.cm, sizeof(ctl));
			if (ret >= 0 && type != TLS_RECORD_TYPE_DATA)
				return vmig_sock_tls_control(s, type, buf, ret);
		}
		if (ret <= 0)
			return vmig_sock_error(ret);
		atomic64_add(ret, &s->mig->st.bytes_wire);
		*count += ret;
		buf += ret;
		len -= ret;
	}
	return 0;
}

/* Send a whole record, by its deadline. */
int vmig_sock_send(struct vmig_stream *s, const void *buf, size_t len)
{
	/* kernel_sendmsg() only reads the kvec's memory. */
	return vmig_sock_xfer(s, (void *)buf, len, true,
			      vmig_sock_deadline(s));
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
 * CRC, or the error of the socket (-ETIMEDOUT when the whole record took
 * longer than the stream timeout, or went past the switchover's end).
 */
int vmig_sock_recv_rec(struct vmig_stream *s)
{
	unsigned long deadline = vmig_sock_deadline(s);
	struct vmig_wire_rec *rec = s->rec;
	int ret;

	ret = vmig_sock_xfer(s, rec, sizeof(*rec), false, deadline);
	if (ret)
		return ret;
	ret = vmig_wire_check_rec(rec);
	if (ret)
		return ret;
	ret = vmig_sock_xfer(s, rec + 1, le32_to_cpu(rec->len), false,
			     deadline);
	if (ret)
		return ret;
	if (vmig_wire_rec_crc(rec, rec + 1) != le32_to_cpu(rec->crc))
		return -EBADMSG;
	return le16_to_cpu(rec->type);
}
