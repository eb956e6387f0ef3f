// SPDX-License-Identifier: GPL-2.0
/*
 * Migration sessions: their life cycle and their ioctls, the top of the
 * session's files (it starts the threads of mig_tx.c and mig_rx.c, which
 * report to session.c). See "Migration sessions" in
 * include/uapi/linux/vmig.h for what userspace sees.
 *
 * A session belongs to its VM (vm->mig, under vm->mig_lock) and keeps its
 * status after it ends, until the next one starts or the VM is released.
 * Its threads run while it is live; when it ends by itself (done, failed)
 * a work item tears them down; VMIG_MIG_CANCEL and the VM's release tear
 * down synchronously. Teardown stops the threads before it frees what they
 * use, and the VM outlives the session's threads: its release tears the
 * session down first.
 */
#include "mig.h"

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/lz4.h>
#include <linux/zstd.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Drop a stream's socket and buffers; its thread is gone. */
static void vmig_stream_uninit(struct vmig_mig *mig, struct vmig_stream *s)
{
	mutex_lock(&mig->sock_lock);
	vmig_sock_detach(s);
	mutex_unlock(&mig->sock_lock);
	kvfree(s->rec);
	s->rec = NULL;
	kvfree(s->bounce);
	s->bounce = NULL;
	kvfree(s->lz4_mem);
	s->lz4_mem = NULL;
	kvfree(s->zstd_mem);
	s->zstd_mem = NULL;
	kvfree(s->dctx_mem);
	s->dctx_mem = NULL;
	memset(&s->codec, 0, sizeof(s->codec));
	s->dctx = NULL;
}

/* Stop the threads, drop the sockets, and free what only they need. */
static void vmig_mig_teardown(struct vmig_mig *mig)
{
	unsigned int i;

	mutex_lock(&mig->teardown_lock);
	if (mig->torn_down)
		goto out;
	/* Sessions that ran ended first; these threads never ran. */
	spin_lock(&mig->lock);
	mig->stopping = true;
	spin_unlock(&mig->lock);
	if (mig->src.coord)
		kthread_stop_put(mig->src.coord);
	mig->src.coord = NULL;
	for (i = 0; i < VMIG_MIG_MAX_STREAMS; i++) {
		struct vmig_stream *s = &mig->streams[i];

		if (s->task)
			kthread_stop_put(s->task);
		s->task = NULL;
		vmig_stream_uninit(mig, s);
	}
	if (!mig->incoming)
		vmig_track_end(mig->vm, true);
	else if (mig->started && mig->end_state != VMIG_MIG_STATE_DONE)
		vmig_mem_discard(mig->vm);
	/* The receiver's last write is done: tracking may start. */
	if (mig->dst.track_held)
		vmig_track_unhold(mig->vm);
	mig->dst.track_held = false;
	kvfree(mig->src.bits);
	mig->src.bits = NULL;
	kvfree(mig->src.carry);
	mig->src.carry = NULL;
	kvfree(mig->crcs);
	mig->crcs = NULL;
	if (!mig->incoming || mig->end_state != VMIG_MIG_STATE_DONE) {
		kvfree(mig->blob);
		mig->blob = NULL;
	}
	mig->torn_down = true;
out:
	mutex_unlock(&mig->teardown_lock);
}

/* After vmig_mig_end(): tear down, then show the end. */
static void vmig_mig_reap(struct work_struct *work)
{
	struct vmig_mig *mig = container_of(work, struct vmig_mig, reap);

	vmig_mig_teardown(mig);
	spin_lock(&mig->lock);
	mig->error = mig->end_error;
	vmig_mig_set_state(mig, mig->end_state);
	spin_unlock(&mig->lock);
	vmig_mig_notify(mig);
}

static void vmig_mig_free(struct vmig_mig *mig)
{
	if (!mig)
		return;
	/*
	 * Threads first: one may be inside vmig_mig_end(), about to queue
	 * the reaper, and kthread_stop() waits for it. Only then can no one
	 * queue the reaper any more, and cancelling it is final.
	 */
	vmig_mig_teardown(mig);
	cancel_work_sync(&mig->reap);
	kvfree(mig->blob);
	mem_cgroup_put(mig->memcg);
	if (mig->cred)
		put_cred(mig->cred);
	mutex_destroy(&mig->sock_lock);
	mutex_destroy(&mig->teardown_lock);
	kfree(mig);
}

