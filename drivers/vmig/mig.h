/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Migration sessions: the state shared by the session's files (mig.c, the
 * session and its ioctls; mig_tx.c, the source's threads; mig_rx.c, the
 * target's; mig_sock.c, the streams; mig_policy.c, the compression choice).
 */
#ifndef _VMIG_MIG_H
#define _VMIG_MIG_H

#include "vmig.h"
#include "wire.h"

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/vmig_wire.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct cred;
struct mem_cgroup;
struct socket;
struct task_struct;

/* The modes a stream chooses among: VMIG_PAGE_RAW + mode (raw, LZ4, zstd). */
#define VMIG_POLICY_MODES 3

/**
 * struct vmig_policy - how a stream encodes, see mig_policy.c
 * @cost: CPU time per 64 KiB of guest data, in ns, per mode; 0 while
 *	unknown
 * @ratio: bytes on the wire per guest byte, times 1024, per mode
 * @link: wire bytes per millisecond the link carried when it held the
 *	stream back; 0 while it does not
 * @win_wire: the wire bytes of the last epochs, decayed (mig_policy.c)
 * @win_ns: their time, decayed alike
 * @win_wait: the part of it spent waiting, decayed alike
 * @unsaturated: epochs in a row that did not wait for the link
 * @epochs: epochs since the stream started
 * @mode: the current epoch's mode
 * @prev: the mode of the last epoch measured
 * @probe: the current epoch is a short probe of a mode that lost
 */
struct vmig_policy {
	u64 cost[VMIG_POLICY_MODES];
	u32 ratio[VMIG_POLICY_MODES];
	u64 link;
	u64 win_wire;
	u64 win_ns;
	u64 win_wait;
	u32 unsaturated;
	u32 epochs;
	u8 mode;
	u8 prev;
	bool probe;
};

/* The wire encoding of the current mode. */
static inline u16 vmig_policy_encoding(const struct vmig_policy *c)
{
	return VMIG_PAGE_RAW + c->mode;
}

/* Pages per compression epoch (512 KiB), and per probe. */
#define VMIG_POLICY_EPOCH_PAGES 128
#define VMIG_POLICY_PROBE_PAGES 16

void vmig_policy_epoch(struct vmig_policy *c, u64 guest, u64 wire, u64 ns,
		       u64 wait_ns);

static inline unsigned int vmig_policy_epoch_pages(const struct vmig_policy *c)
{
	return c->probe ? VMIG_POLICY_PROBE_PAGES : VMIG_POLICY_EPOCH_PAGES;
}

/**
 * struct vmig_stream - one stream (connection) of a session
 * @mig: the session
 * @sock: the socket, NULL before it is attached
 * @tls: the socket carries kernel TLS: its bytes are bounded per key
 * @sent: bytes sent on the socket, for the TLS bound
 * @received: bytes received on it, for the TLS bound
 * @task: the stream's thread
 * @index: the stream's index on the wire (the target learns it from HELLO)
 * @rec: a record being built or received: header, then payload
 * @used: source: payload bytes in @rec
 * @bounce: VMIG_WIRE_MAX_RUN pages: the source copies guest pages of a
 *	run here before encoding them; the target decodes into it before
 *	writing guest pages
 * @codec: source: the compressors (their memory: @lz4_mem, @zstd_mem)
 * @lz4_mem: source: LZ4's working memory, or NULL
 * @zstd_mem: source: zstd's compression context, or NULL
 * @dctx: target: zstd's decompression context, in @dctx_mem
 * @dctx_mem: target: its memory
 * @run_first: source: the first page of the run in @bounce
 * @run_n: source: the pages of that run
 * @run_crcs: source: their CRCs
 * @choice: source: the compression choice
 * @epoch_pages: source: pages encoded in this compression epoch
 * @epoch_bytes: source: guest bytes (of pages not zero) in this epoch
 * @epoch_wire: source: the bytes they took in records
 * @epoch_wait_ns: source: time this epoch waited for the socket or the cap
 * @epoch_ns: source: when this epoch began
 * @round_pages: the pages this stream sent or received in the round
 * @round: target: the round this stream receives
 */
