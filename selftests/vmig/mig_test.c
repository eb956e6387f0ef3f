// SPDX-License-Identifier: GPL-2.0
/*
 * Migration sessions, as a VMM drives them: a VM whose memory a writer
 * thread keeps dirtying is migrated to a second VM over TCP (between two
 * network namespaces when VMIG_MIG_NETNS names the target's, see
 * mig_netns.sh; over loopback otherwise), and the target's memory must
 * equal the source's at the pause, byte for byte, and the blob arrive
 * intact. Cancelling in each phase, from either side, must leave the source
 * running and intact. A peer that sends garbage, or closes mid-record, must
 * end the session with a clean error. Every rejected ioctl input.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/tls.h>
#include <linux/vmig_wire.h>

#include <vmig/libvmig.h>
#include "kselftest_harness.h"
#include "wire_build.h"

static int name_seq;

struct vm {
	int fd;
	char name[VMIG_NAME_MAX];
	__u64 nr_pages;
	unsigned char *mem;
};

static int vm_new(int dev, struct vm *vm, __u64 nr_pages)
{
	snprintf(vm->name, sizeof(vm->name), "mig-%d-%d", getpid(),
		 name_seq++);
	vm->nr_pages = nr_pages;
	vm->fd = vmig_vm_create(dev, vm->name, nr_pages);
	if (vm->fd < 0)
		return vm->fd;
	vm->mem = mmap(NULL, nr_pages * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, vm->fd, 0);
	return vm->mem == MAP_FAILED ? -errno : 0;
}

static void vm_del(int dev, struct vm *vm)
{
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, vm->nr_pages * VMIG_PAGE_SIZE);
	if (vm->fd >= 0) {
		vmig_mig_cancel(vm->fd);
		close(vm->fd);
		vmig_vm_destroy(dev, vm->name);
	}
}

static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Page @i's content: zero, text-like (compresses) or random, by index. */
static void fill_page(unsigned char *p, __u64 i, __u64 gen)
{
	static const char text[] = "migrate me over the wire, page by page; ";
	__u64 s = i * 2654435761ULL + gen + 1;
	size_t k;

	switch (i % 3) {
	case 0:
		memset(p, 0, VMIG_PAGE_SIZE);
		break;
	case 1:
		for (k = 0; k < VMIG_PAGE_SIZE; k++)
			p[k] = text[k % (sizeof(text) - 1)] ^ (gen & 7);
		memcpy(p, &gen, sizeof(gen));
		break;
	default:
		for (k = 0; k < VMIG_PAGE_SIZE; k += 8) {
			__u64 v = rnd(&s);

			memcpy(p + k, &v, 8);
		}
	}
}

/* TCP sockets: the target's listener may live in another namespace. */
struct link {
	int lfd;
	struct sockaddr_in addr;
};

static int enter_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static int link_listen(struct link *l)
{
	const char *ns = getenv("VMIG_MIG_NETNS");
	const char *ip = getenv("VMIG_MIG_TARGET_IP");
	socklen_t len = sizeof(l->addr);
	int self = -1;

	memset(&l->addr, 0, sizeof(l->addr));
	l->addr.sin_family = AF_INET;
	inet_pton(AF_INET, ip ? ip : "127.0.0.1", &l->addr.sin_addr);
	if (ns) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || enter_netns(ns))
			return -1;
	}
	l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->lfd < 0 || bind(l->lfd, (void *)&l->addr, sizeof(l->addr)) ||
	    listen(l->lfd, 32) ||
	    getsockname(l->lfd, (void *)&l->addr, &len))
		return -1;
	if (ns) {
		if (setns(self, CLONE_NEWNET))
			return -1;
		close(self);
	}
	return 0;
}

/* Connect @n streams: the source's in @src, the target's in @dst. */
static int link_connect(struct link *l, int n, int *src, int *dst)
{
	int i;

	for (i = 0; i < n; i++) {
		src[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (src[i] < 0 ||
		    connect(src[i], (void *)&l->addr, sizeof(l->addr)))
			return -1;
		dst[i] = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (dst[i] < 0)
			return -1;
	}
	return 0;
}

static void close_all(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

/*
 * A connected TCP pair over the loopback, as socketpair() gives: vmig
 * takes TCP (and MPTCP) only. @sv[0] is accepted, @sv[1] connected.
 */
static int tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		return -1;
	sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[1] < 0 || connect(sv[1], (void *)&a, sizeof(a)))
		return -1;
	sv[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	return sv[0] < 0 ? -1 : 0;
}

/* Wait until @fd's session is in @state (or ended); its state. */
static __u32 wait_state(int fd, __u32 state, int timeout_s,
			struct vmig_mig_status *st)
{
	time_t end = time(NULL) + timeout_s;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		if (vmig_mig_status(fd, st, 1))
			return VMIG_MIG_STATE_NONE;
		if (st->state == state || vmig_mig_ended(st->state) ||
		    time(NULL) > end)
			return st->state;
		poll(&p, 1, 100);
	}
}

/* Wait until the source has sent @round rounds. */
static int wait_round(int fd, __u32 round, int timeout_s)
{
	time_t end = time(NULL) + timeout_s;
	struct vmig_mig_status st;

	while (!vmig_mig_status(fd, &st, 0) && !vmig_mig_ended(st.state)) {
		if (st.round >= round)
			return 0;
		if (time(NULL) > end)
			return -1;
		usleep(10000);
	}
	return -1;
}

/* The guest: rewrites random pages until told to stop (the pause). */
struct writer {
	struct vm *vm;
	atomic_bool stop;
	atomic_ulong writes;
	__u64 gen;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	__u64 s = 88172645463325252ULL;

	while (!atomic_load(&w->stop)) {
		__u64 i = rnd(&s) % w->vm->nr_pages;

		fill_page(w->vm->mem + i * VMIG_PAGE_SIZE, i, ++w->gen);
		atomic_fetch_add(&w->writes, 1);
		/* Sequential runs too: groups of pages fill at once. */
		if (!(w->gen % 64)) {
			__u64 k, first = rnd(&s) % w->vm->nr_pages;

			for (k = first; k < first + 128 && k < w->vm->nr_pages;
			     k++)
				w->vm->mem[k * VMIG_PAGE_SIZE + 100] ^= 1;
		}
	}
	return NULL;
}

FIXTURE(mig) {
	int dev;
	struct vm src, dst;
	struct link link;
	int sfd[VMIG_MIG_MAX_STREAMS], dfd[VMIG_MIG_MAX_STREAMS];
};

FIXTURE_VARIANT(mig) {
	int streams;
	__u32 compress;
	__s32 level;
	__u32 group;
	__u32 flags;
	__u64 nr_pages;
};

FIXTURE_VARIANT_ADD(mig, one_stream_lz4) {
	.streams = 1, .compress = VMIG_COMPRESS_LZ4, .group = 64,
	.nr_pages = 4096,
};

FIXTURE_VARIANT_ADD(mig, four_streams_auto_verify) {
	.streams = 4, .compress = VMIG_COMPRESS_AUTO, .group = VMIG_GROUP_AUTO,
	.flags = VMIG_MIG_VERIFY, .nr_pages = 6000,
};

FIXTURE_VARIANT_ADD(mig, two_streams_none_g1) {
	.streams = 2, .compress = VMIG_COMPRESS_NONE, .group = 1,
	.nr_pages = 3000,
};

FIXTURE_VARIANT_ADD(mig, two_streams_zstd3_verify) {
	.streams = 2, .compress = VMIG_COMPRESS_ZSTD, .level = 3, .group = 64,
	.flags = VMIG_MIG_VERIFY, .nr_pages = 4096,
};

FIXTURE_VARIANT_ADD(mig, three_streams_lz4_g512) {
	.streams = 3, .compress = VMIG_COMPRESS_LZ4, .group = 512,
	.flags = VMIG_MIG_VERIFY, .nr_pages = 5000,
};

