// SPDX-License-Identifier: GPL-2.0
/*
 * A migration session's state, which its threads (mig_tx.c, mig_rx.c) and
 * its ioctls (mig.c) move: state changes, the end of a session, and the
 * switchover digest. Below the threads: it calls only the sockets
 * (mig_sock.c), the codec (wire.c) and the memory.
 */
#include "mig.h"

#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

bool vmig_mig_stopping(struct vmig_mig *mig)
{
	return READ_ONCE(mig->stopping);
}

/* Under mig->lock: enter @state. */
void vmig_mig_set_state(struct vmig_mig *mig, u32 state)
{
	lockdep_assert_held(&mig->lock);
	mig->state = state;
	mig->events++;
}

/* Tell the threads and poll() that something changed. */
void vmig_mig_notify(struct vmig_mig *mig)
{
	wake_up_all(&mig->wq);
	wake_up_interruptible_poll(&mig->vm->mig_poll, EPOLLIN | EPOLLRDNORM);
}

/*
 * Move from a state in @from (a mask of BIT(state)) to @state, which is not
 * a final one; false when the session is in another state, or ending.
 */
bool vmig_mig_move(struct vmig_mig *mig, u32 from, u32 state)
{
	bool changed = false;

	spin_lock(&mig->lock);
	if (!mig->stopping && (BIT(mig->state) & from) &&
	    mig->state != state) {
		vmig_mig_set_state(mig, state);
		changed = true;
	}
	spin_unlock(&mig->lock);
	if (changed)
		vmig_mig_notify(mig);
	return changed;
}

#ifdef CONFIG_VMIG_DEBUG
/*
 * A test hook: hold the thread that ends a session this long between the
 * shutdown of its sockets and the queueing of its reaper, so that a test
 * can close the VM, or attach a stream, inside the window
 * (selftests/vmig/mig_test.c, the race tests). Zero in normal use; only in
 * builds with CONFIG_VMIG_DEBUG.
 */
static unsigned int test_end_delay_ms;
module_param(test_end_delay_ms, uint, 0600);
MODULE_PARM_DESC(test_end_delay_ms, "Test hook: delay the end of a session (ms)");

static void vmig_mig_end_test_delay(void)
{
	unsigned int ms = READ_ONCE(test_end_delay_ms);

	if (unlikely(ms))
		msleep(ms);
}
#else
static inline void vmig_mig_end_test_delay(void)
{
}
#endif

/*
 * Shut every stream's socket down, waking a thread asleep on it; under
 * @sock_lock, so that none is dropped meanwhile.
 */
static void vmig_mig_shutdown(struct vmig_mig *mig)
{
	unsigned int i;

	mutex_lock(&mig->sock_lock);
	for (i = 0; i < VMIG_MIG_MAX_STREAMS; i++)
		vmig_sock_shutdown(&mig->streams[i]);
	mutex_unlock(&mig->sock_lock);
}

/*
 * End the session in the final @state, with @error (negative, or 0),
 * unless it is ending already. The threads stop; the reaper tears the
 * session down, and only then makes @state visible: whoever sees a session
 * ended sees its tracking stopped, or its memory discarded. A @cancel
 * comes too late once the source sent END: the target may be done.
 */
bool vmig_mig_end(struct vmig_mig *mig, u32 state, int error, bool cancel)
{
	spin_lock(&mig->lock);
	if (mig->stopping || (cancel && mig->src.end_sent)) {
		spin_unlock(&mig->lock);
		return false;
	}
	mig->stopping = true;
	mig->end_state = state;
	mig->end_error = -error;
	mig->end_ns = ktime_get_ns();
	spin_unlock(&mig->lock);
	wake_up_all(&mig->wq);
	/*
	 * Wake threads asleep on a socket. A stream published from here on
	 * sees the session stopping and is refused (vmig_mig_publish()), so
	 * every socket a thread can sleep on is shut here.
	 */
	vmig_mig_shutdown(mig);
	vmig_mig_end_test_delay();
	/*
	 * The reaper may run after the VM's release started: that frees the
	 * session only once every thread is stopped, and so after this.
	 */
	schedule_work(&mig->reap);
	return true;
}

/*
 * End the session with @error (negative), unless it is ending already;
 * @why says what went wrong, for the kernel log.
 */
void vmig_mig_fail(struct vmig_mig *mig, int error, const char *why)
{
	if (vmig_mig_end(mig, VMIG_MIG_STATE_FAILED, error, false))
		pr_info("VM %.*s: %s migration failed: %s (%pe)\n",
			VMIG_NAME_MAX, mig->vm->name,
			mig->incoming ? "incoming" : "outgoing", why,
			ERR_PTR(error));
}

/* The session succeeded. */
void vmig_mig_done(struct vmig_mig *mig)
{
	vmig_mig_end(mig, VMIG_MIG_STATE_DONE, 0, false);
}

/* Count @n pages sent or received in @encoding, in the session's status. */
void vmig_mig_count(struct vmig_mig *mig, u16 encoding, unsigned int n)
{
	switch (encoding) {
	case VMIG_PAGE_ZERO:
		atomic64_add(n, &mig->st.zero_pages);
		break;
	case VMIG_PAGE_LZ4:
		atomic64_add(n, &mig->st.lz4_pages);
		break;
	case VMIG_PAGE_ZSTD:
		atomic64_add(n, &mig->st.zstd_pages);
		break;
	default:
		atomic64_add(n, &mig->st.raw_pages);
	}
	atomic64_add(n, &mig->st.pages_sent);
}

/*
 * The switchover digest (wire.c defines it) over the CRC32C of every page,
 * as last sent or received, or with @verify as the memory holds it now.
 */
u32 vmig_mig_digest(struct vmig_mig *mig, bool verify)
{
	struct vmig_vm *vm = mig->vm;
	unsigned long i;
	u32 digest = ~0U;

	for (i = 0; i < vm->nr_pages; i++) {
		u32 crc = mig->crcs[i];

		if (verify) {
			struct page *page = vmig_mem_peek(vm, i);

			crc = mig->zero_crc;
			if (page) {
				void *p = kmap_local_page(page);

				crc = vmig_wire_page_crc(p);
				kunmap_local(p);
			}
		}
		digest = vmig_wire_digest_step(digest, crc);
		if (!(i % 1024))
			cond_resched();
	}
	return digest;
}
