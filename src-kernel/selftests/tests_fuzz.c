// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer: FUZZ_PROCS processes of FUZZ_THREADS threads each make random
 * and structure-aware calls on /dev/atemsys fds they share (the threads of a
 * process share its fds; every process starts with FUZZ_SHARED_FDS of them
 * open on files the parent opened, so processes share open files too, and a
 * killed one leaves its configured devices, IRQs and buffers to the
 * others; every ioctl of
 * every struct revision with valid, corrupted and unmapped arguments,
 * arguments straddling a page end, mmap at offset 0, BAR, RAM and random
 * offsets, munmap, read, poll, write, close, reopen), while the parent
 * SIGKILLs a random process now and then and starts another. Seeded
 * (ATEMSYS_FUZZ_SEED, printed) and sized (ATEMSYS_FUZZ_CALLS, default
 * 1,000,000; the 32-bit run makes a tenth of either) from the environment.
 * The seed repeats every thread's sequence of calls and the kill schedule;
 * how the threads interleave is the scheduler's.
 *
 * It never writes a register a device could start DMA from: MMIO writes
 * only reach the edu's interrupt registers, IOMEM_CMD writes only go out
 * with an invalid access. Afterwards: no atemsys line in /proc/interrupts,
 * the module's refcount as before, MemAvailable, CmaFree and the slab's
 * unreclaimable memory (SUnreclaim) back, nothing at KERN_WARNING or worse in
 * the kernel log (kernel_log_clean also checks).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "edu.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define FUZZ_PROCS	4
#define FUZZ_THREADS	2
#define FUZZ_FDS	4	/* fd slots of one process, shared by its threads */
#define FUZZ_SHARED_FDS	2	/* of them, open files shared with the other processes */
#define FUZZ_MAPS	16	/* live mappings of one process */
#define FUZZ_DEVS	8	/* PCI devices the structs aim at */
#define FUZZ_CALLS	1000000ul
#define FUZZ_KILL_MS	300	/* mean time between SIGKILLs */
#define FUZZ_REPORT_MS	30000	/* progress line */
#define FUZZ_BAD_FD	900	/* fds from here up are never open in a worker */

static const char *const fuzz_idents[] = { "FslFec", "GEM", "BcmGenet", "", "x" };

/* What one worker thread is doing, read back if its process dies of a signal */
struct fuzz_last {
	uint32_t op;			/* fuzz_call()'s case + 1; 0 before the first */
	int32_t fd;
	uint32_t cmd;			/* the ioctl command, or the mmap length */
	uint32_t calls;			/* calls this thread made */
	uint64_t arg;			/* the ioctl argument, or the mmap offset */
};

#define FUZZ_KINDS	24	/* fuzz_call()'s cases */

/* fuzz_call()'s cases by name, for the time report */
static const char *const fuzz_kind_names[FUZZ_KINDS] = {
	"FIND", "FIND", "CONF", "PCI_RELEASE", "INT_CONNECT", "INT_DISCONNECT",
	"INT_INFO", "affinity", "GETVERSION", "SET_API_VERSION", "random ioctl",
	"DT ioctl", "DT ioctl", "mmap", "mmap", "munmap/MMIO", "munmap/MMIO",
	"read", "poll", "write", "close/open", "cycle count", "cycle count",
	"cycle count",
};

struct fuzz_shared {
	atomic_ulong calls;
	/* µs spent in each case, by worker slot and thread (each writes its own) */
	uint64_t kind_us[FUZZ_PROCS][FUZZ_THREADS][FUZZ_KINDS];
	struct fuzz_last last[FUZZ_PROCS][FUZZ_THREADS];
	unsigned long target;
	int ndevs;
	struct st_pci devs[FUZZ_DEVS];
	uint64_t bars[FUZZ_DEVS];	/* BAR0 of each, from sysfs */
	uint64_t ram;			/* a System RAM page */
	int shared_fds[FUZZ_SHARED_FDS];	/* opened by the parent, inherited */
};

struct fuzz_map {
	void *addr;
	size_t len;
	bool edu;			/* an edu BAR: its IRQ registers may be written */
};

struct fuzz_proc {
	struct fuzz_shared *sh;
	int fds[FUZZ_FDS];
	pthread_mutex_t map_lock;	/* maps */
	struct fuzz_map maps[FUZZ_MAPS];
	uint8_t *edge;			/* last bytes before a PROT_NONE page */
	uint8_t *rdonly;		/* a read-only page */
};