FIXTURE_SETUP(mig)
{
	__u64 i;

	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, vm_new(self->dev, &self->src, variant->nr_pages));
	ASSERT_EQ(0, vm_new(self->dev, &self->dst, variant->nr_pages));
	/* The last tenth stays untouched: never allocated, never sent. */
	for (i = 0; i < variant->nr_pages * 9 / 10; i++)
		fill_page(self->src.mem + i * VMIG_PAGE_SIZE, i, 0);
	ASSERT_EQ(0, link_listen(&self->link));
	ASSERT_EQ(0, link_connect(&self->link, variant->streams, self->sfd,
				  self->dfd));
}

FIXTURE_TEARDOWN(mig)
{
	vm_del(self->dev, &self->src);
	vm_del(self->dev, &self->dst);
	close(self->link.lfd);
	close(self->dev);
}

static int start_pair(struct __test_metadata *_metadata,
		      struct _test_data_mig *self,
		      const struct _fixture_variant_mig *variant, __u64 bandwidth,
		      __u32 downtime_ms)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	struct vmig_mig_start out = {
		.compress = variant->compress,
		.compress_level = variant->level,
		.group_pages = variant->group,
		.flags = variant->flags,
		.max_bandwidth = bandwidth,
		.downtime_ms = downtime_ms,
	};

	/* The target takes its first stream, then the others. */
	EXPECT_EQ(0, vmig_mig_start(self->dst.fd, &in, self->dfd, 1));
	EXPECT_EQ(0, vmig_mig_start(self->src.fd, &out, self->sfd,
				    variant->streams));
	for (int i = 1; i < variant->streams; i++)
		EXPECT_EQ(0, vmig_mig_add_stream(self->dst.fd, self->dfd[i]));
	close_all(self->sfd, variant->streams);
	close_all(self->dfd, variant->streams);
	return 0;
}

/* The whole path: pre-copy under writes, pause, switchover, compare. */
TEST_F_TIMEOUT(mig, under_writes, 600)
{
	struct vmig_mig_status s, d;
	struct writer w = { .vm = &self->src };
	unsigned char blob[100000], got[sizeof(blob)];
	struct vmig_vm_entry info;
	__u64 need, i, differ = 0;
	pthread_t t;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = i * 7 + 3;
	start_pair(_metadata, self, variant, 0, 1);
	ASSERT_EQ(0, pthread_create(&t, NULL, writer_fn, &w));
	/* Let the guest dirty memory through a few rounds. */
	EXPECT_EQ(0, wait_round(self->src.fd, 3, 300));
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	/* Paused: what the target gets must be this. */
	ASSERT_EQ(0, vmig_mig_switchover(self->src.fd, blob, sizeof(blob)));
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->src.fd, VMIG_MIG_STATE_DONE, 300, &s));
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->dst.fd, VMIG_MIG_STATE_DONE, 60, &d));

	for (i = 0; i < self->src.nr_pages; i++)
		differ += !!memcmp(self->src.mem + i * VMIG_PAGE_SIZE,
				   self->dst.mem + i * VMIG_PAGE_SIZE,
				   VMIG_PAGE_SIZE);

	EXPECT_EQ(0, differ);
	EXPECT_EQ(sizeof(blob), vmig_mig_get_blob(self->dst.fd, got,
						  sizeof(got), &need));
	EXPECT_EQ(0, memcmp(blob, got, sizeof(blob)));
	EXPECT_EQ(sizeof(blob), d.blob_len);

	/* What the status tells. */
	EXPECT_GE(s.round, 4);
	EXPECT_EQ(variant->streams, s.nr_streams);
	EXPECT_EQ(variant->streams, d.nr_streams);
	EXPECT_EQ(s.pages_sent, d.pages_sent);
	EXPECT_EQ(s.zero_pages + s.lz4_pages + s.zstd_pages + s.raw_pages,
		  s.pages_sent);
	EXPECT_EQ(s.lz4_pages, d.lz4_pages);
	EXPECT_EQ(s.zstd_pages, d.zstd_pages);
	EXPECT_EQ(s.raw_pages, d.raw_pages);
	EXPECT_EQ(s.zero_pages, d.zero_pages);
	EXPECT_GE(s.pages_sent, self->src.nr_pages * 9 / 10);
	EXPECT_GT(s.bytes_wire, 0);
	EXPECT_EQ(0, s.pages_remaining);
	/* Each fixed mode sends its own encoding, and only that one. */
	if (variant->compress != VMIG_COMPRESS_AUTO) {
		EXPECT_EQ(variant->compress == VMIG_COMPRESS_LZ4,
			  s.lz4_pages > 0);
		EXPECT_EQ(variant->compress == VMIG_COMPRESS_ZSTD,
			  s.zstd_pages > 0);
	}
	EXPECT_GT(s.zero_pages, 0);
	EXPECT_LE(s.downtime_ms, s.total_ms);
	/* Tracking ended with the session. */
	ASSERT_EQ(0, vmig_vm_info(self->src.fd, &info));
	EXPECT_EQ(0, info.group_pages);
	TH_LOG("%u rounds, %llu pages sent (%llu zero, %llu lz4, %llu zstd, %llu raw)",
	       s.round, (unsigned long long)s.pages_sent,
	       (unsigned long long)s.zero_pages,
	       (unsigned long long)s.lz4_pages,
	       (unsigned long long)s.zstd_pages,
	       (unsigned long long)s.raw_pages);
	TH_LOG("%llu bytes on the wire, %lu guest writes",
	       (unsigned long long)s.bytes_wire, atomic_load(&w.writes));
}

/*
 * Cancel in each phase, from the source or the target: the source VM goes
 * on, its memory as it was, writable, not tracked; the target's memory
 * reads as zero again.
 */
enum phase { PRECOPY, READY, SWITCHOVER, TARGET };

