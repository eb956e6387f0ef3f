/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmig: kernel support for live migration of virtual machines.
 *
 * This header is the whole userspace ABI of /dev/vmig: ioctl numbers and the
 * types they take. It holds only fixed-width types; pointers travel as __u64.
 */
#ifndef _UAPI_LINUX_VMIG_H
#define _UAPI_LINUX_VMIG_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl of /dev/vmig takes a pointer to a structure whose first member
 * is ``__u32 size``: the size of the structure as the caller knows it. The
 * kernel accepts any size from the first version of the structure upwards.
 * A caller built against an older header passes a smaller size and the
 * kernel treats the missing members as zero; a caller built against a newer
 * header passes a larger size and the kernel accepts it as long as every
 * byte it does not know is zero. Output members are written back only up to
 * the size the caller passed.
 *
 * Fields named ``__reserved`` must be zero, and so must every bit of a
 * ``flags`` member that the ioctl does not define.
 *
 * The ioctls return 0 on success, or -1 with errno set:
 *
 * - ENOTTY: the command is not a vmig ioctl.
 * - EFAULT: the argument pointer, or a pointer inside the structure, is not
 *   a valid user address.
 * - EINVAL: ``size`` is below the first version of the structure, a
 *   ``__reserved`` field is not zero, or a value is out of range.
 * - E2BIG: ``size`` is larger than the kernel knows and the extra bytes are
 *   not all zero: the caller asks for something this kernel does not have.
 * - EOPNOTSUPP: a ``flags`` bit the ioctl does not define is set.
 * - ENOMEM: the kernel could not allocate memory.
 *
 * Individual ioctls document further errors.
 */

/* The ioctl type (magic). 0xBA is unassigned in ioctl-number.rst as of 6.12. */
#define VMIG_TYPE 0xBA

/* Bumped on any incompatible change to this header. */
#define VMIG_API_VERSION 1

/*
 * Command numbers. Those below VMIG_VM_CMD_BASE are ioctls of /dev/vmig;
 * those from VMIG_VM_CMD_BASE on are ioctls of a VM file descriptor.
 */
enum {
	VMIG_CMD_BASE = 0x00,
	VMIG_CMD_GET_API_VERSION = VMIG_CMD_BASE,
	VMIG_CMD_VM_CREATE,
	VMIG_CMD_VM_OPEN,
	VMIG_CMD_VM_DESTROY,
	VMIG_CMD_VM_LIST,

	VMIG_VM_CMD_BASE = 0x20,
	VMIG_CMD_VM_GET_INFO = VMIG_VM_CMD_BASE,
	VMIG_CMD_TRACK_START,
	VMIG_CMD_TRACK_STOP,
	VMIG_CMD_DIRTY_HARVEST,
	VMIG_CMD_VM_GET_STATS,
	VMIG_CMD_MIG_START,
	VMIG_CMD_MIG_ADD_STREAM,
	VMIG_CMD_MIG_STATUS,
	VMIG_CMD_MIG_SWITCHOVER,
	VMIG_CMD_MIG_GET_BLOB,
	VMIG_CMD_MIG_CANCEL,
};

/**
 * struct vmig_api_version - ioctl(VMIG_GET_API_VERSION)
 * @size: sizeof(struct vmig_api_version)
 * @flags: must be 0
 * @api_version: output: the module's VMIG_API_VERSION
 * @__reserved: must be 0
 * @features: output: a mask of VMIG_FEATURE_* bits the module supports
 *
 * Tells userspace which ABI the loaded module speaks. A tool compares
 * @api_version with the VMIG_API_VERSION it was built with and refuses to
 * go on when they differ; @features lets it find optional capabilities
 * without probing. No bits are defined yet.
 */
struct vmig_api_version {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 __reserved;
	__aligned_u64 features;
};

#define VMIG_GET_API_VERSION _IO(VMIG_TYPE, VMIG_CMD_GET_API_VERSION)

