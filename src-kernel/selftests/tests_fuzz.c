// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer: FUZZ_PROCS processes of FUZZ_THREADS threads each make random
 * and structure-aware calls on /dev/atemsys fds they share (every ioctl of
 * every struct revision with valid, corrupted and unmapped arguments,
 * arguments straddling a page end, mmap at offset 0, BAR, RAM and random
 * offsets, munmap, read, poll, write, close, reopen), while the parent
 * SIGKILLs a random process now and then and starts another. Seeded
 * (ATEMSYS_FUZZ_SEED, printed) and sized (ATEMSYS_FUZZ_CALLS, default
 * 1,000,000; the 32-bit run a tenth) from the environment.
 *
 * It never writes a register a device could start DMA from: MMIO writes
 * only reach the edu's interrupt registers, IOMEM_CMD writes only go out
 * with an invalid access. Afterwards: no atemsys line in /proc/interrupts,
 * the module's refcount as before, MemAvailable and CmaFree back, nothing
 * at KERN_WARNING or worse in the kernel log (kernel_log_clean also checks).
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
#define FUZZ_MAPS	16	/* live mappings of one process */
#define FUZZ_DEVS	8	/* PCI devices the structs aim at */
#define FUZZ_CALLS	1000000ul
#define FUZZ_KILL_MS	300	/* mean time between SIGKILLs */
#define FUZZ_REPORT_MS	30000	/* progress line */
#define FUZZ_BAD_FD	900	/* fds from here up are never open in a worker */

static const char *const fuzz_idents[] = { "FslFec", "GEM", "BcmGenet", "", "x" };

struct fuzz_shared {
	atomic_ulong calls;
	unsigned long target;
	int ndevs;
	struct st_pci devs[FUZZ_DEVS];
	uint64_t bars[FUZZ_DEVS];	/* BAR0 of each, from sysfs */
	uint64_t ram;			/* a System RAM page */
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
	uint64_t seed;
};

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
	ioctl(fd, cmd, arg_ptr(p, s, &a, sizeof(a)));
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
	size_t pg = (size_t)page_size(), len = pg * (1 + below(s, 16));
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
	struct pollfd pfd;
	at_desc d;

	switch (below(s, 24)) {
	case 0:
	case 1:
		desc_fill(p, s, &d);
		ioctl(fd, pci_cmd(s, false), arg_ptr(p, s, &d, sizeof(d)));
		break;
	case 2:
		desc_fill(p, s, &d);
		ioctl(fd, pci_cmd(s, true), arg_ptr(p, s, &d, sizeof(d)));
		break;
	case 3:
		ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE);
		break;
	case 4:
		ioctl(fd, ATEMSYS_IOCTL_INT_CONNECT,
		      below(s, 4) ? ATEMSYS_USE_PCI_INT : (unsigned long)rnd(s));
		break;
	case 5:
		ioctl(fd, ATEMSYS_IOCTL_INT_DISCONNECT, 0);
		break;
	case 6:
		ioctl(fd, ATEMSYS_IOCTL_INT_INFO, arg_ptr(p, s, buf, 4));
		break;
	case 7:
		fill(s, buf, sizeof(buf));
		i = (int)below(s, 1100);
		ioctl(fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(i & 0x3fff),
		      arg_ptr(p, s, buf, i ? (size_t)i : 1));
		break;
	case 8:
		ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, arg_ptr(p, s, buf, 4));
		break;
	case 9:
		*(uint32_t *)buf = below(s, 2) ? ATEMSYS_API_64BIT_DMA : (uint32_t)rnd(s);
		ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, arg_ptr(p, s, buf, 4));
		break;
	case 10:
		/* any command number, any size, any direction */
		fill(s, buf, sizeof(buf));
		ioctl(fd, below(s, 2) ? (unsigned int)rnd(s) :
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
		ioctl(fd, ATEMSYS_IOCTL_CPU_ENABLE_CYCLE_COUNT, arg_ptr(p, s, buf, 4));
		break;
	}
}

static void *fuzz_thread(void *arg)
{
	struct fuzz_proc *p = arg;
	uint64_t s = p->seed ^ (uint64_t)(uintptr_t)pthread_self();

	if (!s)
		s = 1;
	for (;;) {
		if (atomic_fetch_add(&p->sh->calls, 1) >= p->sh->target)
			return NULL;
		fuzz_call(p, &s);
	}
}