static void cancel_in(struct __test_metadata *_metadata,
		      struct _test_data_mig *self,
		      const struct _fixture_variant_mig *variant, enum phase phase)
{
	size_t bytes = self->src.nr_pages * VMIG_PAGE_SIZE;
	unsigned char *shadow = malloc(bytes);
	struct vmig_mig_status s, d;
	struct vmig_vm_entry info;
	__u64 i, nonzero = 0;
	void *blob = NULL;

	ASSERT_NE(NULL, shadow);
	memcpy(shadow, self->src.mem, bytes);
	/* Slow enough to catch each phase: 2 MiB/s; ready at once. */
	start_pair(_metadata, self, variant, phase == READY ? 0 : 2 << 20,
		   phase == READY ? 60000 : 1);
	switch (phase) {
	case PRECOPY:
		ASSERT_EQ(VMIG_MIG_STATE_ACTIVE,
			  wait_state(self->src.fd, VMIG_MIG_STATE_ACTIVE, 10, &s));
		usleep(300000);
		ASSERT_EQ(0, vmig_mig_cancel(self->src.fd));
		break;
	case READY:
		ASSERT_EQ(VMIG_MIG_STATE_READY,
			  wait_state(self->src.fd, VMIG_MIG_STATE_READY, 300, &s));
		ASSERT_EQ(0, vmig_mig_cancel(self->src.fd));
		break;
	case SWITCHOVER:
		/* A blob that takes seconds at 2 MiB/s. */
		blob = calloc(1, 8 << 20);
		ASSERT_NE(NULL, blob);
		ASSERT_EQ(0, vmig_mig_switchover(self->src.fd, blob, 8 << 20));
		usleep(500000);
		ASSERT_EQ(0, vmig_mig_status(self->src.fd, &s, 0));
		EXPECT_EQ(VMIG_MIG_STATE_SWITCHOVER, s.state);
		ASSERT_EQ(0, vmig_mig_cancel(self->src.fd));
		break;
	case TARGET:
		usleep(300000);
		ASSERT_EQ(0, vmig_mig_cancel(self->dst.fd));
		break;
	}
	free(blob);
	if (phase == TARGET) {
		ASSERT_EQ(VMIG_MIG_STATE_FAILED,
			  wait_state(self->src.fd, VMIG_MIG_STATE_FAILED, 120,
				     &s));
		EXPECT_EQ(ECONNRESET, s.error);
		ASSERT_EQ(0, vmig_mig_status(self->dst.fd, &d, 0));
		EXPECT_EQ(VMIG_MIG_STATE_CANCELLED, d.state);
	} else {
		ASSERT_EQ(0, vmig_mig_status(self->src.fd, &s, 0));
		EXPECT_EQ(VMIG_MIG_STATE_CANCELLED, s.state);
		ASSERT_EQ(VMIG_MIG_STATE_FAILED,
			  wait_state(self->dst.fd, VMIG_MIG_STATE_FAILED, 120,
				     &d));
		EXPECT_EQ(ECONNRESET, d.error);
	}
	EXPECT_EQ(-ENOENT, vmig_mig_cancel(self->src.fd));
	EXPECT_EQ(-ENOENT, vmig_mig_cancel(self->dst.fd));
	EXPECT_EQ(0, memcmp(shadow, self->src.mem, bytes));
	ASSERT_EQ(0, vmig_vm_info(self->src.fd, &info));
	EXPECT_EQ(0, info.group_pages);
	/* The source goes on: writable, and trackable again. */
	self->src.mem[5] = 0x5a;
	EXPECT_EQ(0, vmig_track_start(self->src.fd, 16));
	EXPECT_EQ(0, vmig_track_stop(self->src.fd));
	for (i = 0; i < bytes; i++)
		nonzero += !!self->dst.mem[i];
	EXPECT_EQ(0, nonzero);
	free(shadow);
}

TEST_F_TIMEOUT(mig, cancel_precopy, 300)
{
	cancel_in(_metadata, self, variant, PRECOPY);
}

TEST_F_TIMEOUT(mig, cancel_ready, 600)
{
	cancel_in(_metadata, self, variant, READY);
}

TEST_F_TIMEOUT(mig, cancel_switchover, 300)
{
	cancel_in(_metadata, self, variant, SWITCHOVER);
}

TEST_F_TIMEOUT(mig, cancel_target, 300)
{
	cancel_in(_metadata, self, variant, TARGET);
}

/*
 * The bandwidth cap is an upper bound: whatever the machine's speed, the
 * session never sends faster than the cap, beyond a burst of 10 ms.
 */
TEST_F_TIMEOUT(mig, bandwidth_cap, 300)
{
	const __u64 cap = 4 << 20;
	struct vmig_mig_status s;
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_pair(_metadata, self, variant, cap, 60000);
	ASSERT_EQ(VMIG_MIG_STATE_READY,
		  wait_state(self->src.fd, VMIG_MIG_STATE_READY, 300, &s));
	ASSERT_EQ(0, vmig_mig_switchover(self->src.fd, NULL, 0));
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->src.fd, VMIG_MIG_STATE_DONE, 300, &s));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Records only: the cap applies to them, not to tiny round ends. */
	EXPECT_LE(s.bytes_wire, cap * (secs + 0.01) + 65536);
	EXPECT_GE(s.bytes_wire, cap / 2);
	TH_LOG("%llu bytes in %.2f s under a cap of %llu bytes/s",
	       (unsigned long long)s.bytes_wire, secs, (unsigned long long)cap);
}

/* A target session fed by hand, over a socket pair. */
FIXTURE(peer) {
	int dev;
	struct vm vm;
	int sv[2];
	unsigned char buf[2 * 4096 + 256];
};

FIXTURE_SETUP(peer)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };

	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, vm_new(self->dev, &self->vm, 64));
	ASSERT_EQ(0, tcp_pair(self->sv));
	ASSERT_EQ(0, vmig_mig_start(self->vm.fd, &in, &self->sv[0], 1));
	close(self->sv[0]);
}

FIXTURE_TEARDOWN(peer)
{
	close(self->sv[1]);
	vm_del(self->dev, &self->vm);
	close(self->dev);
}

/* Send, then expect the session to fail with @error, memory untouched. */
static void expect_failure(struct __test_metadata *_metadata,
			   struct _test_data_peer *self, const void *buf,
			   size_t len, bool close_after, __u32 error)
{
	struct vmig_mig_status st;
	__u64 i, nonzero = 0;

	ASSERT_EQ((ssize_t)len, len ? write(self->sv[1], buf, len) : 0);
	if (close_after)
		shutdown(self->sv[1], SHUT_WR);
	ASSERT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_FAILED, 30, &st));
	EXPECT_EQ(error, st.error);
	for (i = 0; i < self->vm.nr_pages * VMIG_PAGE_SIZE; i++)
		nonzero += !!self->vm.mem[i];
	EXPECT_EQ(0, nonzero);
}

TEST_F(peer, garbage)
{
	memset(self->buf, 0xa5, 64);
	expect_failure(_metadata, self, self->buf, 64, false, EBADMSG);
}

TEST_F(peer, closes_mid_record)
{
	struct vmig_wire_hello h = hello(64);
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	expect_failure(_metadata, self, self->buf, n - 5, true, ECONNRESET);
}

TEST_F(peer, bad_crc)
{
	struct vmig_wire_hello h = hello(64);
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	self->buf[n - 1] ^= 1;
	expect_failure(_metadata, self, self->buf, n, false, EBADMSG);
}

TEST_F(peer, oversized_record)
{
	struct vmig_wire_rec r = { .type = VMIG_REC_PAGES,
				   .len = VMIG_WIRE_MAX_PAYLOAD + 1 };

	expect_failure(_metadata, self, &r, sizeof(r), false, EBADMSG);
}

/* A version the target does not speak, newer or older (version 1). */
TEST_F(peer, wrong_version)
{
	struct vmig_wire_hello h = hello(64);

	h.version = VMIG_WIRE_VERSION + 1;
	expect_failure(_metadata, self, self->buf,
		       rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h)), false,
		       EPROTO);
}

TEST_F(peer, old_version)
{
	struct vmig_wire_hello h = hello(64);

	h.version = 1;
	expect_failure(_metadata, self, self->buf,
		       rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h)), false,
		       EPROTO);
}

TEST_F(peer, wrong_size)
{
	struct vmig_wire_hello h = hello(65);

	expect_failure(_metadata, self, self->buf,
		       rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h)), false,
		       EMSGSIZE);
}

TEST_F(peer, pages_before_hello)
{
	struct vmig_wire_page p = { .index = 0, .encoding = VMIG_PAGE_ZERO };

	expect_failure(_metadata, self, self->buf,
		       rec(self->buf, VMIG_REC_PAGES, &p, sizeof(p)), false,
		       EPROTO);
}

/* HELLO, then one PAGES record holding @p and @data. */
static size_t hello_then_page(struct _test_data_peer *self,
			      struct vmig_wire_page *p, const void *data)
{
	struct vmig_wire_hello h = hello(64);
	unsigned char payload[sizeof(*p) + 4096];
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	memcpy(payload, p, sizeof(*p));
	memcpy(payload + sizeof(*p), data, p->len);
	return n + rec(self->buf + n, VMIG_REC_PAGES, payload,
		       sizeof(*p) + p->len);
}

TEST_F(peer, page_out_of_range)
{
	unsigned char data[4096];
	struct vmig_wire_page p = { .index = 64, .encoding = VMIG_PAGE_RAW,
				    .len = 4096 };

	memset(data, 1, sizeof(data));
	p.crc = vmig_crc32c(~0U, data, sizeof(data));
	expect_failure(_metadata, self, self->buf,
		       hello_then_page(self, &p, data), false, EBADMSG);
}