/**
 * DOC: VMs and their memory
 *
 * A VM is a named memory object: guest RAM of a fixed number of pages that
 * a VMM maps with mmap(MAP_SHARED) from the VM's file descriptor. Names are
 * 1 to VMIG_NAME_MAX - 1 characters from [A-Za-z0-9._-], NUL-terminated
 * and NUL-padded, unique among the VMs of an IPC namespace, so that migctl
 * can find a VM that a VMM created. Like a device-mapper device, a VM stays
 * until it is destroyed by name (VMIG_VM_DESTROY); its memory is freed
 * when, after that, the last file descriptor and the last mapping of it are
 * gone.
 *
 * Privileges: opening /dev/vmig is what its file mode allows (0600, root's,
 * unless the administrator grants more). The holder of a VM's file
 * descriptor may do everything to that VM and needs nothing more, as with
 * a KVM VM descriptor. A name is only visible in the IPC namespace of the
 * VM's creator, as a System V shared memory key is: a container with an IPC
 * namespace of its own neither sees nor collides with another's VMs. There,
 * reaching a VM by name (VMIG_VM_OPEN, VMIG_VM_DESTROY, VMIG_VM_LIST) needs
 * the creator's effective uid or CAP_SYS_ADMIN in the user namespace that
 * owns the IPC namespace; a VM the caller may not reach is not listed, and
 * naming it fails with EACCES.
 *
 * The memory reads as zeroes until written. A mapping must be MAP_SHARED
 * and lie within the object (offset and length in whole pages); it is not
 * inherited across fork() (unless madvise(MADV_DOFORK) asks for it), and
 * cannot grow with mremap(). mprotect() may only take write permission
 * away: any other change of a writable mapping, and giving write
 * permission back, fail with EACCES. Map it PROT_WRITE from the start.
 *
 * The VM's file descriptor takes the VMIG_VM_* ioctls below, and fstat()
 * reports the memory size.
 */
#define VMIG_NAME_MAX 32

/* The largest VM: 64 GiB of 4 KiB pages. */
#define VMIG_VM_MAX_PAGES (1ULL << 24)

/**
 * struct vmig_vm_create - ioctl(VMIG_VM_CREATE)
 * @size: sizeof(struct vmig_vm_create)
 * @flags: must be 0
 * @nr_pages: memory size in pages, 1 to VMIG_VM_MAX_PAGES
 * @name: the VM's name, see "VMs and their memory"
 * @out_fd: output: a new file descriptor of the VM (O_RDWR, O_CLOEXEC)
 * @__reserved: must be 0
 *
 * Creates a VM, owned by the caller's effective uid and named in its IPC
 * namespace. Errors: EINVAL for a bad name or size, EEXIST when a VM of
 * that name exists there, ENOMEM, EMFILE.
 */
struct vmig_vm_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 nr_pages;
	char name[VMIG_NAME_MAX];
	__s32 out_fd;
	__u32 __reserved;
};

#define VMIG_VM_CREATE _IO(VMIG_TYPE, VMIG_CMD_VM_CREATE)

/**
 * struct vmig_vm_open - ioctl(VMIG_VM_OPEN)
 * @size: sizeof(struct vmig_vm_open)
 * @flags: must be 0
 * @name: the VM's name
 * @out_fd: output: a new file descriptor of the VM (O_RDWR, O_CLOEXEC)
 * @__reserved: must be 0
 *
 * Opens an existing VM by name. Errors: EINVAL for a malformed name, ENOENT
 * when no VM of the caller's IPC namespace has that name, EACCES when the
 * caller is neither its creator nor privileged (see "VMs and their
 * memory"), EMFILE.
 */
struct vmig_vm_open {
	__u32 size;
	__u32 flags;
	char name[VMIG_NAME_MAX];
	__s32 out_fd;
	__u32 __reserved;
};

#define VMIG_VM_OPEN _IO(VMIG_TYPE, VMIG_CMD_VM_OPEN)

/**
 * struct vmig_vm_destroy - ioctl(VMIG_VM_DESTROY)
 * @size: sizeof(struct vmig_vm_destroy)
 * @flags: must be 0
 * @name: the VM's name
 *
 * Removes the VM's name: it can no longer be opened or listed, and its
 * memory is freed once no file descriptor or mapping of it is left.
 * Errors: EINVAL for a malformed name, ENOENT when no VM of the caller's IPC
 * namespace has that name, EACCES when the caller is neither its creator
 * nor privileged, EBUSY while a migration session of the VM runs.
 */
