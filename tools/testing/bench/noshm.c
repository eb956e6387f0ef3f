// SPDX-License-Identifier: GPL-2.0
/*
 * noshm: SysV shared memory for one process, for fio in the bench VM,
 * whose kernel has no SYSVIPC. fio keeps its job table in a SysV segment
 * even with --thread, where nothing but its own threads uses it; this
 * LD_PRELOAD library hands out process-private memory instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define NR_SEGS 64

static struct {
	void *addr;
	size_t size;
} segs[NR_SEGS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int shmget(key_t key, size_t size, int flags)
{
	int i, id = -1;
	void *p;

	(void)key;
	(void)flags;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	pthread_mutex_lock(&lock);
	for (i = 0; i < NR_SEGS && id < 0; i++) {
		if (!segs[i].addr) {
			segs[i].addr = p;
			segs[i].size = size;
			id = i;
		}
	}
	pthread_mutex_unlock(&lock);
	if (id < 0) {
		munmap(p, size);
		errno = ENOSPC;
	}
	return id;
}

void *shmat(int id, const void *addr, int flags)
{
	(void)addr;
	(void)flags;
	if (id < 0 || id >= NR_SEGS || !segs[id].addr) {
		errno = EINVAL;
		return (void *)-1;
	}
	return segs[id].addr;
}

int shmdt(const void *addr)
{
	(void)addr;
	return 0;
}

int shmctl(int id, int cmd, struct shmid_ds *buf)
{
	(void)buf;
	if (id < 0 || id >= NR_SEGS || !segs[id].addr) {
		errno = EINVAL;
		return -1;
	}
	/* IPC_RMID: fio calls it while still attached; keep the memory. */
	(void)cmd;
	return 0;
}