static __thread struct fuzz_last *fuzz_now;	/* this thread's record in fuzz_shared */

/* xorshift64*: reproducible for a seed */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static unsigned int below(uint64_t *s, unsigned int n)
{
	return (unsigned int)(rnd(s) % n);
}

static void fill(uint64_t *s, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd(s);
}

/*
 * Where a struct of len bytes goes: mostly a good buffer, else NULL, a
 * small number, a kernel address, the end of a page before an unmapped
 * one (straddling), or a read-only page.
 */
static void *arg_ptr(struct fuzz_proc *p, uint64_t *s, void *good, size_t len)
{
	switch (below(s, 16)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)(1 + below(s, 4096));
	case 2:
		return (void *)(uintptr_t)(UINTPTR_MAX - 4095);
	case 3:
		return p->edge + page_size() - 1 - below(s, (unsigned int)len);
	case 4:
		return p->rdonly;
	default:
		return good;
	}
}

/* ioctl() that first records what it is about to do, for a post-mortem */
static void fz_ioctl(int fd, unsigned int cmd, void *arg)
{
	fuzz_now->cmd = cmd;
	fuzz_now->arg = (uint64_t)(uintptr_t)arg;
	(void)ioctl(fd, cmd, arg);
}

/*
 * Mostly one of the process's /dev/atemsys fds, else one that is not open:
 * -1 or a number above any open fd (a random small number could be the
 * serial console, whose termios a random ioctl changes, or a pipe of the
 * test runner).
 */
static int pick_fd(struct fuzz_proc *p, uint64_t *s)
{
	if (below(s, 64))
		return p->fds[below(s, FUZZ_FDS)];
	return below(s, 2) ? -1 : FUZZ_BAD_FD + (int)below(s, 64);
}

/*
 * A target for FIND/CONF: mostly an edu (devs[0], devs[1]); a NIC one time
 * in 32, since its CONF and release reset it (FLR: 100 ms and more).
 */
static const struct st_pci *pick_dev(struct fuzz_shared *sh, uint64_t *s)
{
	unsigned int edus = 0;

	while (edus < (unsigned int)sh->ndevs && sh->devs[edus].device == EDU_DEVICE)
		edus++;
	if (edus && (below(s, 32) || edus == (unsigned int)sh->ndevs))
		return &sh->devs[below(s, edus)];
	return &sh->devs[edus + below(s, (unsigned int)sh->ndevs - edus)];
}

static void desc_fill(struct fuzz_proc *p, uint64_t *s, at_desc *d)
{
	const struct st_pci *dev;

	fill(s, d, sizeof(*d));
	if (!p->sh->ndevs || below(s, 8) == 0)
		return;
	dev = pick_dev(p->sh, s);
	d->vendor_id = below(s, 4) ? (int32_t)dev->vendor : -1;
	d->device_id = below(s, 4) ? (int32_t)dev->device : -1;
	d->instance = (int32_t)below(s, 3);
	d->bus = dev->bus;
	d->device = dev->dev;
	d->function = dev->fn;
	d->domain = dev->domain;
}

static unsigned int pci_cmd(uint64_t *s, bool conf)
{
	static const unsigned int find[] = {
		ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00,
		ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05,
		ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12,
	};
	static const unsigned int cnf[] = {
		ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00,
		ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05,
		ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12,
	};

	return conf ? cnf[below(s, 3)] : find[below(s, 3)];
}

