/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-vmig: the device-mapper filter that hands a VM's disk IO off at the
 * switchover of a live migration.
 *
 * Two parts: the package that carries the IO a dm-vmig filter cancelled on
 * the source to the target (a byte format, little-endian), and the ioctls
 * of /dev/dm-vmig that drive a filter. The text interface (the table, dm
 * messages and the status line) is in Documentation/admin-guide/dm-vmig.rst.
 * This header does not depend on <linux/vmig.h>: the filter works for any
 * VMM, with or without vmig's memory migration.
 */
#ifndef _UAPI_LINUX_DM_VMIG_H
#define _UAPI_LINUX_DM_VMIG_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Hand-off package
 *
 * A package is a struct vmig_disk_pkg header, then @nr_descs struct
 * vmig_disk_desc descriptors, then the data of the cancelled writes,
 * back to back in descriptor order. Every field is little-endian. The
 * descriptors come in two kinds:
 *
 * - VMIG_DISK_COMPLETED: IO that was in flight at the backing device when
 *   the hand-off began, and that the source waited for. @error tells how
 *   it ended. It carries no data: it is on the storage (or failed).
 * - VMIG_DISK_CANCELLED: IO the source held and never issued. Writes,
 *   flushes, discards and write-zeroes are reissued by the target filter,
 *   in @seq order, before any new IO of the guest; a write's data follows
 *   the descriptors. Reads are not reissued (their data belongs to the
 *   guest's memory): the target's VMM submits them again.
 *
 * Completed descriptors come first, then the cancelled ones, each group in
 * increasing @seq, the order in which the guest's IO reached the filter.
 * The package ends exactly after the last write's data.
 *
 * @crc is CRC32C (Castagnoli, seed ~0, not inverted) of the whole package
 * with @crc zero. A filter checks everything (magic, version, sizes, CRC,
 * every descriptor against the disk's size) before it reissues anything.
 */
#define VMIG_DISK_PKG_MAGIC 0x4b534456 /* "VDSK" */
#define VMIG_DISK_PKG_VERSION 1

/* The largest package a filter builds or accepts: 256 MiB. */
#define VMIG_DISK_PKG_MAX (256U << 20)

/* The longest single IO in a package: 1 MiB (the filter splits longer). */
#define VMIG_DISK_IO_MAX (1U << 20)

/**
 * struct vmig_disk_pkg - the header of a hand-off package
 * @magic: VMIG_DISK_PKG_MAGIC
 * @version: VMIG_DISK_PKG_VERSION
 * @hdr_size: sizeof(struct vmig_disk_pkg), 64
 * @desc_size: sizeof(struct vmig_disk_desc), 40
 * @nr_descs: the number of descriptors
 * @crc: see "Hand-off package"
 * @nr_sectors: the size of the filter's device in 512-byte sectors; the
 *	target's filter must have the same size
 * @data_len: the bytes of write data after the descriptors
 * @next_seq: the source filter's next sequence number: every IO of the
 *	guest with a lower number is in the package or finished before the
 *	hand-off
 * @mode: VMIG_DISK_HANDOFF_CANCEL or VMIG_DISK_HANDOFF_DRAIN
 * @disk_id: the identity of the disk: the source filter's ``disk_uuid``
 *	(its table's, as 16 bytes in the order of the canonical text form),
 *	all zero when it has none. A filter imports only a package whose
 *	@disk_id is its own ``disk_uuid`` (zero for none), so that a package
 *	cannot be reissued onto another disk of the same size.
 */
struct vmig_disk_pkg {
	__le32 magic;
	__le16 version;
	__le16 hdr_size;
	__le32 desc_size;
	__le32 nr_descs;
	__le32 crc;
	__le32 mode;
	__le64 nr_sectors;
	__le64 data_len;
	__le64 next_seq;
	__u8 disk_id[16];
};

/**
 * struct vmig_disk_desc - one IO of the guest in a hand-off package
 * @seq: the sequence number the source filter gave the IO when it arrived
 * @sector: the first sector, in 512-byte sectors from the start of the
 *	filter's device (not of the backing device)
 * @len: the length in bytes, a multiple of 512, at most VMIG_DISK_IO_MAX;
 *	0 for a flush
 * @op: VMIG_DISK_OP_*
 * @flags: VMIG_DISK_F_* bits of the original request
 * @kind: VMIG_DISK_COMPLETED or VMIG_DISK_CANCELLED
 * @error: for a completed IO, 0 or the positive errno it ended with; 0
 *	for a cancelled one
 * @__reserved: 0
 * @data_off: for a cancelled write, where its @len bytes of data start,
 *	counted from the end of the descriptors; otherwise 0. Data is laid
 *	out in descriptor order without gaps.
 */
struct vmig_disk_desc {
	__le64 seq;
	__le64 sector;
	__le32 len;
	__le16 op;
	__le16 flags;
	__le16 kind;
	__le16 error;
	__le32 __reserved;
	__le64 data_off;
};

/* struct vmig_disk_desc op */
enum {
	VMIG_DISK_OP_READ = 0,
	VMIG_DISK_OP_WRITE = 1,
	VMIG_DISK_OP_FLUSH = 2,		/* an empty write with PREFLUSH */
	VMIG_DISK_OP_DISCARD = 3,
	VMIG_DISK_OP_WRITE_ZEROES = 4,
	VMIG_DISK_OP_MAX,
};

/* struct vmig_disk_desc flags: the request flags the target reissues. */
#define VMIG_DISK_F_FUA		(1U << 0)	/* REQ_FUA */
#define VMIG_DISK_F_PREFLUSH	(1U << 1)	/* REQ_PREFLUSH */
#define VMIG_DISK_F_SYNC	(1U << 2)	/* REQ_SYNC */
#define VMIG_DISK_F_META	(1U << 3)	/* REQ_META */
#define VMIG_DISK_F_NOUNMAP	(1U << 4)	/* REQ_NOUNMAP */
#define VMIG_DISK_F_ALL		0x1f

/* struct vmig_disk_desc kind */
enum {
	VMIG_DISK_COMPLETED = 1,
	VMIG_DISK_CANCELLED = 2,
};

/**
 * DOC: Filter states
 *
 * ============  =============================================================
 * RUNNING       IO passes through (up to max_inflight at a time; the rest
 *               waits in the filter, in arrival order).
 * HANDOFF       A hand-off runs: nothing new is dispatched (in drain mode,
 *               what was queued before still is); the filter waits for the
 *               IO in flight.
 * FENCED        The hand-off is done and its package ready. New IO fails
 *               with EBADE; held IO stays held until the migration is
 *               released (cancelled: it is dispatched in order, back to
 *               RUNNING) or completed (it ends with EREMOTEIO, to GONE).
 * GONE          The disk belongs to the target. IO fails with EBADE. Can
 *               become INCOMING again, for a migration back.
 * INCOMING      The target side before import: IO of the guest waits until
 *               a package is imported (or the migration released).
 * ============  =============================================================
 */
enum {
	VMIG_DISK_ST_RUNNING = 0,
	VMIG_DISK_ST_HANDOFF = 1,
	VMIG_DISK_ST_FENCED = 2,
	VMIG_DISK_ST_GONE = 3,
	VMIG_DISK_ST_INCOMING = 4,
	VMIG_DISK_NR_STATES,
};

/* Hand-off modes. */
enum {
	VMIG_DISK_HANDOFF_CANCEL = 0,	/* cancel held IO, wait for in flight */
	VMIG_DISK_HANDOFF_DRAIN = 1,	/* dispatch and wait for everything */
};

/**
 * DOC: General ioctl format
 *
 * /dev/dm-vmig is dm-vmig's control node. Every ioctl takes a pointer to a
 * structure whose first member is ``__u32 size``, the size of the
 * structure as the caller knows it, and follows the same extensibility
 * rules as /dev/vmig (see <linux/vmig.h>): a smaller size from an older
 * caller reads the missing members as zero; a larger one is accepted when
 * every byte the kernel does not know is zero; outputs are written back up
 * to the caller's size. ``__reserved`` fields must be zero, and so must
 * every ``flags`` bit the ioctl does not define.
 *
 * Each ioctl names its filter by @disk_fd, a file descriptor of the
 * device-mapper device open in the caller (``/dev/mapper/NAME`` or
 * ``/dev/dm-N``), never by a device number: the caller proves it may use
 * the disk, and the device cannot be removed while the call runs. The
 * ioctls that change a filter's state need @disk_fd open for writing.
 * Every ioctl needs CAP_SYS_ADMIN, as device-mapper's own control node
 * does (/dev/mapper/control): fencing a disk or reissuing writes to it is
 * as strong as replacing its table.
 *
 * The ioctls return 0 on success, or -1 with errno set:
 *
 * - EACCES: the caller lacks CAP_SYS_ADMIN (checked first).
 * - ENOTTY: the command is not a dm-vmig ioctl.
 * - EFAULT: the argument pointer, or a pointer inside the structure, is
 *   not a valid user address.
 * - EINVAL: ``size`` is below the first version of the structure, a
 *   ``__reserved`` field is not zero, a value is out of range, or the call
 *   makes no sense in the filter's state (releasing a disk that is not
 *   handed off, importing into one that is not INCOMING).
 * - E2BIG: ``size`` is larger than the kernel knows and the extra bytes
 *   are not all zero.
 * - EOPNOTSUPP: a ``flags`` bit the ioctl does not define is set.
 * - ENOMEM: the kernel could not allocate memory.
 * - EBADF: @disk_fd is not an open file descriptor, or is not open for
 *   writing and the ioctl changes the filter's state.
 * - ENOTBLK: @disk_fd is not a block device.
 * - ENODEV: the block device is not a device-mapper device whose live
 *   table is one dm-vmig target (or that target is being replaced).
 * - EBUSY: another hand-off operation runs on the filter, or its state
 *   does not allow this one while IO is in the way (see "Filter states").
 *
 * Individual ioctls document further errors.
 */

/*
 * The ioctl type (magic). 0xBB is unassigned in ioctl-number.rst as of
 * 6.12; vmig's /dev/vmig has 0xBA.
 */
#define DM_VMIG_TYPE 0xBB

/* Bumped on any incompatible change to this header. */
#define DM_VMIG_API_VERSION 2

enum {
	DM_VMIG_CMD_BASE = 0x00,
	DM_VMIG_CMD_GET_INFO = DM_VMIG_CMD_BASE,
	DM_VMIG_CMD_HANDOFF,
	DM_VMIG_CMD_EXPORT,
	DM_VMIG_CMD_IMPORT,
	DM_VMIG_CMD_RELEASE,
	DM_VMIG_CMD_COMPLETE,
	DM_VMIG_CMD_INCOMING,
};

/**
 * struct vmig_disk_info - ioctl(VMIG_DISK_GET_INFO)
 * @size: sizeof(struct vmig_disk_info)
 * @flags: must be 0
 * @disk_fd: the device-mapper device, open for reading or writing
 * @state: output: VMIG_DISK_ST_RUNNING...
 * @max_inflight: output: the dispatch depth, 0 for unlimited
 * @held: output: IO the filter holds now (queued or cancelled)
 * @inflight: output: IO at the backing device now
 * @errors: output: IO that ended with an error at the backing device
 * @passed: output: IO dispatched to the backing device, in total
 * @cancelled: output: IO cancelled by hand-offs, in total
 * @reissued: output: IO reissued from imported packages, in total
 * @api_version: output: DM_VMIG_API_VERSION of the module
 * @__reserved: must be 0
 */
struct vmig_disk_info {
	__u32 size;
	__u32 flags;
	__s32 disk_fd;
	__u32 state;
	__u32 max_inflight;
	__u32 held;
	__u32 inflight;
	__u32 errors;
	__aligned_u64 passed;
	__aligned_u64 cancelled;
	__aligned_u64 reissued;
	__u32 api_version;
	__u32 __reserved;
};

#define VMIG_DISK_GET_INFO _IO(DM_VMIG_TYPE, DM_VMIG_CMD_GET_INFO)

/**
 * struct vmig_disk_handoff - ioctl(VMIG_DISK_HANDOFF)
 * @size: sizeof(struct vmig_disk_handoff)
 * @flags: must be 0
 * @disk_fd: the device-mapper device, open for writing
 * @mode: VMIG_DISK_HANDOFF_CANCEL or VMIG_DISK_HANDOFF_DRAIN
 * @timeout_ms: how long to wait for the IO in flight, 1 to 600000; 0 for
 *	the device's default (its timeout_ms table argument)
 * @nr_completed: output: IO waited for
 * @nr_cancelled: output: IO cancelled
 * @nr_errors: output: IO waited for that ended with an error
 * @pkg_len: output: the size of the package
 *
 * Hands the disk off (RUNNING to HANDOFF to FENCED) and builds the package.
 * Errors: ETIMEDOUT when the IO in flight did not finish in time (the hand-
 * off is undone: the held IO is dispatched and the disk RUNNING again);
 * E2BIG when the package would exceed VMIG_DISK_PKG_MAX (undone the same
 * way); EBUSY when the disk is not RUNNING; ENOMEM.
 */
struct vmig_disk_handoff {
	__u32 size;
	__u32 flags;
	__s32 disk_fd;
	__u32 mode;
	__u32 timeout_ms;
	__u32 nr_completed;
	__u32 nr_cancelled;
	__u32 nr_errors;
	__aligned_u64 pkg_len;
};

#define VMIG_DISK_HANDOFF _IO(DM_VMIG_TYPE, DM_VMIG_CMD_HANDOFF)

/**
 * struct vmig_disk_export - ioctl(VMIG_DISK_EXPORT)
 * @size: sizeof(struct vmig_disk_export)
 * @flags: must be 0
 * @disk_fd: the device-mapper device, open for reading or writing
 * @__reserved: must be 0
 * @buf: user pointer to room for the package
 * @buf_len: the room at @buf in bytes
 * @pkg_len: 0 on input; output: the package's size
 *
 * Copies the package of a FENCED disk to @buf. When @buf_len is smaller
 * than the package, sets @pkg_len and fails with EMSGSIZE (@buf may be 0
 * then). Errors: EINVAL when the disk is not FENCED.
 */
struct vmig_disk_export {
	__u32 size;
	__u32 flags;
	__s32 disk_fd;
	__u32 __reserved;
	__aligned_u64 buf;
	__aligned_u64 buf_len;
	__aligned_u64 pkg_len;
};

#define VMIG_DISK_EXPORT _IO(DM_VMIG_TYPE, DM_VMIG_CMD_EXPORT)

/* struct vmig_disk_import flags */
#define VMIG_DISK_IMPORT_WAIT (1U << 0)	/* wait for the reissued IO */

/* A status of struct vmig_disk_import: a cancelled read, to resubmit. */
#define VMIG_DISK_RESUBMIT 1

/**
 * struct vmig_disk_import - ioctl(VMIG_DISK_IMPORT)
 * @size: sizeof(struct vmig_disk_import)
 * @flags: VMIG_DISK_IMPORT_WAIT or 0
 * @disk_fd: the device-mapper device, open for writing
 * @nr_statuses: the room in @statuses; must be the package's descriptor
 *	count when @statuses is set
 * @buf: user pointer to the package
 * @buf_len: its length in bytes, at most VMIG_DISK_PKG_MAX
 * @statuses: user pointer to an array of __s32, one per descriptor, or 0.
 *	Needs VMIG_DISK_IMPORT_WAIT. Output: 0 for IO that succeeded (on the
 *	source or reissued here), a negative errno for IO that failed,
 *	VMIG_DISK_RESUBMIT for a cancelled read.
 * @nr_reissued: output: IO reissued
 * @nr_resubmit: output: reads the VMM must resubmit
 * @nr_failed: output: IO that failed on the source or, with
 *	VMIG_DISK_IMPORT_WAIT, when reissued
 * @__reserved: must be 0
 *
 * Checks the package, queues its IO ahead of every IO of the guest, and
 * makes an INCOMING disk RUNNING: IO of the guest is let through behind
 * the reissued IO, overlapping requests (and flushes) only once what they
 * must follow has finished. With VMIG_DISK_IMPORT_WAIT, returns when every
 * reissued IO has finished. Errors: EBADMSG for a malformed package
 * (nothing is reissued; a descriptor count that @buf_len cannot hold is
 * refused before the disk is looked at), EINVAL when the disk is not
 * INCOMING or its size differs from the package's, EXDEV when the package
 * was made for another disk (see @disk_id of struct vmig_disk_pkg; nothing
 * is reissued), EBUSY while the IO
 * of an earlier import is not done. With VMIG_DISK_IMPORT_WAIT, the wait
 * is bounded by the module parameter import_wait_s (default 60 s) and
 * ends at a signal: EINTR or ETIMEDOUT then say that the import took
 * effect (the disk is RUNNING) and its IO goes on, but that the counts and
 * @statuses are not reported; never restarted.
 */
struct vmig_disk_import {
	__u32 size;
	__u32 flags;
	__s32 disk_fd;
	__u32 nr_statuses;
	__aligned_u64 buf;
	__aligned_u64 buf_len;
	__aligned_u64 statuses;
	__u32 nr_reissued;
	__u32 nr_resubmit;
	__u32 nr_failed;
	__u32 __reserved;
};

#define VMIG_DISK_IMPORT _IO(DM_VMIG_TYPE, DM_VMIG_CMD_IMPORT)

/**
 * struct vmig_disk_ctl - ioctl(VMIG_DISK_RELEASE, VMIG_DISK_COMPLETE,
 *	VMIG_DISK_INCOMING)
 * @size: sizeof(struct vmig_disk_ctl)
 * @flags: must be 0
 * @disk_fd: the device-mapper device, open for writing
 * @__reserved: must be 0
 *
 * VMIG_DISK_RELEASE cancels a migration: a FENCED disk dispatches its held
 * IO in order and runs again; an INCOMING one lets its guest's IO through.
 * VMIG_DISK_COMPLETE ends one on the source: the held IO of a FENCED disk
 * ends with EREMOTEIO and the disk is GONE. VMIG_DISK_INCOMING makes an idle
 * RUNNING disk, or a GONE one, wait for a package. The same three are dm
 * messages (``release``, ``complete``, ``incoming``).
 */
struct vmig_disk_ctl {
	__u32 size;
	__u32 flags;
	__s32 disk_fd;
	__u32 __reserved;
};

#define VMIG_DISK_RELEASE _IO(DM_VMIG_TYPE, DM_VMIG_CMD_RELEASE)
#define VMIG_DISK_COMPLETE _IO(DM_VMIG_TYPE, DM_VMIG_CMD_COMPLETE)
#define VMIG_DISK_INCOMING _IO(DM_VMIG_TYPE, DM_VMIG_CMD_INCOMING)

#endif /* _UAPI_LINUX_DM_VMIG_H */