struct vmig_vm_destroy {
	__u32 size;
	__u32 flags;
	char name[VMIG_NAME_MAX];
};

#define VMIG_VM_DESTROY _IO(VMIG_TYPE, VMIG_CMD_VM_DESTROY)

/**
 * struct vmig_vm_entry - one VM in the answer of VMIG_VM_LIST
 * @name: the VM's name
 * @nr_pages: its memory size in pages
 * @group_pages: its tracking group size, 0 when not tracking; with
 *	automatic group sizes, the granularity of harvests (VMIG_GROUP_PAGES_MAX)
 * @flags: VMIG_VM_TRACK_AUTO when tracking picks group sizes itself
 */
struct vmig_vm_entry {
	char name[VMIG_NAME_MAX];
	__aligned_u64 nr_pages;
	__u32 group_pages;
	__u32 flags;
};

/* struct vmig_vm_entry flags */
#define VMIG_VM_TRACK_AUTO (1U << 0)

/**
 * struct vmig_vm_list - ioctl(VMIG_VM_LIST)
 * @size: sizeof(struct vmig_vm_list)
 * @flags: must be 0
 * @nr_entries: input: room in @entries, in entries; output: the number of
 *	VMs the caller may reach by name
 * @__reserved: must be 0
 * @entries: user pointer to an array of struct vmig_vm_entry
 *
 * Lists the VMs the caller may reach by name (its IPC namespace's, and of
 * those its own unless it is privileged), sorted by name. When there are
 * more than @nr_entries, the first @nr_entries are written, @nr_entries is
 * set to the total and the call fails with EMSGSIZE: call again with more
 * room. @entries may be 0
 * when @nr_entries is 0, to ask for the count.
 */
struct vmig_vm_list {
	__u32 size;
	__u32 flags;
	__u32 nr_entries;
	__u32 __reserved;
	__aligned_u64 entries;
};

#define VMIG_VM_LIST _IO(VMIG_TYPE, VMIG_CMD_VM_LIST)

/**
 * struct vmig_vm_info - ioctl(VMIG_VM_GET_INFO), on a VM file descriptor
 * @size: sizeof(struct vmig_vm_info)
 * @flags: must be 0
 * @entry: output: the VM's name, size and tracking state
 */
struct vmig_vm_info {
	__u32 size;
	__u32 flags;
	struct vmig_vm_entry entry;
};

#define VMIG_VM_GET_INFO _IO(VMIG_TYPE, VMIG_CMD_VM_GET_INFO)

/**
 * DOC: Write tracking
 *
 * While tracking runs, the VM's pages are grouped into aligned groups of
 * ``group_pages`` pages (group g holds pages g * group_pages to
 * (g + 1) * group_pages - 1 of the object, whatever the address they are
 * mapped at). Every mapping of the memory is write-protected. The first
 * write to a page of a clean group, by any means (a CPU store through any
 * mapping, get_user_pages() for O_DIRECT or io_uring, KVM), takes one fault:
 * vmig makes the group's pages writable in that mapping at once, so further
 * writes to the group cost nothing, and marks dirty every page it made
 * writable. The dirty log is kept per page.
 *
 * With ``group_pages`` = VMIG_GROUP_AUTO, vmig picks the group size of each
 * region of VMIG_GROUP_PAGES_MAX pages itself, among 1, 16, 64 and 512
 * pages, from the locality of the writes each harvest reports: large groups
 * where writes run sequentially, small ones where they scatter, so as to
 * minimise the cost of the faults plus that of the extra pages reported
 * (a fault is taken to cost as much as sending ``auto_fault_cost`` pages, a
 * module parameter, default 16). Harvest ranges and VMIG_HARVEST_GROUPS
 * then use groups of VMIG_GROUP_PAGES_MAX pages.
 *
 * VMIG_DIRTY_HARVEST returns the dirty groups of a range and write-protects
 * them again, atomically with respect to writers: every write that lands
 * after a harvest returns is reported by a later harvest. A write that lands
 * while the harvest runs is either reported by it, and is then visible in
 * the memory when the harvest returns, or reported by a later one. Pages
 * that someone holds a reference to when a harvest runs (pinned for DMA,
 * or taken by get_user_pages() for /proc/pid/mem, ptrace or KVM) are
 * reported by it and stay dirty for the next one, since they may still be
 * written through the kernel's mapping, without a fault.
 *
 * The first harvest after VMIG_TRACK_START reports every page.
 */