void vmig_mig_init(struct vmig_vm *vm)
{
	mutex_init(&vm->mig_lock);
	init_waitqueue_head(&vm->mig_poll);
}

/* At the VM's release: no ioctl can run any more. */
void vmig_mig_uninit(struct vmig_vm *vm)
{
	if (vm->mig)
		vmig_mig_end(vm->mig, VMIG_MIG_STATE_CANCELLED, 0, false);
	vmig_mig_free(vm->mig);
	vm->mig = NULL;
	mutex_destroy(&vm->mig_lock);
}

/* Under vm->mig_lock: the VM's session, unless none runs (or it ended). */
static struct vmig_mig *vmig_mig_live(struct vmig_vm *vm)
{
	lockdep_assert_held(&vm->mig_lock);
	if (vm->mig && !vmig_mig_final(READ_ONCE(vm->mig->state)))
		return vm->mig;
	return NULL;
}

/* A session runs on @vm: it may not be destroyed. */
bool vmig_mig_busy(struct vmig_vm *vm)
{
	bool busy;

	mutex_lock(&vm->mig_lock);
	busy = vmig_mig_live(vm);
	mutex_unlock(&vm->mig_lock);
	return busy;
}

__poll_t vmig_mig_poll(struct file *file, struct poll_table_struct *wait)
{
	struct vmig_vm *vm = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &vm->mig_poll, wait);
	mutex_lock(&vm->mig_lock);
	if (vm->mig) {
		spin_lock(&vm->mig->lock);
		if (vm->mig->events != vm->mig_acked)
			mask = EPOLLIN | EPOLLRDNORM;
		spin_unlock(&vm->mig->lock);
	}
	mutex_unlock(&vm->mig_lock);
	return mask;
}

/* The zstd level of a source session. */
static int vmig_mig_zstd_level(const struct vmig_mig_start *p)
{
	return p->compress_level ? p->compress_level : VMIG_ZSTD_LEVEL_DEFAULT;
}

/* A source stream's compressors, as its compression mode needs them. */
static int vmig_stream_init_codec(struct vmig_mig *mig, struct vmig_stream *s)
{
	u32 mode = mig->params.compress;
	size_t size;

	if (mode == VMIG_COMPRESS_AUTO || mode == VMIG_COMPRESS_LZ4) {
		s->lz4_mem = kvmalloc(LZ4_MEM_COMPRESS, GFP_KERNEL_ACCOUNT);
		if (!s->lz4_mem)
			return -ENOMEM;
		s->codec.lz4 = s->lz4_mem;
	}
	if (mode == VMIG_COMPRESS_AUTO || mode == VMIG_COMPRESS_ZSTD) {
		s->codec.zparams =
			vmig_wire_zstd_params(vmig_mig_zstd_level(&mig->params));
		size = vmig_wire_zstd_cctx_size(&s->codec.zparams);
		s->zstd_mem = kvmalloc(size, GFP_KERNEL_ACCOUNT);
		if (!s->zstd_mem)
			return -ENOMEM;
		s->codec.zstd = zstd_init_cctx(s->zstd_mem, size);
		if (!s->codec.zstd)
			return -ENOMEM;
	}
	/* Auto starts raw, and measures the others first (mig_policy.c). */
	if (mode == VMIG_COMPRESS_LZ4)
		s->choice.mode = VMIG_PAGE_LZ4 - VMIG_PAGE_RAW;
	else if (mode == VMIG_COMPRESS_ZSTD)
		s->choice.mode = VMIG_PAGE_ZSTD - VMIG_PAGE_RAW;
	return 0;
}

/* Allocate what a stream's thread needs. */
static int vmig_stream_init(struct vmig_mig *mig, struct vmig_stream *s,
			    unsigned int index)
{
	size_t size;

	s->mig = mig;
	s->index = index;
	s->rec = kvmalloc(sizeof(*s->rec) + VMIG_WIRE_MAX_PAYLOAD,
			  GFP_KERNEL_ACCOUNT);
	s->bounce = kvmalloc(VMIG_WIRE_MAX_RUN * PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!s->rec || !s->bounce)
		return -ENOMEM;
	if (!mig->incoming)
		return vmig_stream_init_codec(mig, s);
	size = zstd_dctx_workspace_bound();
	s->dctx_mem = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!s->dctx_mem)
		return -ENOMEM;
	s->dctx = zstd_init_dctx(s->dctx_mem, size);
	return s->dctx ? 0 : -ENOMEM;
}