struct vmig_stream {
	struct vmig_mig *mig;
	struct socket *sock;
	bool tls;
	u64 sent;
	u64 received;
	struct task_struct *task;
	unsigned int index;
	struct vmig_wire_rec *rec;
	u32 used;
	void *bounce;
	struct vmig_wire_codec codec;
	void *lz4_mem;
	void *zstd_mem;
	zstd_dctx *dctx;
	void *dctx_mem;
	unsigned long run_first;
	unsigned int run_n;
	u32 run_crcs[VMIG_WIRE_MAX_RUN];
	struct vmig_policy choice;
	u32 epoch_pages;
	u64 epoch_bytes;
	u64 epoch_wire;
	u64 epoch_wait_ns;
	u64 epoch_ns;
	u64 round_pages;
	u32 round;
};

/**
 * struct vmig_mig_src - the source's part of a session
 * @coord: the thread that runs rounds
 * @final: under &vmig_mig.lock: the round in progress is the last one
 * @seq: under &vmig_mig.lock: bumped to start each round on the senders
 * @busy: under &vmig_mig.lock: senders still working on the round
 * @bits: the pages of the round; whole regions
 * @carry: the pages of a round cut short by the switchover, for the final
 *	round
 * @carried: @carry holds pages
 * @next_chunk: the next chunk of @bits a sender takes
 * @switch_requested: VMIG_MIG_STATE_SWITCHOVER was called
 * @end_sent: under &vmig_mig.lock: END is out, too late to cancel
 * @wire_ns: time spent sending rounds
 * @wire_bytes_rounds: bytes of those rounds
 * @throttle_ns: when the bandwidth cap lets the next record go
 */
struct vmig_mig_src {
	struct task_struct *coord;
	bool final;
	u32 seq;
	unsigned int busy;
	unsigned long *bits;
	unsigned long *carry;
	bool carried;
	atomic_long_t next_chunk;
	bool switch_requested;
	bool end_sent;
	u64 wire_ns;
	u64 wire_bytes_rounds;
	atomic64_t throttle_ns;
};

/**
 * struct vmig_mig_dst - the target's part of a session
 * @hellos: a bit per stream index whose HELLO arrived
 * @arrived: under &vmig_mig.lock: streams waiting at the round barrier
 * @rounds_done: under &vmig_mig.lock: rounds every stream has completed
 * @final_round: under &vmig_mig.lock: the round ROUND_END marked final, or
 *	U32_MAX
 * @barrier_final: under &vmig_mig.lock: the streams at the barrier saw a
 *	final round
 * @round_ns: when the round in progress began
 * @blob_got: bytes of the device-state blob received
 * @track_held: the session holds tracking off (vmig_track_hold()) until
 *	its teardown
 */
struct vmig_mig_dst {
	unsigned long hellos;
	unsigned int arrived;
	u32 rounds_done;
	u32 final_round;
	bool barrier_final;
	u64 round_ns;
	u64 blob_got;
	bool track_held;
};

/**
 * struct vmig_mig - a migration session, see "Migration sessions" in
 * include/uapi/linux/vmig.h
 * @vm: the VM; it outlives the session's threads (vmig_mig_uninit())
 * @incoming: the target
 * @params: the start parameters, defaults filled in
 * @session: the random session number of HELLO
 * @nr_streams: the session's streams (target: 0 until the first HELLO)
 * @attached: streams attached
 * @streams: the streams, @attached of them
 * @lock: protects the state, the counters below it, and the fields of
 *	@src and @dst marked so
 * @state: a VMIG_MIG_* state
 * @error: the errno of a failure
 * @events: state changes
 * @stopping: set once the session ends: threads return
 * @end_state: the final state it ends in, made visible after the teardown
 * @end_error: the errno it ends with
 * @round: the round in progress
 * @wq: threads wait here for rounds, the barrier and the end
 * @crcs: the CRC32C of every page as last sent or received
 * @zero_crc: the CRC32C of a zero page
 * @blob: the device-state blob: source: to send; target: received
 * @blob_len: its length
 * @start_ns: when the session started
 * @end_ns: when it began to end, 0 before
 * @switch_ns: when the switchover began, 0 before
 * @switch_jiffies: under @lock, read without: when the switchover began
 *	(source) or the final round ended (target), 0 before; the
 *	switchover's deadline counts from it (vmig_sock_deadline())
 * @st: the counters, under @lock or atomic
 * @memcg: the memory cgroup of the process that started the session: the
 *	threads charge their allocations (target: guest pages) to it
 * @cred: that process's credentials: the threads act with them (the LSM
 *	checks of their socket calls see the VMM, not the kernel)
 * @started: the session was published and its threads woken
 * @reap: tears the session down once it ended by itself
 * @teardown_lock: serializes vmig_mig_teardown()
 * @sock_lock: protects the streams' socket pointers against their drop
 *	while vmig_mig_end() or the teardown shuts them down
 * @torn_down: the threads and sockets are gone
 * @src: the source's part; zero on a target
 * @dst: the target's part; zero on a source
 */