/* The largest tracking group, in pages: 2 MiB of 4 KiB pages. */
#define VMIG_GROUP_PAGES_MAX 512

/* group_pages for VMIG_TRACK_START: let vmig pick, per region. */
#define VMIG_GROUP_AUTO 0

/**
 * struct vmig_track_start - ioctl(VMIG_TRACK_START), on a VM file descriptor
 * @size: sizeof(struct vmig_track_start)
 * @flags: must be 0
 * @group_pages: the group size in pages: a power of two, 1 to
 *	VMIG_GROUP_PAGES_MAX, or VMIG_GROUP_AUTO
 * @__reserved: must be 0
 *
 * Starts write tracking. Errors: EINVAL for a bad group size, EBUSY when
 * tracking already runs or an incoming migration session has not ended
 * (it writes the memory where no write faults: tracking would miss it),
 * ENOMEM.
 */
struct vmig_track_start {
	__u32 size;
	__u32 flags;
	__u32 group_pages;
	__u32 __reserved;
};

#define VMIG_TRACK_START _IO(VMIG_TYPE, VMIG_CMD_TRACK_START)

/**
 * struct vmig_track_stop - ioctl(VMIG_TRACK_STOP), on a VM file descriptor
 * @size: sizeof(struct vmig_track_stop)
 * @flags: must be 0
 *
 * Stops write tracking and forgets the dirty log. Errors: ENOENT when
 * tracking does not run.
 */
struct vmig_track_stop {
	__u32 size;
	__u32 flags;
};

#define VMIG_TRACK_STOP _IO(VMIG_TYPE, VMIG_CMD_TRACK_STOP)

/* struct vmig_dirty_harvest flags */
#define VMIG_HARVEST_GROUPS (1U << 0)

/**
 * struct vmig_dirty_harvest - ioctl(VMIG_DIRTY_HARVEST), on a VM fd
 * @size: sizeof(struct vmig_dirty_harvest)
 * @flags: VMIG_HARVEST_GROUPS for one bit per group, else one bit per page
 * @first_page: the first page of the range, a multiple of the group size
 * @nr_pages: the number of pages in the range: a multiple of the group size,
 *	or reaching exactly the end of the memory
 * @bitmap: user pointer to the bitmap: an array of __u64, bit i of the
 *	range in bit (i % 64) of word i / 64, as many words as the range
 *	needs; bits past the range in the last word are written as 0
 * @nr_dirty: output: the number of bits set
 *
 * Gets and clears the dirty log of a range and write-protects what it
 * returns (see "Write tracking"). With one bit per page, the pages a write
 * fault made writable are reported; with one bit per group, the groups
 * holding such a page. Errors: ENOENT when tracking does not run,
 * EINVAL for a misaligned or out-of-range range, EFAULT when @bitmap
 * cannot be written (the dirty log is then left as it was), EOPNOTSUPP for
 * unknown @flags.
 */
struct vmig_dirty_harvest {
	__u32 size;
	__u32 flags;
	__aligned_u64 first_page;
	__aligned_u64 nr_pages;
	__aligned_u64 bitmap;
	__aligned_u64 nr_dirty;
};

#define VMIG_DIRTY_HARVEST _IO(VMIG_TYPE, VMIG_CMD_DIRTY_HARVEST)

/**
 * struct vmig_vm_stats - ioctl(VMIG_VM_GET_STATS), on a VM file descriptor
 * @size: sizeof(struct vmig_vm_stats)
 * @flags: must be 0
 * @write_faults: write faults taken while tracking (each makes one group
 *	writable in one mapping)
 * @groups_dirtied: write faults that found their group clean
 * @pages_reported: pages reported dirty by harvests
 * @pinned_pages: pages reported because someone held a reference to them
 *	(a DMA pin, or a get_user_pages() reference)
 * @harvests: harvest calls that succeeded
 * @harvest_ns: time spent in them, in nanoseconds
 * @pages_present: pages of memory allocated so far (the rest reads as 0)
 *
 * Counters since the VM was created, whether or not tracking runs now.
 */