TEST_F(peer, page_bad_content_crc)
{
	unsigned char data[4096];
	struct vmig_wire_page p = { .index = 3, .encoding = VMIG_PAGE_RAW,
				    .len = 4096 };

	memset(data, 1, sizeof(data));
	p.crc = vmig_crc32c(~0U, data, sizeof(data)) ^ 1;
	expect_failure(_metadata, self, self->buf,
		       hello_then_page(self, &p, data), false, EBADMSG);
}

TEST_F(peer, page_bad_lz4)
{
	unsigned char data[200];
	struct vmig_wire_page p = { .index = 3, .encoding = VMIG_PAGE_LZ4,
				    .len = sizeof(data) };

	memset(data, 0xff, sizeof(data));
	expect_failure(_metadata, self, self->buf,
		       hello_then_page(self, &p, data), false, EBADMSG);
}

/* zstd garbage, and a run that a frame of one page cannot fill. */
TEST_F(peer, page_bad_zstd)
{
	unsigned char data[4 + 200];
	struct vmig_wire_page p = { .index = 3, .encoding = VMIG_PAGE_ZSTD,
				    .run = 1, .len = sizeof(data) };

	memset(data, 0xff, sizeof(data));
	/* A zstd frame's magic, then garbage. */
	memcpy(data + 4, "\x28\xb5\x2f\xfd", 4);
	expect_failure(_metadata, self, self->buf,
		       hello_then_page(self, &p, data), false, EBADMSG);
}

/*
 * An LZ4 block, by hand, that decodes to @pages pages of @byte: a literal,
 * one match of all but 5 bytes at offset 1, and the 5 literals a block
 * ends with. Returns its length.
 */
static size_t lz4_fill(unsigned char *blk, unsigned char byte,
		       unsigned int pages)
{
	size_t rest = pages * VMIG_PAGE_SIZE - 6 - 4 - 15, n = 0;

	blk[n++] = 0x1f;
	blk[n++] = byte;
	blk[n++] = 1;
	blk[n++] = 0;
	for (; rest >= 255; rest -= 255)
		blk[n++] = 255;
	blk[n++] = rest;
	blk[n++] = 0x50;
	memset(blk + n, byte, 5);
	return n + 5;
}

/*
 * Entry @p and its @data for a run of 4 LZ4 pages of 0x5a from page
 * @index, block and CRCs right; @page gets the content of each.
 */
static void run_of_4(struct vmig_wire_page *p, __u64 index,
		     unsigned char data[3 * 4 + 100],
		     unsigned char page[VMIG_PAGE_SIZE])
{
	__u32 crc;

	memset(page, 0x5a, VMIG_PAGE_SIZE);
	crc = vmig_crc32c(~0U, page, VMIG_PAGE_SIZE);
	*p = (struct vmig_wire_page) { .index = index,
				       .encoding = VMIG_PAGE_LZ4, .run = 3,
				       .crc = crc };
	for (int i = 0; i < 3; i++)
		memcpy(data + 4 * i, &crc, 4);
	p->len = 3 * 4 + lz4_fill(data + 3 * 4, 0x5a, 4);
}

/* A run that would end past the memory (64 pages), though it starts in. */
TEST_F(peer, run_out_of_range)
{
	unsigned char data[3 * 4 + 100], page[VMIG_PAGE_SIZE];
	struct vmig_wire_page p;

	run_of_4(&p, 62, data, page);
	ASSERT_GE(sizeof(data), p.len);
	expect_failure(_metadata, self, self->buf,
		       hello_then_page(self, &p, data), false, EBADMSG);
}

/* The same run, at a place where it fits, is taken. */
TEST_F(peer, run_in_range)
{
	unsigned char data[3 * 4 + 100], page[VMIG_PAGE_SIZE];
	struct vmig_wire_round_end re = { .pages = 4 };
	struct vmig_mig_status st;
	struct vmig_wire_page p;
	size_t n;

	run_of_4(&p, 60, data, page);
	n = hello_then_page(self, &p, data);
	n += rec(self->buf + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	ASSERT_EQ((ssize_t)n, write(self->sv[1], self->buf, n));
	ASSERT_EQ(0, wait_round(self->vm.fd, 1, 30));
	ASSERT_EQ(0, vmig_mig_status(self->vm.fd, &st, 0));
	EXPECT_EQ(4, st.lz4_pages);
	for (int i = 60; i < 64; i++)
		EXPECT_EQ(0, memcmp(self->vm.mem + i * VMIG_PAGE_SIZE, page,
				    VMIG_PAGE_SIZE));
}

TEST_F(peer, round_out_of_order)
{
	struct vmig_wire_hello h = hello(64);
	struct vmig_wire_round_end re = { .round = 1 };
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	n += rec(self->buf + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	expect_failure(_metadata, self, self->buf, n, false, EPROTO);
}

TEST_F(peer, blob_before_the_end)
{
	struct vmig_wire_hello h = hello(64);
	struct {
		struct vmig_wire_blob b;
		char data[8];
	} b = { .b = { .total = 8 } };
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	n += rec(self->buf + n, VMIG_REC_BLOB, &b, sizeof(b));
	expect_failure(_metadata, self, self->buf, n, false, EPROTO);
}

/*
 * A well-formed session by hand (whole_session(), wire_build.h): one page
 * in round 0, a final round, a blob and the right digest. Then the same
 * with a wrong digest.
 */
TEST_F(peer, whole_session_by_hand)
{
	unsigned char out[3 * 4096], blob[8];
	struct vmig_mig_status st;
	struct {
		struct vmig_wire_rec r;
		struct vmig_wire_ack a;
	} ack;
	size_t n = whole_session(out, 0);

	ASSERT_EQ((ssize_t)n, write(self->sv[1], out, n));
	ASSERT_EQ(sizeof(ack), read(self->sv[1], &ack, sizeof(ack)));
	EXPECT_EQ(VMIG_REC_ACK, ack.r.type);
	EXPECT_EQ(0, ack.a.status);
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_DONE, 30, &st));
	EXPECT_EQ(0x3c, self->vm.mem[5 * VMIG_PAGE_SIZE + 4095]);
	EXPECT_EQ(0, self->vm.mem[4 * VMIG_PAGE_SIZE]);
	EXPECT_EQ(5, vmig_mig_get_blob(self->vm.fd, blob, sizeof(blob), NULL));
	EXPECT_EQ(0, memcmp(blob, "state", 5));
	EXPECT_EQ(-EMSGSIZE, vmig_mig_get_blob(self->vm.fd, blob, 4, NULL));
}

TEST_F(peer, wrong_digest)
{
	unsigned char out[3 * 4096];
	size_t n = whole_session(out, 1);

	expect_failure(_metadata, self, out, n, false, EIO);
}

/*
 * The accounting of a target session: its threads join the cgroup of the
 * process that starts it, and what it allocates (the stream buffers at the
 * start, then the guest's pages) is charged to that cgroup's memory.
 */
#define CG_ROOT "/sys/fs/cgroup"
#define CG_PAGES 2048
#define CG_STREAMS 16
/* The checks of charged_session() */
#define CG_BUFFERS 0x10		/* the stream buffers are charged */
#define CG_THREADS 0x20		/* the threads are in the cgroup */
#define CG_PAGES_CHARGED 0x40	/* the guest's pages are charged */

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static long long cg_read(const char *dir, const char *file, char *buf,
			 size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

/* The number of threads in cgroup @dir whose name is @comm. */
static int cg_count(const char *dir, const char *comm)
{
	char procs[4096], path[64], name[32];
	int count = 0;
	char *pid;

	if (cg_read(dir, "cgroup.procs", procs, sizeof(procs)) < 0)
		return -1;
	for (pid = strtok(procs, "\n"); pid; pid = strtok(NULL, "\n")) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) &&
		    !strncmp(name, comm, strlen(comm)) &&
		    name[strlen(comm)] == '\n')
			count++;
		fclose(f);
	}
	return count;
}