/*
 * Create (not yet wake) a thread, holding a reference for the teardown. It
 * joins the caller's cgroups, so that its CPU time (and, with
 * vmig_mig_thread_enter(), its memory) is the VMM's, as vhost's workers do.
 */
static int vmig_mig_thread(struct task_struct **task, int (*fn)(void *),
			   void *data, const char *what, unsigned int index)
{
	struct task_struct *t;
	int ret;

	t = kthread_create(fn, data, "vmig-%s/%u", what, index);
	if (IS_ERR(t))
		return PTR_ERR(t);
	ret = cgroup_attach_task_all(current, t);
	if (ret) {
		kthread_stop(t);
		return ret;
	}
	*task = get_task_struct(t);
	return 0;
}

/*
 * The body of a session's thread: run @fn(@arg) with the credentials of
 * the process that started the session, charging what it allocates to that
 * process's memory cgroup (a kernel thread's own allocations are never
 * charged).
 */
int vmig_mig_thread_run(struct vmig_mig *mig, void (*fn)(void *), void *arg)
{
	const struct cred *old_cred = override_creds(mig->cred);
	struct mem_cgroup *old_memcg = set_active_memcg(mig->memcg);

	fn(arg);
	set_active_memcg(old_memcg);
	revert_creds(old_cred);
	return 0;
}

#ifdef CONFIG_VMIG_DEBUG
/*
 * A test hook: hold vmig_mig_attach() this long between its check that the
 * session is not ending and the attach, so that a test can end the session
 * inside the window (selftests/vmig/mig_test.c, race.attach_during_end).
 * Zero in normal use; only in builds with CONFIG_VMIG_DEBUG.
 */
static unsigned int test_attach_delay_ms;
module_param(test_attach_delay_ms, uint, 0600);
MODULE_PARM_DESC(test_attach_delay_ms, "Test hook: delay the attach of a stream (ms)");

static void vmig_mig_attach_test_delay(void)
{
	unsigned int ms = READ_ONCE(test_attach_delay_ms);

	if (unlikely(ms))
		msleep(ms);
}
#else
static inline void vmig_mig_attach_test_delay(void)
{
}
#endif

/*
 * Attach socket @fd to @s and count the stream, under @sock_lock, unless
 * the session is ending: vmig_mig_end() sets stopping, then shuts down
 * every attached socket under @sock_lock, so that it never misses one
 * published here, and a socket refused here (-ENOENT) is left alone.
 */
static int vmig_mig_publish(struct vmig_mig *mig, struct vmig_stream *s,
			    int fd)
{
	int ret = -ENOENT;

	mutex_lock(&mig->sock_lock);
	if (!vmig_mig_stopping(mig))
		ret = vmig_sock_attach(s, fd);
	if (!ret) {
		spin_lock(&mig->lock);
		mig->attached++;
		spin_unlock(&mig->lock);
	}
	mutex_unlock(&mig->sock_lock);
	return ret;
}

/*
 * Attach socket @fd as the next stream and create its thread; with @wake,
 * start it. Under the teardown lock: a session that is ending takes no new
 * stream, and its teardown sees every stream attached before.
 */
static int vmig_mig_attach(struct vmig_mig *mig, int fd, bool wake)
{
	unsigned int i = mig->attached;
	struct vmig_stream *s = &mig->streams[i];
	struct socket *sock;
	int ret, err;

	if (i >= VMIG_MIG_MAX_STREAMS)
		return -ENOSPC;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	for (ret = 0; ret < i; ret++)
		if (mig->streams[ret].sock == sock) {
			sockfd_put(sock);
			return -EINVAL;
		}
	sockfd_put(sock);

	mutex_lock(&mig->teardown_lock);
	ret = -ENOENT;
	if (mig->torn_down || vmig_mig_stopping(mig))
		goto out;
	vmig_mig_attach_test_delay();
	ret = vmig_stream_init(mig, s, i);
	if (!ret)
		ret = vmig_mig_thread(&s->task, mig->incoming ? vmig_rx_stream :
				      vmig_tx_stream, s,
				      mig->incoming ? "rx" : "tx", i);
	if (!ret)
		ret = vmig_mig_publish(mig, s, fd);
	if (ret) {
		/* Never woken: stopping it returns at once. */
		if (s->task)
			kthread_stop_put(s->task);
		s->task = NULL;
		/* The slot is reused by the next attempt: leave it empty. */
		vmig_stream_uninit(mig, s);
		goto out;
	}
	if (wake)
		wake_up_process(s->task);
out:
	mutex_unlock(&mig->teardown_lock);
	return ret;
}