struct vmig_vm_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 write_faults;
	__aligned_u64 groups_dirtied;
	__aligned_u64 pages_reported;
	__aligned_u64 pinned_pages;
	__aligned_u64 harvests;
	__aligned_u64 harvest_ns;
	__aligned_u64 pages_present;
};

#define VMIG_VM_GET_STATS _IO(VMIG_TYPE, VMIG_CMD_VM_GET_STATS)

/**
 * DOC: Migration sessions
 *
 * A migration session moves a VM's memory to a VM of the same size on
 * another host, over one or more connected stream sockets (TCP, or any
 * SOCK_STREAM socket) that userspace creates, connects and hands over. The
 * kernel's own threads then do all the work: on the source they harvest
 * the dirty log, read, compress and send pages; on the target they receive,
 * check, decompress and write them into the VM's memory. The sockets keep
 * their network namespace and the socket options set before the hand-over
 * (kTLS included: install the "tls" ULP and keys first, and the session's
 * traffic is encrypted), but for their send and receive timeouts, which
 * the session sets so that every record moves whole within the module
 * parameter stream_timeout_s. The stream's format is drawn in
 * <linux/vmig_wire.h>.
 *
 * A VM has at most one session at a time. The source session starts write
 * tracking itself (VMIG_TRACK_START must not be running) and sends rounds:
 * round 0 is every page, each next round the pages written since the last.
 * After each round it estimates the dirty rate and the link's throughput;
 * when the pages left could be sent within ``downtime_ms`` it enters
 * VMIG_MIG_STATE_READY, and when ``max_rounds`` rounds (or
 * ``max_precopy_ms``) pass without that, VMIG_MIG_STATE_STALLED. It keeps
 * sending rounds in both states, so that the dirty set stays small.
 *
 * Switchover: the VMM, told by poll() (the VM file descriptor becomes
 * readable on every state change, see VMIG_MIG_STATUS_ACK), stops
 * its vCPUs and device models, then calls VMIG_MIG_SWITCHOVER with its
 * opaque device state (the blob). From READY this is the normal path; from
 * ACTIVE or STALLED it forces the switchover at whatever downtime it costs.
 * While a source session runs, the session owns write tracking:
 * VMIG_TRACK_START, VMIG_TRACK_STOP and VMIG_DIRTY_HARVEST fail with EBUSY.
 * The session sends the last dirty pages, the blob and a digest of the
 * memory; the target checks the digest, acknowledges, and both sessions
 * enter VMIG_MIG_STATE_DONE. The target VMM then reads the blob with
 * VMIG_MIG_GET_BLOB and resumes the guest. The downtime reported is the
 * time from VMIG_MIG_SWITCHOVER to the target's acknowledgment.
 *
 * VMIG_MIG_CANCEL, on either side and in any state before DONE, ends the
 * session: the source stops tracking and its VM goes on as if nothing
 * happened; the target forgets what it received (its memory reads as zero
 * again). A session that fails (a peer that closes, sends something
 * malformed, or disagrees on the digest) ends in VMIG_MIG_STATE_FAILED
 * with an errno in the status, and cleans up in the same way.
 *
 * A session that ended (DONE, FAILED, CANCELLED) keeps its status until the
 * next VMIG_MIG_START on the VM. A VM whose session runs cannot be
 * destroyed (VMIG_VM_DESTROY fails with EBUSY).
 *
 * Errors a session ends with (struct vmig_mig_status @error): EBADMSG for
 * a record that fails its checks (CRC, length, encoding, page index),
 * EPROTO for a record out of place or a handshake the target cannot
 * accept (version, page size, parameters), EMSGSIZE for memory sizes that
 * differ, ECONNRESET when the peer closed or reset the connection,
 * ETIMEDOUT when a record took too long to move whole (the module
 * parameter stream_timeout_s, default 60 s), when the switchover took
 * longer than switchover_timeout_s (default 120 s) or when a target saw
 * more than max_rounds_in rounds (default 10000), EIO when the memory
 * digests differ, ENOMEM. A peer that cancels closes its streams: the other side
 * fails with ECONNRESET.
 *
 * Over kernel TLS (a stream socket with the "tls" ULP and its keys set,
 * handed over after the handshake): ECONNRESET also for the peer's
 * close_notify alert, ECONNABORTED for any other alert, EPROTO for a
 * handshake record after the handshake (a key update or a session ticket:
 * kTLS in 6.12 cannot take them), EMSGSIZE when a stream would carry more
 * than 2^38 bytes (256 GiB) one way, what one TLS 1.3 AES-GCM key may
 * safely encrypt; the kernel log names the alert.
 */