/* One DT ioctl with a structure-aware or random argument */
static void dt_call(struct fuzz_proc *p, uint64_t *s, int fd)
{
	union {
		struct atemsys_mac_info mac;
		struct atemsys_phy_start_stop_info phy;
		struct atemsys_mdio_order mdio;
		struct atemsys_phy_info info;
		struct atemsys_iomem_cmd io;
		uint32_t u32;
	} a;
	unsigned int cmd;

	fill(s, &a, sizeof(a));
	switch (below(s, 8)) {
	case 0:
	case 1:
		cmd = ATEMSYS_IOCTL_GET_MAC_INFO;
		snprintf(a.mac.ident, sizeof(a.mac.ident), "%s",
			 fuzz_idents[below(s, sizeof(fuzz_idents) / sizeof(fuzz_idents[0]))]);
		a.mac.instance = below(s, 3);
		break;
	case 2:
		/* rare: an unserved start waits for mdio_timeout_ms */
		if (below(s, 64))
			return;
		cmd = ATEMSYS_IOCTL_PHY_START_STOP;
		a.phy.index = below(s, 3);
		a.phy.start = below(s, 2);
		break;
	case 3:
		cmd = below(s, 2) ? ATEMSYS_IOCTL_GET_MDIO_ORDER :
		      ATEMSYS_IOCTL_RETURN_MDIO_ORDER;
		a.mdio.index = below(s, 3);
		a.mdio.timeout_ms = below(s, 3);
		break;
	case 4:
		cmd = ATEMSYS_IOCTL_GET_PHY_INFO;
		a.info.index = below(s, 3);
		break;
	case 5:
		cmd = ATEMSYS_IOCTL_PHY_RESET;
		a.u32 = below(s, 3);
		break;
	default:
		cmd = ATEMSYS_IOCTL_IOMEM_CMD;
		a.io.index = below(s, 3);
		a.io.cmd = below(s, 6);
		a.io.size = below(s, 2) ? 4096 : (uint32_t)rnd(s);
		a.io.offset = below(s, 2) ? below(s, 64) * 4 : (uint32_t)rnd(s);
		a.io.data_size = below(s, 20);
		if (a.io.cmd == ATEMSYS_IOMEM_CMD_WRITE)
			a.io.data_size = 3;	/* never a valid write */
		break;
	}
	fz_ioctl(fd, cmd, arg_ptr(p, s, &a, sizeof(a)));
}

static void map_add(struct fuzz_proc *p, void *addr, size_t len, bool edu)
{
	unsigned int i;

	pthread_mutex_lock(&p->map_lock);
	for (i = 0; i < FUZZ_MAPS; i++) {
		if (!p->maps[i].addr) {
			p->maps[i] = (struct fuzz_map){ addr, len, edu };
			addr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&p->map_lock);
	if (addr)
		munmap(addr, len);	/* table full */
}

/* munmap a random live mapping, or poke an edu BAR's interrupt registers */
static void map_use(struct fuzz_proc *p, uint64_t *s)
{
	struct fuzz_map *m = &p->maps[below(s, FUZZ_MAPS)];

	pthread_mutex_lock(&p->map_lock);
	if (m->addr && m->edu && below(s, 2)) {
		mmio_write32(m->addr, below(s, 2) ? EDU_REG_IRQ_RAISE : EDU_REG_IRQ_ACK,
			     1u << below(s, 8));
	} else if (m->addr) {
		munmap(m->addr, m->len);
		m->addr = NULL;
	}
	pthread_mutex_unlock(&p->map_lock);
}

static void mmap_call(struct fuzz_proc *p, uint64_t *s, int fd)
{
	/*
	 * Mostly one page: a bigger coherent buffer comes from CMA on arm,
	 * whose allocation drains every CPU's LRU lists (IPIs: milliseconds
	 * under TCG, half the arm64 run's time when every size was as likely)
	 */
	size_t pg = (size_t)page_size(),
	       len = pg * (below(s, 4) ? 1 : 2 + below(s, 15));
	struct fuzz_shared *sh = p->sh;
	uint64_t off = 0;
	bool edu = false;
	unsigned int i;
	void *a;

	switch (below(s, 4)) {
	case 0:
		break;		/* a DMA buffer */
	case 1:
		if (sh->ndevs) {
			i = below(s, (unsigned int)sh->ndevs);
			off = sh->bars[i];
			edu = sh->devs[i].device == EDU_DEVICE;
			len = pg;
		}
		break;
	case 2:
		off = sh->ram;
		break;
	default:
		off = rnd(s) & ~(uint64_t)(pg - 1) & 0xffffffffffull;
		break;
	}
	fuzz_now->cmd = (uint32_t)len;
	fuzz_now->arg = off;
	a = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 below(s, 16) ? MAP_SHARED : MAP_PRIVATE, fd, (off_t)off);
	if (a != MAP_FAILED)
		map_add(p, a, len, edu && off);
}