/* A session of CG_PAGES pages of 0x5a, from HELLO to END, into @fd. */
static int send_pages_session(int fd)
{
	unsigned char page[4096], payload[sizeof(struct vmig_wire_page) + 4096];
	unsigned char buf[sizeof(payload) + 64];
	struct vmig_wire_page p = { .encoding = VMIG_PAGE_RAW, .len = 4096 };
	struct vmig_wire_hello h = hello(CG_PAGES);
	struct vmig_wire_round_end re = { .round = 0, .pages = CG_PAGES };
	struct vmig_wire_end e = {};
	__u32 digest = ~0U;
	size_t n;
	int i;

	memset(page, 0x5a, sizeof(page));
	p.crc = vmig_crc32c(~0U, page, sizeof(page));
	n = rec(buf, VMIG_REC_HELLO, &h, sizeof(h));
	if (write(fd, buf, n) != (ssize_t)n)
		return -1;
	for (i = 0; i < CG_PAGES; i++) {
		p.index = i;
		memcpy(payload, &p, sizeof(p));
		memcpy(payload + sizeof(p), page, sizeof(page));
		n = rec(buf, VMIG_REC_PAGES, payload, sizeof(payload));
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
		digest = vmig_crc32c(digest, &p.crc, 4);
	}
	n = rec(buf, VMIG_REC_ROUND_END, &re, sizeof(re));
	re.round = 1;
	re.pages = 0;
	re.flags = VMIG_ROUND_FINAL;
	n += rec(buf + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	e.digest = digest;
	n += rec(buf + n, VMIG_REC_END, &e, sizeof(e));
	return write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

/*
 * In the child, inside cgroup @dir: 0; or the step that could not be taken
 * (below 16), or the checks that failed (CG_* bits). The figures are
 * memory.current's, which moves in per-CPU batches of up to
 * 256 KiB: each charge measured here is some MiB.
 */
static int charged_session(const char *dir)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	int dev, i, sv[2], in_fds[CG_STREAMS], out_fds[CG_STREAMS];
	long long before, started, done;
	struct vmig_mig_status st;
	char num[64];
	struct vm vm;
	int ret = 0;

	if (cg_write(dir, "cgroup.procs", "0"))
		return 10;
	dev = vmig_open_dev();
	if (dev < 0 || vm_new(dev, &vm, CG_PAGES))
		return 11;
	for (i = 0; i < CG_STREAMS; i++) {
		if (tcp_pair(sv))
			return 11;
		in_fds[i] = sv[0];
		out_fds[i] = sv[1];
	}
	before = cg_read(dir, "memory.current", num, sizeof(num));
	if (vmig_mig_start(vm.fd, &in, in_fds, CG_STREAMS))
		return 12;
	started = cg_read(dir, "memory.current", num, sizeof(num));
	/* Each stream's receive buffer alone is VMIG_WIRE_MAX_PAYLOAD. */
	if (started - before < CG_STREAMS * VMIG_WIRE_MAX_PAYLOAD / 2)
		ret |= CG_BUFFERS;
	/* The threads are there before HELLO, and only there. */
	if (cg_count(dir, "vmig-rx/0") != 1 || cg_count(dir, "vmig-rx/15") != 1)
		ret |= CG_THREADS;
	if (vmig_mig_cancel(vm.fd))
		return 13;
	close_all(in_fds, CG_STREAMS);
	close_all(out_fds, CG_STREAMS);

	/* One stream, and the guest's pages. */
	if (tcp_pair(sv))
		return 14;
	before = cg_read(dir, "memory.current", num, sizeof(num));
	if (vmig_mig_start(vm.fd, &in, &sv[0], 1))
		return 15;
	close(sv[0]);
	if (send_pages_session(sv[1]))
		return 15;
	if (wait_state(vm.fd, VMIG_MIG_STATE_DONE, 60, &st) !=
	    VMIG_MIG_STATE_DONE)
		return 15;
	if (vm.mem[(CG_PAGES - 1) * VMIG_PAGE_SIZE] != 0x5a)
		return 15;
	/* The guest's pages, written by the thread, are the VMM's. */
	done = cg_read(dir, "memory.current", num, sizeof(num));
	if (done - before < CG_PAGES * VMIG_PAGE_SIZE * 3 / 4)
		ret |= CG_PAGES_CHARGED;
	close(sv[1]);
	vm_del(dev, &vm);
	return ret;
}

TEST(charged_to_callers_cgroup)
{
	char dir[64], buf[256];
	int status;
	pid_t pid;

	if (access(VMIG_DEV_PATH, F_OK))
		SKIP(return, "vmig module not loaded");
	if (cg_read(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) < 0)
		mount("none", CG_ROOT, "cgroup2", 0, NULL);
	if (cg_read(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) < 0 ||
	    !strstr(buf, "memory"))
		SKIP(return, "no cgroup2 with the memory controller");
	ASSERT_EQ(0, cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"));
	snprintf(dir, sizeof(dir), CG_ROOT "/vmig-kst-%d", getpid());
	ASSERT_EQ(0, mkdir(dir, 0755));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(charged_session(dir));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status) & ~0x70);
	EXPECT_EQ(0, WEXITSTATUS(status) & CG_BUFFERS);
	EXPECT_EQ(0, WEXITSTATUS(status) & CG_THREADS);
	EXPECT_EQ(0, WEXITSTATUS(status) & CG_PAGES_CHARGED);
	/* The threads left with the session: the cgroup empties. */
	EXPECT_EQ(0, cg_count(dir, "vmig-rx/0"));
	EXPECT_EQ(0, rmdir(dir));
}

/* Read a source's records from @fd up to END, whose payload is left in @buf. */
static void read_to_end(struct __test_metadata *_metadata, int fd,
			unsigned char *buf)
{
	struct vmig_wire_rec r = {};

	while (r.type != VMIG_REC_END) {
		ASSERT_EQ(sizeof(r), recv(fd, &r, sizeof(r), MSG_WAITALL));
		ASSERT_GE(VMIG_WIRE_MAX_PAYLOAD, r.len);
		ASSERT_EQ((ssize_t)r.len,
			  r.len ? recv(fd, buf, r.len, MSG_WAITALL) : 0);
	}
}

/*
 * A 32-page VM migrating to a hand-fed target on a socket pair, switched
 * over and read up to END (its payload left in @buf); @fd is the target's
 * end of the pair.
 */
FIXTURE(at_end) {
	int dev, fd;
	struct vm vm;
	unsigned char buf[VMIG_WIRE_MAX_PAYLOAD];
};

FIXTURE_SETUP(at_end)
{
	struct vmig_mig_start out = { .compress = VMIG_COMPRESS_LZ4,
				      .group_pages = 16 };
	int sv[2];

	self->fd = -1;
	self->vm.fd = -1;
	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, vm_new(self->dev, &self->vm, 32));
	memset(self->vm.mem, 7, 32 * VMIG_PAGE_SIZE);
	ASSERT_EQ(0, tcp_pair(sv));
	ASSERT_EQ(0, vmig_mig_start(self->vm.fd, &out, sv, 1));
	close(sv[0]);
	self->fd = sv[1];
	ASSERT_EQ(0, vmig_mig_switchover(self->vm.fd, NULL, 0));
	read_to_end(_metadata, self->fd, self->buf);
}

FIXTURE_TEARDOWN(at_end)
{
	if (self->dev < 0)
		return;
	if (self->fd >= 0)
		close(self->fd);
	vm_del(self->dev, &self->vm);
	close(self->dev);
}