static int vmig_mig_check_start(const struct vmig_mig_start *cmd)
{
	if (cmd->flags & ~(VMIG_MIG_INCOMING | VMIG_MIG_VERIFY))
		return -EOPNOTSUPP;
	if (cmd->__reserved || !cmd->nr_fds ||
	    cmd->nr_fds > VMIG_MIG_MAX_STREAMS)
		return -EINVAL;
	if (cmd->flags & VMIG_MIG_INCOMING)
		return cmd->compress || cmd->compress_level ||
		       cmd->group_pages || cmd->downtime_ms ||
		       cmd->max_rounds || cmd->max_precopy_ms ||
		       cmd->max_bandwidth || (cmd->flags & VMIG_MIG_VERIFY) ?
		       -EINVAL : 0;
	if (cmd->compress > VMIG_COMPRESS_ZSTD ||
	    !vmig_track_group_valid(cmd->group_pages))
		return -EINVAL;
	/* A level is zstd's: for zstd, or for auto's choice of zstd. */
	if (cmd->compress_level &&
	    (cmd->compress == VMIG_COMPRESS_NONE ||
	     cmd->compress == VMIG_COMPRESS_LZ4 ||
	     cmd->compress_level < zstd_min_clevel() ||
	     cmd->compress_level > zstd_max_clevel()))
		return -EINVAL;
	return 0;
}

static struct vmig_mig *vmig_mig_alloc(struct vmig_vm *vm,
				       const struct vmig_mig_start *cmd)
{
	struct vmig_mig *mig;
	unsigned long i;

	mig = kzalloc(sizeof(*mig), GFP_KERNEL_ACCOUNT);
	if (!mig)
		return NULL;
	mig->vm = vm;
	mig->params = *cmd;
	mig->incoming = cmd->flags & VMIG_MIG_INCOMING;
	if (!mig->params.downtime_ms)
		mig->params.downtime_ms = 300;
	if (!mig->params.max_rounds)
		mig->params.max_rounds = 30;
	mig->session = get_random_u64();
	mig->dst.final_round = U32_MAX;
	spin_lock_init(&mig->lock);
	init_waitqueue_head(&mig->wq);
	mutex_init(&mig->teardown_lock);
	mutex_init(&mig->sock_lock);
	INIT_WORK(&mig->reap, vmig_mig_reap);
	mig->start_ns = ktime_get_ns();
	/* Charge what the threads allocate to the caller's memory cgroup. */
	mig->memcg = get_mem_cgroup_from_mm(current->mm);
	mig->cred = get_current_cred();

	/* A page never sent is a zero page on both sides. */
	mig->crcs = kvmalloc_array(vm->nr_pages, sizeof(u32),
				   GFP_KERNEL_ACCOUNT);
	if (!mig->crcs)
		goto err;
	mig->zero_crc = vmig_wire_page_crc(page_address(ZERO_PAGE(0)));
	for (i = 0; i < vm->nr_pages; i++)
		mig->crcs[i] = mig->zero_crc;
	if (!mig->incoming) {
		mig->nr_streams = cmd->nr_fds;
		mig->src.bits = kvcalloc(vmig_track_bitmap_longs(vm),
					 sizeof(long), GFP_KERNEL_ACCOUNT);
		mig->src.carry = kvcalloc(vmig_track_bitmap_longs(vm),
					  sizeof(long), GFP_KERNEL_ACCOUNT);
		if (!mig->src.bits || !mig->src.carry)
			goto err;
	}
	return mig;
err:
	vmig_mig_free(mig);
	return NULL;
}