/* One worker process: its fds, its threads; exits when the target is met */
static void fuzz_worker(struct fuzz_shared *sh, uint64_t seed)
{
	pthread_t th[FUZZ_THREADS];
	struct fuzz_proc p = { .sh = sh, .seed = seed };
	size_t pg = (size_t)page_size();
	uint8_t *pages;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* nothing but its own fds: no console, no pipe of the test runner */
	for (i = 0; i < FUZZ_BAD_FD + 64; i++)
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
		p.fds[i] = open(ATEMSYS_FILE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	for (i = 0; i < FUZZ_THREADS; i++) {
		p.seed = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
		if (pthread_create(&th[i], NULL, fuzz_thread, &p))
			_exit(3);
	}
	for (i = 0; i < FUZZ_THREADS; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

static uint64_t fuzz_env(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
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

/* Run the workers until target calls are made, killing one now and then */
static enum st_result fuzz_run(struct fuzz_shared *sh, uint64_t seed,
			       unsigned int *kills)
{
	pid_t pids[FUZZ_PROCS];
	uint64_t s = seed, next, report;
	unsigned int i, spawned = 0;
	int status;

	for (i = 0; i < FUZZ_PROCS; i++) {
		pids[i] = fork();
		if (!pids[i])
			fuzz_worker(sh, seed + ++spawned * 0x632be59bd9b4e019ull);
		EXPECT(pids[i] > 0, "fork: %s", strerror(errno));
	}
	*kills = 0;
	next = now_ms() + 1 + below(&s, 2 * FUZZ_KILL_MS);
	report = now_ms() + FUZZ_REPORT_MS;
	for (;;) {
		bool alive = false;

		if (now_ms() >= report) {
			/* progress on a slow machine: a hang shows where it stopped */
			st_diag("%lu of %lu calls, %u workers SIGKILLed so far",
				atomic_load(&sh->calls), sh->target, *kills);
			report += FUZZ_REPORT_MS;
		}

		for (i = 0; i < FUZZ_PROCS; i++) {
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
					return st_fail("worker %d died of signal %d after %lu calls (seed %" PRIu64 ")",
						       (int)pids[i], WTERMSIG(status),
						       atomic_load(&sh->calls), seed);
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
			pids[i] = fork();
			if (!pids[i])
				fuzz_worker(sh, seed + ++spawned * 0x632be59bd9b4e019ull);
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
	long ref, avail, cma;
};

/* After the workers: nothing the fuzzer's processes held is left */
static enum st_result fuzz_leaks(const struct fuzz_before *b)
{
	long avail = proc_kb("/proc/meminfo", "MemAvailable"), cma = proc_kb("/proc/meminfo", "CmaFree");
	long ref = b->ref;

	EXPECT(poll_until(no_atemsys_irq, NULL, 5000),
	       "/proc/interrupts still names atemsys 5 s after every worker ended");
	EXPECT(poll_until(refcnt_back, &ref, 5000),
	       ATEMSYS_SYSFS "/refcnt is %ld, was %ld before the fuzzer: an fd or mapping leaked",
	       module_refcnt(), b->ref);
	st_diag("MemAvailable %ld -> %ld kB, CmaFree %ld -> %ld kB", b->avail, avail,
		b->cma, cma);
	EXPECT(b->avail - avail < 16384,
	       "MemAvailable fell by %ld kB over the fuzzer: memory leaked", b->avail - avail);
	EXPECT(b->cma < 0 || b->cma - cma < 4096,
	       "CmaFree fell by %ld kB over the fuzzer: DMA memory leaked", b->cma - cma);
	return ST_PASS;
}

enum st_result test_fuzz(void)
{
	uint64_t seed = fuzz_env("ATEMSYS_FUZZ_SEED", st_seed() | 1);
	struct st_kmsg_watch *watch;
	struct fuzz_before before;
	struct fuzz_shared *sh;
	unsigned int kills = 0;
	enum st_result res, log;
	char marker[96];
	uint64_t t0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	sh->target = fuzz_env("ATEMSYS_FUZZ_CALLS",
			      st_subtest_run() ? FUZZ_CALLS / 10 :
			      FUZZ_CALLS);
	fuzz_targets(sh);

	before.ref = module_refcnt();
	before.avail = proc_kb("/proc/meminfo", "MemAvailable");
	before.cma = proc_kb("/proc/meminfo", "CmaFree");
	/* every record is checked as it comes: the notices may overrun the buffer */
	watch = st_kmsg_watch_start();
	EXPECT(watch, "cannot read /dev/kmsg: %s", strerror(errno));
	snprintf(marker, sizeof(marker), "atemsys-selftest: fuzz seed %" PRIu64 "\n", seed);
	(void)write_sysfs(marker, "/dev/kmsg");
	st_diag("seed %" PRIu64 " (ATEMSYS_FUZZ_SEED=%" PRIu64 " repeats it), %lu calls, %d processes x %d threads, %d PCI targets",
		seed, seed, sh->target, FUZZ_PROCS, FUZZ_THREADS, sh->ndevs);

	t0 = now_ms();
	res = fuzz_run(sh, seed, &kills);
	if (res == ST_PASS) {
		st_diag("%lu calls in %" PRIu64 " ms, %u workers SIGKILLed mid-call",
			sh->target, now_ms() - t0, kills);
		res = fuzz_leaks(&before);
	}
	log = st_kmsg_watch_stop(watch, "during the fuzzer");
	return res != ST_PASS ? res : log;
}