/* The target's ACK with @digest. */
static void send_ack(struct __test_metadata *_metadata, int fd, __le32 digest)
{
	struct {
		struct vmig_wire_rec r;
		struct vmig_wire_ack a;
	} ack;

	memset(&ack.a, 0, sizeof(ack.a));
	ack.a.digest = digest;
	rec(&ack, VMIG_REC_ACK, &ack.a, sizeof(ack.a));
	ASSERT_EQ(sizeof(ack), write(fd, &ack, sizeof(ack)));
}

/*
 * Once END is out the target may be done: a cancel on the source is
 * refused (EBUSY), and the target's acknowledgment decides.
 */
TEST_F(at_end, cancel_is_refused)
{
	struct vmig_mig_status st;

	EXPECT_EQ(-EBUSY, vmig_mig_cancel(self->vm.fd));
	ASSERT_EQ(0, vmig_mig_status(self->vm.fd, &st, 0));
	EXPECT_EQ(VMIG_MIG_STATE_SWITCHOVER, st.state);
	send_ack(_metadata, self->fd,
		 ((struct vmig_wire_end *)self->buf)->digest);
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_DONE, 30, &st));
}

/* A source whose target answers with a wrong digest fails with EIO. */
TEST_F(at_end, source_checks_the_ack)
{
	struct vmig_mig_status st;

	send_ack(_metadata, self->fd,
		 ((struct vmig_wire_end *)self->buf)->digest ^ 1);
	ASSERT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_FAILED, 30, &st));
	EXPECT_EQ(EIO, st.error);
}

/*
 * Kernel TLS on a TCP pair, keyed by hand (TLS 1.3, AES-GCM-128, a key
 * each way), as migctl hands a socket over after its handshake: the
 * target's session reads the records through it in plaintext, and a TLS
 * record that is not data ends the session with its own errno (the receive
 * would fail with EIO without a control buffer). Skipped without kTLS.
 */
FIXTURE(ktls) {
	int dev;
	struct vm vm;
	int peer;
};

static int ktls_key(int fd, int dir, unsigned char k)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info = { .version = TLS_1_3_VERSION,
			  .cipher_type = TLS_CIPHER_AES_GCM_128 },
	};

	memset(ci.key, k, sizeof(ci.key));
	memset(ci.iv, k + 1, sizeof(ci.iv));
	memset(ci.salt, k + 2, sizeof(ci.salt));
	return setsockopt(fd, SOL_TLS, dir, &ci, sizeof(ci));
}

FIXTURE_SETUP(ktls)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	struct link l;
	int src, dst;

	self->peer = -1;
	self->vm.fd = -1;
	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, vm_new(self->dev, &self->vm, 64));
	ASSERT_EQ(0, link_listen(&l));
	ASSERT_EQ(0, link_connect(&l, 1, &src, &dst));
	close(l.lfd);
	self->peer = src;
	if (setsockopt(dst, SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		close(dst);
		SKIP(return, "no kernel TLS (CONFIG_TLS)");
	}
	ASSERT_EQ(0, setsockopt(src, SOL_TCP, TCP_ULP, "tls", sizeof("tls")));
	ASSERT_EQ(0, ktls_key(dst, TLS_RX, 1));
	ASSERT_EQ(0, ktls_key(dst, TLS_TX, 2));
	ASSERT_EQ(0, ktls_key(src, TLS_TX, 1));
	ASSERT_EQ(0, ktls_key(src, TLS_RX, 2));
	ASSERT_EQ(0, vmig_mig_start(self->vm.fd, &in, &dst, 1));
	close(dst);
}

FIXTURE_TEARDOWN(ktls)
{
	if (self->dev < 0)
		return;
	if (self->peer >= 0)
		close(self->peer);
	vm_del(self->dev, &self->vm);
	close(self->dev);
}

/* Send @len bytes as one TLS record of @type (21 alert, 22 handshake). */
static ssize_t tls_send_type(int fd, unsigned char type, const void *buf,
			     size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(type))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(sizeof(type));
	*CMSG_DATA(c) = type;
	return sendmsg(fd, &m, 0);
}

/* The target's session ends FAILED with @error, its memory untouched. */
static void ktls_expect_failure(struct __test_metadata *_metadata,
				struct _test_data_ktls *self, __u32 error)
{
	struct vmig_mig_status st;
	__u64 i, nonzero = 0;

	ASSERT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_FAILED, 30, &st));
	EXPECT_EQ(error, st.error);
	for (i = 0; i < self->vm.nr_pages * VMIG_PAGE_SIZE; i++)
		nonzero += !!self->vm.mem[i];
	EXPECT_EQ(0, nonzero);
}

TEST_F(ktls, whole_session)
{
	unsigned char out[3 * 4096];
	struct vmig_mig_status st;
	struct {
		struct vmig_wire_rec r;
		struct vmig_wire_ack a;
	} ack;
	size_t n = whole_session(out, 0);

	ASSERT_EQ((ssize_t)n, write(self->peer, out, n));
	ASSERT_EQ(sizeof(ack), read(self->peer, &ack, sizeof(ack)));
	EXPECT_EQ(VMIG_REC_ACK, ack.r.type);
	EXPECT_EQ(0, ack.a.status);
	ASSERT_EQ(VMIG_MIG_STATE_DONE,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_DONE, 30, &st));
	EXPECT_EQ(0x3c, self->vm.mem[5 * VMIG_PAGE_SIZE + 4095]);
}

/* A fatal handshake_failure alert, after a HELLO: ECONNABORTED. */
TEST_F(ktls, alert)
{
	unsigned char buf[256], alert[2] = { 2, 40 };
	struct vmig_wire_hello h = hello(64);
	size_t n = rec(buf, VMIG_REC_HELLO, &h, sizeof(h));

	ASSERT_EQ((ssize_t)n, write(self->peer, buf, n));
	ASSERT_EQ(2, tls_send_type(self->peer, 21, alert, 2));
	ktls_expect_failure(_metadata, self, ECONNABORTED);
}

/* close_notify mid-record: the peer closed, ECONNRESET. */
TEST_F(ktls, close_notify)
{
	unsigned char buf[256], alert[2] = { 1, 0 };
	struct vmig_wire_hello h = hello(64);
	size_t n = rec(buf, VMIG_REC_HELLO, &h, sizeof(h));

	ASSERT_EQ((ssize_t)(n - 8), write(self->peer, buf, n - 8));
	ASSERT_EQ(2, tls_send_type(self->peer, 21, alert, 2));
	ktls_expect_failure(_metadata, self, ECONNRESET);
}

/* A KeyUpdate, which 6.12's kTLS cannot follow: EPROTO. */
TEST_F(ktls, key_update)
{
	unsigned char ku[5] = { 24, 0, 0, 1, 0 };

	ASSERT_EQ(5, tls_send_type(self->peer, 22, ku, 5));
	ktls_expect_failure(_metadata, self, EPROTO);
}

/*
 * Races at the end of a session, held open by the test hooks of builds
 * with CONFIG_VMIG_DEBUG (skipped without them): the thread that ends the
 * session waits test_end_delay_ms between the shutdown of the sockets and
 * the queueing of its reaper; VMIG_MIG_ADD_STREAM waits
 * test_attach_delay_ms between its check that the session runs and the
 * attach.
 */
#define PARAM_DIR "/sys/module/vmig/parameters/"

static int set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A source that sends round after round, never the final one, holds the
 * target's session: max_rounds_in ends it (ETIMEDOUT), at the round that
 * reaches the bound, and not before.
 */