int vmig_mig_start(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_start *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	s32 fds[VMIG_MIG_MAX_STREAMS];
	struct vmig_mig *mig, *old;
	unsigned int i;
	int ret;

	ret = vmig_mig_check_start(cmd);
	if (ret)
		return ret;
	if (copy_from_user(fds, u64_to_user_ptr(cmd->fds),
			   cmd->nr_fds * sizeof(fds[0])))
		return -EFAULT;

	mutex_lock(&vm->mig_lock);
	old = vm->mig;
	ret = -EBUSY;
	/* An old session that ended is torn down: its reaper ran. */
	if (vmig_mig_live(vm))
		goto out_unlock;
	ret = -ENOMEM;
	mig = vmig_mig_alloc(vm, cmd);
	if (!mig)
		goto out_unlock;
	for (i = 0; i < cmd->nr_fds; i++) {
		ret = vmig_mig_attach(mig, fds[i], false);
		if (ret)
			goto out_free;
	}
	if (mig->incoming) {
		ret = vmig_track_hold(vm);
		if (ret)
			goto out_free;
		mig->dst.track_held = true;
		/* Whatever the memory held before, the source's is coming. */
		vmig_mem_discard(vm);
	} else {
		ret = vmig_track_begin(vm, cmd->group_pages, true);
		if (ret)
			goto out_free;
		ret = vmig_mig_thread(&mig->src.coord, vmig_tx_coord, mig, "mig",
				      0);
		if (ret) {
			vmig_track_end(vm, true);
			goto out_free;
		}
	}
	mig->state = mig->incoming ? VMIG_MIG_STATE_CONNECTING :
				     VMIG_MIG_STATE_ACTIVE;
	/* Go on counting, so that poll() sees the new session's start. */
	mig->events = (old ? old->events : 0) + 1;
	mig->started = true;
	vm->mig = mig;
	if (mig->src.coord)
		wake_up_process(mig->src.coord);
	for (i = 0; i < mig->attached; i++)
		wake_up_process(mig->streams[i].task);
	mutex_unlock(&vm->mig_lock);
	wake_up_interruptible_poll(&vm->mig_poll, EPOLLIN | EPOLLRDNORM);
	vmig_mig_free(old);
	return 0;

out_free:
	/* Threads that never ran: stopping them returns at once. */
	vmig_mig_free(mig);
out_unlock:
	mutex_unlock(&vm->mig_lock);
	return ret;
}

int vmig_mig_add_stream(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_add_stream *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_mig *mig;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	mutex_lock(&vm->mig_lock);
	mig = vmig_mig_live(vm);
	ret = -ENOENT;
	if (!mig)
		goto out;
	ret = -EINVAL;
	if (!mig->incoming || READ_ONCE(mig->state) != VMIG_MIG_STATE_CONNECTING)
		goto out;
	ret = -ENOSPC;
	if (READ_ONCE(mig->nr_streams) &&
	    mig->attached >= READ_ONCE(mig->nr_streams))
		goto out;
	ret = vmig_mig_attach(mig, cmd->fd, true);
out:
	mutex_unlock(&vm->mig_lock);
	return ret;
}