/* One call; what it returns does not matter, only what the kernel does */
static void fuzz_call(struct fuzz_proc *p, uint64_t *s)
{
	int fd = pick_fd(p, s), i;
	uint8_t buf[2048];
	unsigned int op = below(s, FUZZ_KINDS);
	struct pollfd pfd;
	at_desc d;

	*fuzz_now = (struct fuzz_last){ .op = op + 1, .fd = fd,
					.calls = fuzz_now->calls + 1 };
	switch (op) {
	case 0:
	case 1:
		desc_fill(p, s, &d);
		fz_ioctl(fd, pci_cmd(s, false), arg_ptr(p, s, &d, sizeof(d)));
		break;
	case 2:
		desc_fill(p, s, &d);
		fz_ioctl(fd, pci_cmd(s, true), arg_ptr(p, s, &d, sizeof(d)));
		break;
	case 3:
		fz_ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE, NULL);
		break;
	case 4:
		fz_ioctl(fd, ATEMSYS_IOCTL_INT_CONNECT, (void *)(uintptr_t)
			 (below(s, 4) ? ATEMSYS_USE_PCI_INT : rnd(s)));
		break;
	case 5:
		fz_ioctl(fd, ATEMSYS_IOCTL_INT_DISCONNECT, NULL);
		break;
	case 6:
		fz_ioctl(fd, ATEMSYS_IOCTL_INT_INFO, arg_ptr(p, s, buf, 4));
		break;
	case 7:
		fill(s, buf, sizeof(buf));
		i = (int)below(s, 1100);
		fz_ioctl(fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(i & 0x3fff),
		      arg_ptr(p, s, buf, i ? (size_t)i : 1));
		break;
	case 8:
		fz_ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, arg_ptr(p, s, buf, 4));
		break;
	case 9:
		*(uint32_t *)buf = below(s, 2) ? ATEMSYS_API_64BIT_DMA : (uint32_t)rnd(s);
		fz_ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, arg_ptr(p, s, buf, 4));
		break;
	case 10:
		/* any command number, any size, any direction */
		fill(s, buf, sizeof(buf));
		fz_ioctl(fd, below(s, 2) ? (unsigned int)rnd(s) :
		      _IOC(below(s, 4), ATEMSYS_IOCTL_TYPE, below(s, 24), below(s, 2048)),
		      arg_ptr(p, s, buf, 2048));
		break;
	case 11:
	case 12:
		dt_call(p, s, fd);
		break;
	case 13:
	case 14:
		mmap_call(p, s, fd);
		break;
	case 15:
	case 16:
		map_use(p, s);
		break;
	case 17:
		(void)!read(fd, arg_ptr(p, s, buf, 4), below(s, 8));
		break;
	case 18:
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		poll(&pfd, 1, 0);
		break;
	case 19:
		fill(s, buf, 16);
		(void)!write(fd, buf, below(s, 16));
		break;
	case 20:
		i = (int)below(s, FUZZ_FDS);
		if (below(s, 8) == 0) {
			close(p->fds[i]);
			p->fds[i] = open(ATEMSYS_FILE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		}
		break;
	default:
		fz_ioctl(fd, ATEMSYS_IOCTL_CPU_ENABLE_CYCLE_COUNT, arg_ptr(p, s, buf, 4));
		break;
	}
}

/* One worker thread: its own seed (the sequence it makes) and record */
struct fuzz_thread {
	struct fuzz_proc *p;
	uint64_t seed;
	struct fuzz_last *last;
	uint64_t *kind_us;		/* [FUZZ_KINDS] in fuzz_shared */
};

static void *fuzz_thread(void *arg)
{
	struct fuzz_thread *t = arg;
	uint64_t s = t->seed ? t->seed : 1;

	fuzz_now = t->last;
	for (;;) {
		uint64_t t0;

		if (atomic_fetch_add(&t->p->sh->calls, 1) >= t->p->sh->target)
			return NULL;
		t0 = now_us();
		fuzz_call(t->p, &s);
		t->kind_us[fuzz_now->op - 1] += now_us() - t0;
	}
}

static bool fuzz_shared_fd(const struct fuzz_shared *sh, int fd)
{
	int i;

	for (i = 0; i < FUZZ_SHARED_FDS; i++)
		if (sh->shared_fds[i] == fd)
			return true;
	return false;
}

/*
 * One worker process in slot @slot: its fds, its threads; exits when the
 * target is met
 */
