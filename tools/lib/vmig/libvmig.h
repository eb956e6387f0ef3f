/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig: vmig's userspace library, for migctl, vmig-guest, the selftests
 * and the benchmarks (and any VMM). This is its one public header. Build
 * the static library with 'make -C tools/lib/vmig O=DIR' (DIR/libvmig.a),
 * compile with -I tools/lib -I include/uapi, include it as
 *
 *	#include <vmig/libvmig.h>
 *
 * and link DIR/libvmig.a -lisal; tools/lib/vmig/libvmig.mk does all of
 * that for a Makefile. Its parts, one file each:
 *
 *   vm.c    /dev/vmig and VM descriptors: VMs, write tracking, harvests
 *   mig.c   migration sessions on a VM descriptor
 *   disk.c  dm-vmig: /dev/dm-vmig and the disks it names by descriptor
 *   pkg.c   the hand-off package: size, seal, check, walk
 *   crc.c   CRC32C (ISA-L's crc32_iscsi)
 *   net.c   TCP: split HOST:PORT, connect, listen, accept
 *
 * Every function returns 0, a count or a descriptor on success and a
 * negative errno on failure, and prints nothing, except the net.c ones,
 * which say on stderr why a name did not resolve or a connection failed,
 * prefixed with the program's name. The library keeps no state.
 */
#ifndef _LIBVMIG_H
#define _LIBVMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/vmig.h>
#include <linux/dm-vmig.h>

/* The page size of vmig's VMs, and of every page userspace counts. */
#define VMIG_PAGE_SIZE 4096UL

#define VMIG_DEV_PATH "/dev/vmig"
#define DM_VMIG_DEV_PATH "/dev/dm-vmig"

/* vm.c: /dev/vmig and VM descriptors. */

/* ioctl(@fd, @cmd, @arg): 0 or -errno. */
int vmig_ioctl(int fd, unsigned long cmd, void *arg);
/* Open /dev/vmig; returns its descriptor. */
int vmig_open_dev(void);
/* Copy @name into a NUL-padded name field; -EINVAL when too long. */
int vmig_set_name(char dst[VMIG_NAME_MAX], const char *name);
/* Create VM @name of @nr_pages pages; returns its descriptor. */
int vmig_vm_create(int devfd, const char *name, __u64 nr_pages);
/* Open VM @name; returns its descriptor. */
int vmig_vm_open(int devfd, const char *name);
int vmig_vm_destroy(int devfd, const char *name);
/*
 * List the VMs into a malloc()ed array the caller frees; returns the
 * number of entries.
 */
int vmig_vm_list(int devfd, struct vmig_vm_entry **entries);
int vmig_vm_info(int vmfd, struct vmig_vm_entry *entry);
int vmig_vm_stats(int vmfd, struct vmig_vm_stats *stats);
int vmig_track_start(int vmfd, __u32 group_pages);
int vmig_track_stop(int vmfd);
/*
 * Harvest @nr_pages pages from @first_page into @bitmap (one bit a page,
 * or a group with VMIG_HARVEST_GROUPS in @flags); returns the number of
 * bits set.
 */
__s64 vmig_harvest(int vmfd, __u64 first_page, __u64 nr_pages, __u32 flags,
		   __u64 *bitmap);

static inline bool vmig_test_bit(const __u64 *bitmap, __u64 bit)
{
	return (bitmap[bit / 64] >> (bit % 64)) & 1;
}

/* mig.c: migration sessions, see "Migration sessions" in <linux/vmig.h>. */

/*
 * Start a session; @start->size is filled in. @fds (nr_fds of them) are
 * connected stream sockets; the caller may close them afterwards.
 */
int vmig_mig_start(int vmfd, struct vmig_mig_start *start, const int *fds,
		   __u32 nr_fds);
int vmig_mig_add_stream(int vmfd, int fd);
/* With @ack, poll() on @vmfd waits for the next state change. */
int vmig_mig_status(int vmfd, struct vmig_mig_status *st, bool ack);
int vmig_mig_switchover(int vmfd, const void *blob, __u64 blob_len);
/*
 * Copy the blob into @buf; returns its length (-EMSGSIZE: too long, then
 * *@needed, when set, is its length).
 */
__s64 vmig_mig_get_blob(int vmfd, void *buf, __u64 len, __u64 *needed);
int vmig_mig_cancel(int vmfd);
/* "none", "connecting", ... "cancelled"; "?" for an unknown state. */
const char *vmig_mig_state_name(__u32 state);

/* Whether a session in @state has ended (done, failed or cancelled). */
static inline bool vmig_mig_ended(__u32 state)
{
	return state >= VMIG_MIG_STATE_DONE;
}

/*
 * disk.c: dm-vmig's control node and its ioctls. A disk is named by an
 * open descriptor of its device-mapper device: the ioctls that change a
 * filter's state need it open for writing.
 */

/* Open /dev/dm-vmig; returns its descriptor. */
int vmig_dm_open_ctl(void);
/*
 * Open the device-mapper device @disk: a path when it has a '/', else
 * /dev/mapper/@disk. vmig_dm_open_disk() opens it for reading and
 * writing, vmig_dm_open_disk_ro() for reading (info and export). Returns
 * the descriptor; -ENOTBLK when it is not a block device.
 */
int vmig_dm_open_disk(const char *disk);
int vmig_dm_open_disk_ro(const char *disk);
/* The device's name (/sys/dev/block/M:N/dm/name) into @name, or -errno. */
int vmig_dm_name(int diskfd, char *name, size_t len);

int vmig_disk_info(int ctlfd, int diskfd, struct vmig_disk_info *info);
int vmig_disk_handoff(int ctlfd, int diskfd, __u32 mode, __u32 timeout_ms,
		      struct vmig_disk_handoff *h);
/* Export the package into a malloc()ed buffer; returns its length. */
ssize_t vmig_disk_export(int ctlfd, int diskfd, void **pkg);
/*
 * Import the package @pkg of @len bytes. @statuses (or NULL) has
 * @nr_statuses entries, one per descriptor, and needs
 * VMIG_DISK_IMPORT_WAIT in @flags.
 */
int vmig_disk_import(int ctlfd, int diskfd, const void *pkg, size_t len,
		     __u32 flags, __s32 *statuses, __u32 nr_statuses,
		     struct vmig_disk_import *imp);
/* @cmd: VMIG_DISK_RELEASE, VMIG_DISK_COMPLETE or VMIG_DISK_INCOMING. */
int vmig_disk_ctl(int ctlfd, unsigned long cmd, int diskfd);
int vmig_disk_release(int ctlfd, int diskfd);
int vmig_disk_complete(int ctlfd, int diskfd);
int vmig_disk_incoming(int ctlfd, int diskfd);
/* "running", "handoff", "fenced", "gone", "incoming"; "?" otherwise. */
const char *vmig_disk_state_name(__u32 state);

/*
 * pkg.c: the hand-off package (<linux/dm-vmig.h>, "Hand-off package").
 * vmig_disk_pkg_check() checks what the kernel's import checks, against
 * the disk size the header gives: after it, every descriptor and its data
 * are inside the package and may be read with the accessors.
 */

/* The size of a package, or SIZE_MAX when it overflows. */
size_t vmig_disk_pkg_size(__u32 nr_descs, __u64 data_len);
/* The package's CRC (computed, with @crc taken as zero). @len >= 64. */
__u32 vmig_disk_pkg_crc(const void *pkg, size_t len);
/* Set the CRC of a package whose header and descriptors are filled in. */
void vmig_disk_pkg_seal(void *pkg, size_t len);
/*
 * Check an untrusted package: header, sizes, CRC, every descriptor, the
 * order of the descriptors and that their data lies back to back.
 * Returns the number of descriptors, or -EBADMSG.
 */
int vmig_disk_pkg_check(const void *pkg, size_t len);

/* Descriptor @i of a checked package. */
const struct vmig_disk_desc *vmig_disk_pkg_desc(const void *pkg, __u32 i);
/* The data of descriptor @d of a checked package of @nr descriptors. */
const void *vmig_disk_pkg_data(const void *pkg, __u32 nr,
			       const struct vmig_disk_desc *d);

/* Walking a package, descriptor by descriptor. */
struct vmig_disk_pkg_iter {
	const struct vmig_disk_pkg *hdr;
	const unsigned char *data;	/* the write data */
	__u32 nr;			/* descriptors */
	__u32 i;			/* the next one */
};

/* Check @pkg and start a walk; returns the number of descriptors. */
int vmig_disk_pkg_iter_init(struct vmig_disk_pkg_iter *it, const void *pkg,
			    size_t len);
/*
 * The next descriptor, NULL at the end. @data, when set, points to the
 * data of a cancelled write and is NULL for any other descriptor.
 */
const struct vmig_disk_desc *vmig_disk_pkg_next(struct vmig_disk_pkg_iter *it,
						const void **data);

/*
 * crc.c: CRC32C (Castagnoli, reflected) of @buf, continuing from @crc. It
 * neither seeds nor inverts: vmig's formats start from ~0 and do not
 * invert the result.
 */
__u32 vmig_crc32c(__u32 crc, const void *buf, size_t len);

/*
 * net.c: TCP in the caller's network namespace. Each new socket is
 * close-on-exec, with TCP_NODELAY once connected.
 */

/* Split "HOST:PORT" or "[V6ADDR]:PORT"; -EINVAL when malformed. */
int vmig_net_split(const char *arg, char *host, size_t hlen, char *port,
		   size_t plen);
/* Connect to @host:@port; returns the descriptor. */
int vmig_net_connect(const char *host, const char *port);
/* Listen on @addr (NULL: any) and @port; returns the descriptor. */
int vmig_net_listen(const char *addr, const char *port);
/* Accept one connection within @timeout_ms (-1: forever); -ETIMEDOUT. */
int vmig_net_accept(int lfd, int timeout_ms);

/*
 * tls.c: TLS 1.3 on a connected TCP socket, handshake by GnuTLS, then the
 * traffic keys into kernel TLS: the socket is then ready for vmig. A
 * pre-shared key (a file of VMIG_TLS_PSK_BYTES bytes in hex, readable by
 * its owner only) or X.509: our certificate and key, and the one CA the
 * peer's certificate must chain to; a client checks the server's name
 * when @peer_name is set.
 */
#define VMIG_TLS_PSK_BYTES 32
/* The longest a handshake may take: a peer that stalls is dropped. */
#define VMIG_TLS_HANDSHAKE_S 10

struct vmig_tls_cfg {
	const char *psk_file;
	const char *cert_file;
	const char *key_file;
	const char *ca_file;
	const char *peer_name;
};

/*
 * Check @cfg's files before any connection: the key file (format, owner
 * only) or that the certificate, key and CA files can be read. 0, or a
 * negative errno with a message in @err.
 */
int vmig_tls_check(const struct vmig_tls_cfg *cfg, char *err, size_t errlen);
/* A new key, in hex, NUL-terminated: @len >= 2 * VMIG_TLS_PSK_BYTES + 1. */
int vmig_tls_genkey(char *hex, size_t len);
/*
 * The handshake on @fd, as the TLS server (the migration target) or
 * client, then the keys into kTLS. 0, or a negative errno with a message
 * in @err: -EACCES when the peer did not authenticate (wrong key, unknown
 * certificate), -EINVAL for bad credentials, -ENOENT without kernel TLS.
 */
int vmig_tls_handshake(int fd, const struct vmig_tls_cfg *cfg, bool server,
		       char *err, size_t errlen);

#endif /* _LIBVMIG_H */