TEST_F(peer, too_many_rounds)
{
	struct vmig_wire_hello h = hello(64);
	struct vmig_wire_round_end re = {};
	struct vmig_mig_status st;
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	ASSERT_EQ(0, set_param("max_rounds_in", "3"));
	for (re.round = 0; re.round < 2; re.round++)
		n += rec(self->buf + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	ASSERT_EQ((ssize_t)n, write(self->sv[1], self->buf, n));
	/* Two rounds are within the bound: the session still runs. */
	ASSERT_EQ(0, wait_round(self->vm.fd, 2, 30));
	ASSERT_EQ(0, vmig_mig_status(self->vm.fd, &st, false));
	EXPECT_EQ(VMIG_MIG_STATE_ACTIVE, st.state);
	n = rec(self->buf, VMIG_REC_ROUND_END, &re, sizeof(re));
	expect_failure(_metadata, self, self->buf, n, false, ETIMEDOUT);
	ASSERT_EQ(0, set_param("max_rounds_in", "10000"));
}

/*
 * The switchover has a deadline of its own (switchover_timeout_s, here 4 s
 * for the source, whose final round and END must get through first, and
 * 2 s for the target; then restored), under the stream timeout of 60 s: a source whose target
 * took everything up to END but never acknowledges fails by it, with
 * ETIMEDOUT, while the guest is paused; and so does a target whose source
 * ended the final round but never sends END.
 */
TEST(switchover_deadline)
{
	static unsigned char buf[VMIG_WIRE_MAX_PAYLOAD];
	struct vmig_mig_start out = { .group_pages = 16 };
	struct vmig_mig_status st;
	struct vm vm;
	int dev, sv[2];

	dev = vmig_open_dev();
	if (dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, set_param("switchover_timeout_s", "4"));
	ASSERT_EQ(0, vm_new(dev, &vm, 32));
	ASSERT_EQ(0, tcp_pair(sv));
	ASSERT_EQ(0, vmig_mig_start(vm.fd, &out, sv, 1));
	close(sv[0]);
	ASSERT_EQ(0, vmig_mig_switchover(vm.fd, NULL, 0));
	read_to_end(_metadata, sv[1], buf);
	EXPECT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(vm.fd, VMIG_MIG_STATE_FAILED, 20, &st));
	EXPECT_EQ(ETIMEDOUT, st.error);
	ASSERT_EQ(0, set_param("switchover_timeout_s", "120"));
	close(sv[1]);
	vm_del(dev, &vm);
	close(dev);
}

TEST_F(peer, switchover_deadline)
{
	struct vmig_wire_hello h = hello(64);
	struct vmig_wire_round_end re = { .flags = VMIG_ROUND_FINAL };
	size_t n = rec(self->buf, VMIG_REC_HELLO, &h, sizeof(h));

	n += rec(self->buf + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	ASSERT_EQ(0, set_param("switchover_timeout_s", "2"));
	expect_failure(_metadata, self, self->buf, n, false, ETIMEDOUT);
	ASSERT_EQ(0, set_param("switchover_timeout_s", "120"));
}

/* An incoming session over a socket pair, on a VM already unnamed. */
FIXTURE(race) {
	int dev;
	struct vm vm;
	int peer;
};

FIXTURE_SETUP(race)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	int sv[2];

	self->peer = -1;
	self->vm.fd = -1;
	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	if (access(PARAM_DIR "test_end_delay_ms", W_OK))
		SKIP(return, "no test hooks (CONFIG_VMIG_DEBUG)");
	ASSERT_EQ(0, vm_new(self->dev, &self->vm, 64));
	/* Destroyed by name: the descriptor is the last reference. */
	ASSERT_EQ(0, vmig_vm_destroy(self->dev, self->vm.name));
	ASSERT_EQ(0, tcp_pair(sv));
	ASSERT_EQ(0, vmig_mig_start(self->vm.fd, &in, &sv[0], 1));
	close(sv[0]);
	self->peer = sv[1];
}

FIXTURE_TEARDOWN(race)
{
	if (self->dev < 0)
		return;
	set_param("test_end_delay_ms", "0");
	set_param("test_attach_delay_ms", "0");
	if (self->peer >= 0)
		close(self->peer);
	if (self->vm.mem && self->vm.mem != MAP_FAILED)
		munmap(self->vm.mem, self->vm.nr_pages * VMIG_PAGE_SIZE);
	if (self->vm.fd >= 0)
		close(self->vm.fd);
	close(self->dev);
}

/* The peer sends garbage: the stream's thread ends the session. */
static void fail_session(struct __test_metadata *_metadata, int peer)
{
	unsigned char junk[64];

	memset(junk, 0xa5, sizeof(junk));
	ASSERT_EQ(sizeof(junk), write(peer, junk, sizeof(junk)));
}

/*
 * The VM's last descriptor closes while a thread is ending its session:
 * the release must wait for that thread before it frees the session, or
 * the reaper the thread queues runs on freed memory (KASAN reports it).
 */
TEST_F(race, release_during_end)
{
	ASSERT_EQ(0, set_param("test_end_delay_ms", "500"));
	fail_session(_metadata, self->peer);
	usleep(100 * 1000);	/* the thread is in the window */
	ASSERT_EQ(0, munmap(self->vm.mem, self->vm.nr_pages * VMIG_PAGE_SIZE));
	self->vm.mem = NULL;
	ASSERT_EQ(0, close(self->vm.fd));
	self->vm.fd = -1;
	/* Give a reaper queued on freed memory the time to run. */
	usleep(1000 * 1000);
}

struct add_stream {
	int vmfd, fd, ret;
};

static void *add_stream_fn(void *arg)
{
	struct add_stream *a = arg;

	a->ret = vmig_mig_add_stream(a->vmfd, a->fd);
	return NULL;
}

/*
 * A stream attached while the session ends: refused, or shut down with
 * the others. A thread left asleep on a live socket would hold the end
 * (and the VMM's close) until the stream timeout.
 */
TEST_F(race, attach_during_end)
{
	struct add_stream a = { .vmfd = self->vm.fd };
	struct vmig_mig_status st;
	pthread_t t;
	int sv[2];

	ASSERT_EQ(0, tcp_pair(sv));
	a.fd = sv[0];
	ASSERT_EQ(0, set_param("test_attach_delay_ms", "500"));
	ASSERT_EQ(0, pthread_create(&t, NULL, add_stream_fn, &a));
	usleep(100 * 1000);	/* the attach is in the window */
	fail_session(_metadata, self->peer);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-ENOENT, a.ret);
	/* Well within the stream timeout (60 s), the end is published. */
	EXPECT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(self->vm.fd, VMIG_MIG_STATE_FAILED, 10, &st));
	EXPECT_EQ(EBADMSG, st.error);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A peer that trickles a record in, a byte every 300 ms, under a stream
 * timeout of 1 s: every byte would restart a timeout per receive; the
 * deadline per record fails the session within about a second.
 */