struct vmig_mig {
	struct vmig_vm *vm;
	bool incoming;
	struct vmig_mig_start params;
	u64 session;
	unsigned int nr_streams;
	unsigned int attached;
	struct vmig_stream streams[VMIG_MIG_MAX_STREAMS];

	spinlock_t lock; /* see above */
	u32 state;
	int error;
	u64 events;
	bool stopping;
	u32 end_state;
	int end_error;
	u32 round;
	wait_queue_head_t wq;

	u32 *crcs;
	u32 zero_crc;
	void *blob;
	u64 blob_len;
	u64 start_ns;
	u64 end_ns;
	u64 switch_ns;
	unsigned long switch_jiffies;
	struct {
		atomic64_t pages_sent;
		atomic64_t zero_pages;
		atomic64_t lz4_pages;
		atomic64_t zstd_pages;
		atomic64_t raw_pages;
		atomic64_t bytes_wire;
		u64 pages_remaining;
		u64 round_sent0;
		u64 dirty_rate;
		u64 link_rate;
		u64 expected_downtime_ms;
		u64 downtime_ns;
	} st;

	struct mem_cgroup *memcg;
	const struct cred *cred;
	bool started;
	struct work_struct reap;
	struct mutex teardown_lock; /* see above */
	struct mutex sock_lock; /* see above */
	bool torn_down;

	struct vmig_mig_src src;
	struct vmig_mig_dst dst;
};

/* Pages a source sender takes from the round at a time. */
#define VMIG_CHUNK_PAGES 64

static inline bool vmig_mig_final(u32 state)
{
	return state >= VMIG_MIG_STATE_DONE;
}

/* mig.c */
int vmig_mig_thread_run(struct vmig_mig *mig, void (*fn)(void *), void *arg);

/* session.c */
void vmig_mig_set_state(struct vmig_mig *mig, u32 state);
void vmig_mig_notify(struct vmig_mig *mig);
bool vmig_mig_end(struct vmig_mig *mig, u32 state, int error, bool cancel);
void vmig_mig_fail(struct vmig_mig *mig, int error, const char *why);
void vmig_mig_done(struct vmig_mig *mig);
bool vmig_mig_move(struct vmig_mig *mig, u32 from, u32 state);
bool vmig_mig_stopping(struct vmig_mig *mig);
u32 vmig_mig_digest(struct vmig_mig *mig, bool verify);
void vmig_mig_count(struct vmig_mig *mig, u16 encoding, unsigned int n);

/* mig_sock.c */
long vmig_stream_timeout(void);
void vmig_mig_switch_begins(struct vmig_mig *mig);
int vmig_sock_attach(struct vmig_stream *s, int fd);
void vmig_sock_detach(struct vmig_stream *s);
void vmig_sock_shutdown(struct vmig_stream *s);
int vmig_sock_send(struct vmig_stream *s, const void *buf, size_t len);
int vmig_sock_send_rec(struct vmig_stream *s, u16 type, const void *payload,
		       u32 len);
int vmig_sock_recv_rec(struct vmig_stream *s);

/* mig_tx.c */
int vmig_tx_coord(void *data);
int vmig_tx_stream(void *data);

/* mig_rx.c */
int vmig_rx_stream(void *data);

#endif /* _VMIG_MIG_H */