/* The states of a session, struct vmig_mig_status @state. */
enum {
	VMIG_MIG_STATE_NONE = 0,	/* never reported: STATUS fails, ENOENT */
	VMIG_MIG_STATE_CONNECTING,	/* target: waiting for all its streams */
	VMIG_MIG_STATE_ACTIVE,		/* pre-copy rounds */
	VMIG_MIG_STATE_READY,		/* converged: waiting for the switchover */
	VMIG_MIG_STATE_STALLED,		/* cannot converge: force it or cancel */
	VMIG_MIG_STATE_SWITCHOVER,	/* the final round, the blob, the digest */
	VMIG_MIG_STATE_DONE,
	VMIG_MIG_STATE_FAILED,
	VMIG_MIG_STATE_CANCELLED,
};

/* Compression, struct vmig_mig_start @compress. */
enum {
	VMIG_COMPRESS_AUTO = 0,	/* raw, LZ4 or zstd: what moves pages fastest */
	VMIG_COMPRESS_NONE,	/* zero pages as markers, the rest raw */
	VMIG_COMPRESS_LZ4,	/* every run of pages that LZ4 shrinks */
	VMIG_COMPRESS_ZSTD,	/* every run of pages that zstd shrinks */
};

/* The zstd level of struct vmig_mig_start @compress_level 0. */
#define VMIG_ZSTD_LEVEL_DEFAULT 1

/* The most streams of one session. */
#define VMIG_MIG_MAX_STREAMS 16

/* The largest device-state blob: 64 MiB. */
#define VMIG_BLOB_MAX (64U << 20)

/* struct vmig_mig_start flags */
#define VMIG_MIG_INCOMING (1U << 0)	/* this is the target */
#define VMIG_MIG_VERIFY (1U << 1)	/* digest the memory itself, see below */

/**
 * struct vmig_mig_start - ioctl(VMIG_MIG_START), on a VM file descriptor
 * @size: sizeof(struct vmig_mig_start)
 * @flags: VMIG_MIG_INCOMING on the target; VMIG_MIG_VERIFY (source) to
 *	have both sides compute the switchover digest over their memory
 *	itself, rather than over the checksums of the pages sent: a proof,
 *	independent of the dirty log, that the target's memory equals the
 *	source's at the pause, at the cost of reading all memory during the
 *	downtime
 * @nr_fds: the number of descriptors in @fds, 1 to VMIG_MIG_MAX_STREAMS;
 *	on the source, the number of streams; on the target, the streams
 *	accepted so far (add the others with VMIG_MIG_ADD_STREAM)
 * @fds: user pointer to an array of __s32: connected stream sockets. The
 *	session takes its own references; the caller may close them.
 * @compress: source: a VMIG_COMPRESS_* value; target: 0
 * @compress_level: source, with VMIG_COMPRESS_ZSTD or VMIG_COMPRESS_AUTO:
 *	zstd's level, from zstd's least (negative: faster) to its greatest
 *	(22), 0 for VMIG_ZSTD_LEVEL_DEFAULT; else 0
 * @group_pages: source: the tracking group size, as for VMIG_TRACK_START;
 *	target: 0
 * @downtime_ms: source: the longest acceptable downtime, 0 for the default
 *	(300 ms)
 * @max_rounds: source: rounds before the session declares it cannot
 *	converge, 0 for the default (30)
 * @max_precopy_ms: source: time before it does, 0 for no limit
 * @max_bandwidth: source: a cap on the bytes per second it sends over all
 *	streams, 0 for none
 * @__reserved: must be 0
 *
 * Starts a session on the VM. Errors: EBUSY when a session runs on the VM
 * or write tracking runs (on a target too: the session's writes would
 * escape it), EINVAL for a bad value, a field that
 * must be 0 on the target, or a descriptor repeated, EBADF for a
 * descriptor that is not open, ENOTSOCK for one that is not a socket,
 * EPROTOTYPE for a socket that is not a connected SOCK_STREAM socket,
 * EPROTONOSUPPORT for one that is not TCP or MPTCP over IPv4 or IPv6
 * (AF_UNIX included), ENOMEM.
 */