static void fuzz_worker(struct fuzz_shared *sh, unsigned int slot, uint64_t seed)
{
	struct fuzz_thread targ[FUZZ_THREADS];
	pthread_t th[FUZZ_THREADS];
	struct fuzz_proc p = { .sh = sh };
	size_t pg = (size_t)page_size();
	uint8_t *pages;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/*
	 * nothing but its own fds and the shared files: no console, no pipe of
	 * the test runner
	 */
	for (i = 0; i < FUZZ_BAD_FD + 64; i++)
		if (!fuzz_shared_fd(sh, i))
			close(i);
	i = open("/dev/null", O_RDWR);
	if (i != 0 || dup2(0, 1) != 1 || dup2(0, 2) != 2)
		_exit(4);
	pages = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		_exit(2);
	p.edge = pages;
	mprotect(pages + pg, pg, PROT_NONE);
	p.rdonly = pages + 2 * pg;
	mprotect(p.rdonly, pg, PROT_READ);
	pthread_mutex_init(&p.map_lock, NULL);
	for (i = 0; i < FUZZ_FDS; i++)
		p.fds[i] = i < FUZZ_SHARED_FDS ? sh->shared_fds[i] :
			   open(ATEMSYS_FILE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	for (i = 0; i < FUZZ_THREADS; i++) {
		targ[i] = (struct fuzz_thread){
			.p = &p, .seed = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull,
			.last = &sh->last[slot][i],
			.kind_us = sh->kind_us[slot][i],
		};
		if (pthread_create(&th[i], NULL, fuzz_thread, &targ[i]))
			_exit(3);
	}
	for (i = 0; i < FUZZ_THREADS; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/*
 * @name from the environment into @out (decimal, or 0x… hex), @dflt when
 * unset or empty; false when it is not a whole number of at least 1
 */
static bool fuzz_env(const char *name, uint64_t dflt, uint64_t *out)
{
	const char *v = getenv(name);
	char *end;

	*out = dflt;
	if (!v || !*v)
		return true;
	errno = 0;
	*out = strtoull(v, &end, 0);
	return !errno && !*end && *v != '-' && *out;
}

/* The PCI devices the structs aim at, and their BAR0s */
static void fuzz_targets(struct fuzz_shared *sh)
{
	static const unsigned int ids[][2] = {
		{ EDU_VENDOR, EDU_DEVICE }, { NIC_VENDOR, NIC_DEVICE },
		{ NIC_VENDOR, IGB_DEVICE },
	};
	struct st_bar bars[6];
	unsigned int i, k;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (k = 0; k < 3 && sh->ndevs < FUZZ_DEVS; k++) {
			struct st_pci *p = &sh->devs[sh->ndevs];

			if (pci_find_sysfs((int)ids[i][0], (int)ids[i][1], k, p))
				break;
			sh->bars[sh->ndevs] = pci_read_bars(p, bars) ? 0 : bars[0].start;
			sh->ndevs++;
		}
	}
	if (first_ram_page(&sh->ram))
		sh->ram = 0x1000;
}

static long module_refcnt(void)
{
	char v[32];

	return read_sysfs_line(v, sizeof(v), ATEMSYS_SYSFS "/refcnt") ? -1 : atol(v);
}

/* A worker in slot @slot with a fresh record; its pid, or -1 (errno) */
static pid_t fuzz_spawn(struct fuzz_shared *sh, unsigned int slot, uint64_t seed)
{
	pid_t pid;

	memset(sh->last[slot], 0, sizeof(sh->last[slot]));
	pid = fork();
	if (!pid)
		fuzz_worker(sh, slot, seed);
	return pid;
}

/* What the threads of the worker in @slot were doing when it died */
static void fuzz_post_mortem(const struct fuzz_shared *sh, unsigned int slot)
{
	unsigned int t;

	for (t = 0; t < FUZZ_THREADS; t++) {
		const struct fuzz_last *l = &sh->last[slot][t];

		st_diag("thread %u: call %u was case %u on fd %d, cmd/length 0x%x, arg/offset 0x%" PRIx64,
			t, l->calls, l->op ? l->op - 1 : 0, l->fd, l->cmd, l->arg);
	}
}

/*
 * Where the time went: the kinds of call that took most of it, "mmap 41%,
 * CONF 22%, ..." (the names merge cases that share one)
 */
static void fuzz_time_report(const struct fuzz_shared *sh, char *out, size_t len)
{
	unsigned long long by[FUZZ_KINDS] = { 0 }, total = 0, us;
	unsigned int i, k, n, w;
	size_t used = 0;

	for (i = 0; i < FUZZ_KINDS; i++) {
		for (k = 0; strcmp(fuzz_kind_names[k], fuzz_kind_names[i]); k++)
			;
		for (w = 0; w < FUZZ_PROCS * FUZZ_THREADS; w++) {
			us = sh->kind_us[w / FUZZ_THREADS][w % FUZZ_THREADS][i];
			by[k] += us;
			total += us;
		}
	}
	out[0] = '\0';
	for (n = 0; n < 4 && total; n++) {
		for (k = 0, i = 1; i < FUZZ_KINDS; i++)
			if (by[i] > by[k])
				k = i;
		if (!by[k])
			break;
		used += (size_t)snprintf(out + used, len - used, "%s%s %llu%%", n ? ", " : "",
					 fuzz_kind_names[k], by[k] * 100 / total);
		if (used >= len)
			break;
		by[k] = 0;
	}
}

/* Run the workers until target calls are made, killing one now and then */
static enum st_result fuzz_run(struct fuzz_shared *sh, uint64_t seed,
			       unsigned int *kills)
{
	pid_t pids[FUZZ_PROCS];
	uint64_t s = seed, next, report;
	unsigned int i, spawned = 0;
	int status;

	for (i = 0; i < FUZZ_PROCS; i++) {
		pids[i] = fuzz_spawn(sh, i, seed + ++spawned * 0x632be59bd9b4e019ull);
		EXPECT(pids[i] > 0, "fork: %s", strerror(errno));
	}
	*kills = 0;
	next = now_ms() + 1 + below(&s, 2 * FUZZ_KILL_MS);
	report = now_ms() + FUZZ_REPORT_MS;
	for (;;) {
		bool alive = false;

		if (now_ms() >= report) {
			/* progress on a slow machine: a hang shows where it stopped */
			char where[160];

			fuzz_time_report(sh, where, sizeof(where));
			st_diag("%lu of %lu calls, %u workers SIGKILLed so far; time in %s",
				atomic_load(&sh->calls), sh->target, *kills, where);
			report += FUZZ_REPORT_MS;
		}

		for (i = 0; i < FUZZ_PROCS; i++) {
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
					fuzz_post_mortem(sh, i);
					return st_fail("worker %d died of signal %d after %lu calls (seed %" PRIu64 ")",
						       (int)pids[i], WTERMSIG(status),
						       atomic_load(&sh->calls), seed);
				}
				if (WIFEXITED(status) && WEXITSTATUS(status))
					return st_fail("worker %d could not set up (exit %d: stdio, pages or threads)",
						       (int)pids[i], WEXITSTATUS(status));
				pids[i] = 0;
			}
			alive |= pids[i] > 0;
		}
		if (atomic_load(&sh->calls) >= sh->target) {
			if (!alive)
				return ST_PASS;
		} else if (now_ms() >= next) {
			/* kill one mid-call, start another in its place */
			i = below(&s, FUZZ_PROCS);
			if (pids[i] > 0) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], NULL, 0);
				(*kills)++;
			}
			pids[i] = fuzz_spawn(sh, i, seed + ++spawned * 0x632be59bd9b4e019ull);
			EXPECT(pids[i] > 0, "fork: %s", strerror(errno));
			next = now_ms() + 1 + below(&s, 2 * FUZZ_KILL_MS);
		}
		sleep_ms(5);
	}
}