int vmig_mig_status(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_status *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_mig *mig;
	u64 end;

	if (cmd->flags & ~VMIG_MIG_STATUS_ACK)
		return -EOPNOTSUPP;
	mutex_lock(&vm->mig_lock);
	mig = vm->mig;
	if (!mig) {
		mutex_unlock(&vm->mig_lock);
		return -ENOENT;
	}
	memset_after(cmd, 0, flags);
	spin_lock(&mig->lock);
	if (mig->incoming)
		cmd->info |= VMIG_MIG_INFO_INCOMING;
	if (!mig->incoming && vmig_policy_encoding(&mig->streams[0].choice) ==
	    VMIG_PAGE_LZ4)
		cmd->info |= VMIG_MIG_INFO_LZ4;
	if (!mig->incoming && vmig_policy_encoding(&mig->streams[0].choice) ==
	    VMIG_PAGE_ZSTD)
		cmd->info |= VMIG_MIG_INFO_ZSTD;
	if (mig->params.flags & VMIG_MIG_VERIFY)
		cmd->info |= VMIG_MIG_INFO_VERIFY;
	cmd->state = mig->state;
	cmd->error = mig->error;
	cmd->round = mig->incoming ? mig->dst.rounds_done : mig->round;
	cmd->nr_streams = mig->nr_streams;
	cmd->streams_attached = mig->attached;
	cmd->pages_total = vm->nr_pages;
	cmd->pages_remaining = mig->st.pages_remaining;
	if (!mig->incoming && mig->src.busy) {
		/* A round is being sent: what of it is left. */
		u64 done = atomic64_read(&mig->st.pages_sent) -
			   mig->st.round_sent0;

		cmd->pages_remaining -= min(done, cmd->pages_remaining);
	}
	cmd->dirty_rate = mig->st.dirty_rate;
	cmd->link_rate = mig->st.link_rate;
	cmd->expected_downtime_ms = mig->st.expected_downtime_ms;
	end = mig->end_ns ? mig->end_ns : ktime_get_ns();
	cmd->total_ms = div_u64(end - mig->start_ns, NSEC_PER_MSEC);
	cmd->downtime_ms = div_u64(mig->st.downtime_ns, NSEC_PER_MSEC);
	cmd->blob_len = mig->blob_len;
	cmd->events = mig->events;
	if (cmd->flags & VMIG_MIG_STATUS_ACK)
		vm->mig_acked = mig->events;
	spin_unlock(&mig->lock);
	cmd->pages_sent = atomic64_read(&mig->st.pages_sent);
	cmd->zero_pages = atomic64_read(&mig->st.zero_pages);
	cmd->lz4_pages = atomic64_read(&mig->st.lz4_pages);
	cmd->zstd_pages = atomic64_read(&mig->st.zstd_pages);
	cmd->raw_pages = atomic64_read(&mig->st.raw_pages);
	cmd->bytes_wire = atomic64_read(&mig->st.bytes_wire);
	mutex_unlock(&vm->mig_lock);
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

int vmig_mig_switchover(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_switchover *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_mig *mig;
	void *blob = NULL;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->blob_len > VMIG_BLOB_MAX)
		return -E2BIG;
	if (cmd->blob_len) {
		blob = kvmalloc(cmd->blob_len, GFP_KERNEL_ACCOUNT);
		if (!blob)
			return -ENOMEM;
		if (copy_from_user(blob, u64_to_user_ptr(cmd->blob),
				   cmd->blob_len)) {
			kvfree(blob);
			return -EFAULT;
		}
	}
	mutex_lock(&vm->mig_lock);
	mig = vmig_mig_live(vm);
	ret = -ENOENT;
	if (!mig)
		goto out;
	ret = -EINVAL;
	if (mig->incoming)
		goto out;
	spin_lock(&mig->lock);
	if (!mig->stopping &&
	    (BIT(mig->state) & (BIT(VMIG_MIG_STATE_ACTIVE) |
				BIT(VMIG_MIG_STATE_READY) |
				BIT(VMIG_MIG_STATE_STALLED)))) {
		mig->blob = blob;
		mig->blob_len = cmd->blob_len;
		blob = NULL;
		WRITE_ONCE(mig->src.switch_requested, true);
		mig->switch_ns = ktime_get_ns();
		vmig_mig_switch_begins(mig);
		vmig_mig_set_state(mig, VMIG_MIG_STATE_SWITCHOVER);
		ret = 0;
	}
	spin_unlock(&mig->lock);
	if (!ret)
		vmig_mig_notify(mig);
out:
	mutex_unlock(&vm->mig_lock);
	kvfree(blob);
	return ret;
}

int vmig_mig_get_blob(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_get_blob *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_mig *mig;
	u64 room = cmd->buf_len;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&vm->mig_lock);
	mig = vm->mig;
	ret = -ENOENT;
	if (!mig || !mig->incoming || READ_ONCE(mig->state) != VMIG_MIG_STATE_DONE)
		goto out;
	cmd->buf_len = mig->blob_len;
	ret = 0;
	if (room < mig->blob_len)
		ret = -EMSGSIZE;
	else if (mig->blob_len &&
		 copy_to_user(u64_to_user_ptr(cmd->buf), mig->blob,
			      mig->blob_len))
		ret = -EFAULT;
	if (ret != -EFAULT) {
		int r = vmig_ucmd_respond(ucmd, sizeof(*cmd));

		ret = ret ?: r;
	}
out:
	mutex_unlock(&vm->mig_lock);
	return ret;
}

int vmig_mig_cancel(struct vmig_ucmd *ucmd)
{
	struct vmig_mig_cancel *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_mig *mig;
	int ret = -ENOENT;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&vm->mig_lock);
	mig = vmig_mig_live(vm);
	if (mig) {
		if (vmig_mig_end(mig, VMIG_MIG_STATE_CANCELLED, 0, true)) {
			pr_info("VM %.*s: %s migration cancelled\n",
				VMIG_NAME_MAX, vm->name,
				mig->incoming ? "incoming" : "outgoing");
			ret = 0;
		} else if (READ_ONCE(mig->src.end_sent) &&
			   !READ_ONCE(mig->stopping)) {
			/* The outcome is the target's: let it come. */
			ret = -EBUSY;
		}
		/*
		 * Return once it ended, whoever ended it; the reaper does not
		 * take vm->mig_lock.
		 */
		if (ret != -EBUSY)
			flush_work(&mig->reap);
	}
	mutex_unlock(&vm->mig_lock);
	return ret;
}