struct vmig_mig_start {
	__u32 size;
	__u32 flags;
	__u32 nr_fds;
	__u32 compress;
	__aligned_u64 fds;
	__u32 group_pages;
	__u32 downtime_ms;
	__u32 max_rounds;
	__u32 max_precopy_ms;
	__aligned_u64 max_bandwidth;
	__s32 compress_level;
	__u32 __reserved;
};

#define VMIG_MIG_START _IO(VMIG_TYPE, VMIG_CMD_MIG_START)

/**
 * struct vmig_mig_add_stream - ioctl(VMIG_MIG_ADD_STREAM), on a VM fd
 * @size: sizeof(struct vmig_mig_add_stream)
 * @flags: must be 0
 * @fd: a connected stream socket, accepted from the source
 * @__reserved: must be 0
 *
 * Target only: hands over one more of the source's streams. The first
 * record of every stream tells how many streams the session has
 * (struct vmig_mig_status @nr_streams); the target stays in
 * VMIG_MIG_STATE_CONNECTING until they are all there. Errors: ENOENT when no
 * session runs or it is ending (the socket is not kept), EINVAL when it is
 * not an incoming session in VMIG_MIG_STATE_CONNECTING, ENOSPC when it has
 * all its streams, and the socket errors of VMIG_MIG_START.
 */
struct vmig_mig_add_stream {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 __reserved;
};

#define VMIG_MIG_ADD_STREAM _IO(VMIG_TYPE, VMIG_CMD_MIG_ADD_STREAM)

/* struct vmig_mig_status flags */
#define VMIG_MIG_STATUS_ACK (1U << 0)	/* poll() waits for the next event */

/* struct vmig_mig_status info */
#define VMIG_MIG_INFO_INCOMING (1U << 0)	/* the target */
#define VMIG_MIG_INFO_LZ4 (1U << 1)	/* stream 0 compresses with LZ4 now */
#define VMIG_MIG_INFO_VERIFY (1U << 2)	/* the digest reads the memory */
#define VMIG_MIG_INFO_ZSTD (1U << 3)	/* stream 0 compresses with zstd now */

/**
 * struct vmig_mig_status - ioctl(VMIG_MIG_STATUS), on a VM file descriptor
 * @size: sizeof(struct vmig_mig_status)
 * @flags: VMIG_MIG_STATUS_ACK to acknowledge the state changes so far:
 *	poll() on the VM's file descriptor reports readable while a state
 *	change is not acknowledged. The program that drives the session
 *	acknowledges; onlookers (migctl status) do not.
 * @info: output: VMIG_MIG_INFO_* bits
 * @state: a VMIG_MIG_* state
 * @error: in VMIG_MIG_STATE_FAILED, the errno the session failed with
 * @round: source: the round being sent; target: the rounds received
 *	completely (once done, one more than the source's last round)
 * @nr_streams: the session's streams
 * @streams_attached: the streams handed over so far
 * @pages_total: the VM's memory, in pages
 * @pages_sent: pages sent (source) or received (target), re-sent pages
 *	counted each time
 * @pages_remaining: source: while a round is sent, the pages of its
 *	harvest not sent yet; between rounds, the pages dirty since (what
 *	the next round would send); 0 once done
 * @zero_pages: pages sent as zero markers
 * @lz4_pages: pages sent compressed with LZ4
 * @raw_pages: pages sent raw
 * @bytes_wire: bytes sent and received on all streams, headers included
 * @dirty_rate: source: pages dirtied per second, as the last rounds saw it
 * @link_rate: source: bytes per second the streams carried, over the
 *	rounds so far (their harvests included)
 * @expected_downtime_ms: source: how long a switchover now would take
 * @total_ms: time since the session started, frozen when it ends
 * @downtime_ms: once done: the time from VMIG_MIG_SWITCHOVER to the
 *	target's acknowledgment (source); from the start of the final round's
 *	reception to the end (target)
 * @blob_len: the device-state blob's size, once known
 * @events: state changes so far
 * @zstd_pages: pages sent compressed with zstd
 *
 * The compression ratio is @pages_sent * page size / @bytes_wire. Errors:
 * ENOENT when the VM never had a session, EOPNOTSUPP for unknown @flags.
 */