static bool no_atemsys_irq(void *arg)
{
	(void)arg;
	return proc_interrupts_count("atemsys") == 0;
}

static bool refcnt_back(void *arg)
{
	return module_refcnt() == *(long *)arg;
}

struct fuzz_before {
	long ref, avail, cma, kept, slab;
};

/* After the workers: nothing the fuzzer's processes held is left */
static enum st_result fuzz_leaks(const struct fuzz_before *b)
{
	long avail = proc_kb("/proc/meminfo", "MemAvailable"), cma = proc_kb("/proc/meminfo", "CmaFree");
	long ref = b->ref, kept = dma_kept_kb();
	long slab = proc_kb("/proc/meminfo", "SUnreclaim");

	EXPECT(poll_until(no_atemsys_irq, NULL, 5000),
	       "/proc/interrupts still names atemsys 5 s after every worker ended");
	EXPECT(poll_until(refcnt_back, &ref, 5000),
	       ATEMSYS_SYSFS "/refcnt is %ld, was %ld before the fuzzer: an fd or mapping leaked",
	       module_refcnt(), b->ref);
	/* what atemsys keeps for devices without a reset is bounded, not leaked */
	kept = kept >= 0 && b->kept >= 0 ? kept - b->kept : 0;
	st_diag("MemAvailable %ld -> %ld kB, CmaFree %ld -> %ld kB, SUnreclaim %ld -> %ld kB, kept for devices without a reset +%ld kB",
		b->avail, avail, b->cma, cma, b->slab, slab, kept);
	/* an object per call would be 100 MB; an object per kill, a few kB */
	EXPECT(slab - b->slab < 4096,
	       "SUnreclaim grew by %ld kB over the fuzzer: slab objects leaked (cat /sys/kernel/debug/kmemleak on a debug kernel)",
	       slab - b->slab);
	EXPECT(b->avail - avail - kept < 16384,
	       "MemAvailable fell by %ld kB over the fuzzer (%ld kB of it kept for devices without a reset): memory leaked",
	       b->avail - avail, kept);
	EXPECT(b->cma < 0 || b->cma - cma - kept < 4096,
	       "CmaFree fell by %ld kB over the fuzzer (%ld kB of it kept for devices without a reset): DMA memory leaked",
	       b->cma - cma, kept);
	return ST_PASS;
}