TEST(trickled_record)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	struct vmig_wire_hello h = hello(64);
	unsigned char buf[256];
	struct vmig_mig_status st = { 0 };
	size_t n = rec(buf, VMIG_REC_HELLO, &h, sizeof(h)), i;
	int dev = vmig_open_dev(), sv[2];
	struct timespec t0, t1;
	struct vm vm;

	if (dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, set_param("stream_timeout_s", "1"));
	ASSERT_EQ(0, vm_new(dev, &vm, 64));
	ASSERT_EQ(0, tcp_pair(sv));
	ASSERT_EQ(0, vmig_mig_start(vm.fd, &in, &sv[0], 1));
	close(sv[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (write(sv[1], buf + i, 1) != 1)
			break;
		usleep(300 * 1000);
		if (!vmig_mig_status(vm.fd, &st, 0) &&
		    vmig_mig_ended(st.state))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	set_param("stream_timeout_s", "60");
	EXPECT_EQ(VMIG_MIG_STATE_FAILED,
		  wait_state(vm.fd, VMIG_MIG_STATE_FAILED, 10, &st));
	EXPECT_EQ(ETIMEDOUT, st.error);
	/* Failed while the peer still trickled, not after it stopped. */
	EXPECT_LT(i, n);
	EXPECT_LT(t1.tv_sec - t0.tv_sec, 5);
	close(sv[1]);
	vm_del(dev, &vm);
	close(dev);
}

/* Every input the migration ioctls reject. */
TEST(bad_input)
{
	struct vmig_mig_start good = { .compress = VMIG_COMPRESS_AUTO };
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING }, s;
	int dev = vmig_open_dev(), sv[2], sv2[2], unix_sv[2], udp, tcp, fds[2];
	struct vmig_mig_switchover so = { .size = sizeof(so) };
	struct vmig_mig_add_stream add = { .size = sizeof(add) };
	struct vmig_mig_status st;
	struct vm vm, vm2;
	__u64 bm[1];

	if (dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_EQ(0, vm_new(dev, &vm, 16));
	ASSERT_EQ(0, vm_new(dev, &vm2, 16));
	ASSERT_EQ(0, tcp_pair(sv));
	ASSERT_EQ(0, tcp_pair(sv2));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, unix_sv));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	tcp = socket(AF_INET, SOCK_STREAM, 0);

	EXPECT_EQ(-ENOENT, vmig_mig_status(vm.fd, &st, 0));
	EXPECT_EQ(-ENOENT, vmig_mig_cancel(vm.fd));
	EXPECT_EQ(-ENOENT, vmig_mig_switchover(vm.fd, NULL, 0));
	EXPECT_EQ(-ENOENT, vmig_mig_add_stream(vm.fd, sv[0]));
	EXPECT_EQ(-ENOENT, vmig_mig_get_blob(vm.fd, NULL, 0, NULL));

	s = good;
	s.flags = 1U << 7;
	EXPECT_EQ(-EOPNOTSUPP, vmig_mig_start(vm.fd, &s, sv, 1));
	s = good;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 0));
	s = good;
	fds[0] = sv[0];
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, fds, 17));
	s = good;
	s.compress = VMIG_COMPRESS_ZSTD + 1;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	/* A level is zstd's, within zstd's range. */
	s = good;
	s.compress = VMIG_COMPRESS_LZ4;
	s.compress_level = 3;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s.compress = VMIG_COMPRESS_NONE;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s.compress = VMIG_COMPRESS_ZSTD;
	s.compress_level = 23;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s.compress_level = INT32_MIN;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = in;
	s.compress_level = 1;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = good;
	s.group_pages = 3;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = good;
	s.group_pages = 1024;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = good;
	s.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = in;
	s.downtime_ms = 10;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = in;
	s.flags |= VMIG_MIG_VERIFY;
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, sv, 1));
	s = good;
	s.size = 8;
	EXPECT_EQ(-EINVAL, vmig_ioctl(vm.fd, VMIG_MIG_START, &s));
	s = good;
	EXPECT_EQ(-EFAULT, vmig_mig_start(vm.fd, &s, (int *)8, 1));
	fds[0] = 4000;
	EXPECT_EQ(-EBADF, vmig_mig_start(vm.fd, &s, fds, 1));
	fds[0] = vm.fd;
	EXPECT_EQ(-ENOTSOCK, vmig_mig_start(vm.fd, &s, fds, 1));
	fds[0] = udp;
	EXPECT_EQ(-EPROTOTYPE, vmig_mig_start(vm.fd, &s, fds, 1));
	fds[0] = tcp;
	EXPECT_EQ(-EPROTOTYPE, vmig_mig_start(vm.fd, &s, fds, 1));
	/* Connected, stream, but not TCP: AF_UNIX is refused. */
	EXPECT_EQ(-EPROTONOSUPPORT, vmig_mig_start(vm.fd, &s, unix_sv, 1));
	fds[0] = sv[0];
	fds[1] = dup(sv[0]);
	EXPECT_EQ(-EINVAL, vmig_mig_start(vm.fd, &s, fds, 2));
	close(fds[1]);
	EXPECT_EQ(0, vmig_track_start(vm.fd, 16));
	EXPECT_EQ(-EBUSY, vmig_mig_start(vm.fd, &s, sv, 1));
	EXPECT_EQ(0, vmig_track_stop(vm.fd));
	/* Nothing failed above left a session behind. */
	EXPECT_EQ(-ENOENT, vmig_mig_status(vm.fd, &st, 0));

	/* A source session: it owns tracking, and the VM. */
	EXPECT_EQ(0, vmig_mig_start(vm.fd, &s, sv, 1));
	EXPECT_EQ(-EBUSY, vmig_mig_start(vm.fd, &s, sv2, 1));
	EXPECT_EQ(-EBUSY, vmig_track_start(vm.fd, 16));
	EXPECT_EQ(-EBUSY, vmig_track_stop(vm.fd));
	EXPECT_EQ(-EBUSY, vmig_harvest(vm.fd, 0, 16, 0, bm));
	EXPECT_EQ(-EBUSY, vmig_vm_destroy(dev, vm.name));
	EXPECT_EQ(-EINVAL, vmig_mig_add_stream(vm.fd, sv2[0]));
	EXPECT_EQ(-ENOENT, vmig_mig_get_blob(vm.fd, NULL, 0, NULL));
	so.blob_len = VMIG_BLOB_MAX + 1ULL;
	EXPECT_EQ(-E2BIG, vmig_ioctl(vm.fd, VMIG_MIG_SWITCHOVER, &so));
	so.blob_len = 10;
	so.blob = 8;
	EXPECT_EQ(-EFAULT, vmig_ioctl(vm.fd, VMIG_MIG_SWITCHOVER, &so));
	so.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(vm.fd, VMIG_MIG_SWITCHOVER, &so));
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.flags = 2;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(vm.fd, VMIG_MIG_STATUS, &st));
	EXPECT_EQ(0, vmig_mig_cancel(vm.fd));
	EXPECT_EQ(0, vmig_mig_status(vm.fd, &st, 0));
	EXPECT_EQ(VMIG_MIG_STATE_CANCELLED, st.state);

	/*
	 * A target writes the memory where no write faults: not while
	 * tracking runs, and no tracking until the session is over.
	 */
	EXPECT_EQ(0, vmig_track_start(vm2.fd, 16));
	EXPECT_EQ(-EBUSY, vmig_mig_start(vm2.fd, &in, &sv2[0], 1));
	EXPECT_EQ(0, vmig_track_stop(vm2.fd));
	EXPECT_EQ(-ENOENT, vmig_mig_status(vm2.fd, &st, 0));

	/* A target session. */
	EXPECT_EQ(0, vmig_mig_start(vm2.fd, &in, &sv2[0], 1));
	EXPECT_EQ(-EBUSY, vmig_track_start(vm2.fd, 16));
	EXPECT_EQ(-EINVAL, vmig_mig_switchover(vm2.fd, NULL, 0));
	EXPECT_EQ(-ENOENT, vmig_mig_get_blob(vm2.fd, NULL, 0, NULL));
	add.fd = sv[1];
	add.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(vm2.fd, VMIG_MIG_ADD_STREAM, &add));
	EXPECT_EQ(-EPROTOTYPE, vmig_mig_add_stream(vm2.fd, udp));
	EXPECT_EQ(0, vmig_mig_cancel(vm2.fd));
	/* Ended, its memory zeroed: tracking may start. */
	EXPECT_EQ(0, vmig_track_start(vm2.fd, 16));
	EXPECT_EQ(0, vmig_track_stop(vm2.fd));

	close(udp);
	close(tcp);
	close(unix_sv[0]);
	close(unix_sv[1]);
	close(sv[0]);
	close(sv[1]);
	close(sv2[0]);
	close(sv2[1]);
	vm_del(dev, &vm);
	vm_del(dev, &vm2);
	close(dev);
}

TEST_HARNESS_MAIN