struct vmig_mig_status {
	__u32 size;
	__u32 flags;
	__u32 info;
	__u32 state;
	__u32 error;
	__u32 round;
	__u32 nr_streams;
	__u32 streams_attached;
	__aligned_u64 pages_total;
	__aligned_u64 pages_sent;
	__aligned_u64 pages_remaining;
	__aligned_u64 zero_pages;
	__aligned_u64 lz4_pages;
	__aligned_u64 raw_pages;
	__aligned_u64 bytes_wire;
	__aligned_u64 dirty_rate;
	__aligned_u64 link_rate;
	__aligned_u64 expected_downtime_ms;
	__aligned_u64 total_ms;
	__aligned_u64 downtime_ms;
	__aligned_u64 blob_len;
	__aligned_u64 events;
	__aligned_u64 zstd_pages;
};

#define VMIG_MIG_STATUS _IO(VMIG_TYPE, VMIG_CMD_MIG_STATUS)

/**
 * struct vmig_mig_switchover - ioctl(VMIG_MIG_SWITCHOVER), on a VM fd
 * @size: sizeof(struct vmig_mig_switchover)
 * @flags: must be 0
 * @blob: user pointer to the device state, copied before the call returns
 * @blob_len: its length, 0 to VMIG_BLOB_MAX
 *
 * Source only: the VMM has stopped the guest; send the rest and finish.
 * Returns at once; the session reports VMIG_MIG_STATE_DONE or
 * VMIG_MIG_STATE_FAILED.
 * Errors: ENOENT when no session runs, EINVAL on the target or in a state
 * other than ACTIVE, READY or STALLED, E2BIG for a blob over VMIG_BLOB_MAX.
 */
struct vmig_mig_switchover {
	__u32 size;
	__u32 flags;
	__aligned_u64 blob;
	__aligned_u64 blob_len;
};

#define VMIG_MIG_SWITCHOVER _IO(VMIG_TYPE, VMIG_CMD_MIG_SWITCHOVER)

/**
 * struct vmig_mig_get_blob - ioctl(VMIG_MIG_GET_BLOB), on a VM fd
 * @size: sizeof(struct vmig_mig_get_blob)
 * @flags: must be 0
 * @buf: user pointer to room for the blob
 * @buf_len: input: the room at @buf; output: the blob's length
 *
 * Target only, once VMIG_MIG_STATE_DONE: copies the device-state blob out.
 * Errors: ENOENT when no session is done, EMSGSIZE when @buf_len is too
 * small (@buf_len is then set to the length needed).
 */
struct vmig_mig_get_blob {
	__u32 size;
	__u32 flags;
	__aligned_u64 buf;
	__aligned_u64 buf_len;
};

#define VMIG_MIG_GET_BLOB _IO(VMIG_TYPE, VMIG_CMD_MIG_GET_BLOB)

/**
 * struct vmig_mig_cancel - ioctl(VMIG_MIG_CANCEL), on a VM file descriptor
 * @size: sizeof(struct vmig_mig_cancel)
 * @flags: must be 0
 *
 * Ends the session, see "Migration sessions"; the call returns once its
 * threads have stopped. Errors: ENOENT when no session runs (none was
 * started, or it ended already); EBUSY on a source that has sent the END
 * of its switchover: the target may have taken the VM already, so the
 * session ends as the target's acknowledgment says (done, or failed).
 */
struct vmig_mig_cancel {
	__u32 size;
	__u32 flags;
};

#define VMIG_MIG_CANCEL _IO(VMIG_TYPE, VMIG_CMD_MIG_CANCEL)

#endif /* _UAPI_LINUX_VMIG_H */