enum st_result test_fuzz(void)
{
	struct st_kmsg_watch *watch;
	struct fuzz_before before;
	struct fuzz_shared *sh;
	unsigned int kills = 0;
	enum st_result res, log;
	char marker[96];
	uint64_t t0, seed, calls;
	int i;

	EXPECT(fuzz_env("ATEMSYS_FUZZ_SEED", st_seed() | 1, &seed),
	       "ATEMSYS_FUZZ_SEED=\"%s\": give a whole number from 1 (decimal or 0x…)",
	       getenv("ATEMSYS_FUZZ_SEED"));
	EXPECT(fuzz_env("ATEMSYS_FUZZ_CALLS", FUZZ_CALLS, &calls),
	       "ATEMSYS_FUZZ_CALLS=\"%s\": give a whole number of calls from 1",
	       getenv("ATEMSYS_FUZZ_CALLS"));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	/* the 32-bit run makes a tenth, of the default or of what was asked */
	sh->target = (unsigned long)calls;
	if (st_subtest_run())
		sh->target = sh->target / 10 ? sh->target / 10 : 1;
	fuzz_targets(sh);

	before.ref = module_refcnt();
	before.avail = proc_kb("/proc/meminfo", "MemAvailable");
	before.cma = proc_kb("/proc/meminfo", "CmaFree");
	before.kept = dma_kept_kb();
	before.slab = proc_kb("/proc/meminfo", "SUnreclaim");
	/* every record is checked as it comes: the notices may overrun the buffer */
	watch = st_kmsg_watch_start();
	EXPECT(watch, "cannot read /dev/kmsg: %s", strerror(errno));
	snprintf(marker, sizeof(marker), "atemsys-selftest: fuzz seed %" PRIu64 "\n", seed);
	(void)write_sysfs(marker, "/dev/kmsg");
	st_diag("seed %" PRIu64 " (ATEMSYS_FUZZ_SEED=%" PRIu64 " repeats it), %lu calls, %d processes x %d threads, %d PCI targets",
		seed, seed, sh->target, FUZZ_PROCS, FUZZ_THREADS, sh->ndevs);

	for (i = 0; i < FUZZ_SHARED_FDS; i++)
		sh->shared_fds[i] = open(ATEMSYS_FILE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	t0 = now_ms();
	res = fuzz_run(sh, seed, &kills);
	/* the workers are gone: the last holder closes the shared files */
	for (i = 0; i < FUZZ_SHARED_FDS; i++)
		if (sh->shared_fds[i] >= 0)
			close(sh->shared_fds[i]);
	if (res == ST_PASS) {
		char where[160];

		fuzz_time_report(sh, where, sizeof(where));
		st_diag("%lu calls in %" PRIu64 " ms, %u workers SIGKILLed mid-call; time in %s",
			sh->target, now_ms() - t0, kills, where);
		res = fuzz_leaks(&before);
	}
	log = st_kmsg_watch_stop(watch, "during the fuzzer");
	return res != ST_PASS ? res : log;
}
