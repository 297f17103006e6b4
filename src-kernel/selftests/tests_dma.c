// SPDX-License-Identifier: GPL-2.0
/*
 * DMA memory bounds: a map/unmap loop on one fd stays flat (unmapped
 * buffers are reused while the device may master the bus), pinned DMA
 * memory is charged to RLIMIT_MEMLOCK (VmPin) and held to it without
 * CAP_IPC_LOCK, and one fd is held to dma_limit_mib.
 */

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "edu.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define DMA_LIMIT_PARAM		ATEMSYS_PARAM("dma_limit_mib")
#define CHURN_CYCLES		2000
#define CHURN_SIZE		(64u << 10)
#define NOBODY_UID		65534

static long vm_pin_kb(void)
{
	return proc_kb("/proc/self/status", "VmPin");
}

/*
 * 2,000 cycles of mmap(offset 0, 64 KiB) + munmap with the edu configured
 * (bus mastering on: nothing is freed before release): memory stays flat,
 * every cycle gets the same buffer, and VmPin shows the one buffer.
 */
enum st_result test_dma_churn(void)
{
	long avail0, avail1, pin0, pin1;
	uint32_t first = 0, bus;
	unsigned int i, moved = 0;
	struct edu e;
	void *p;

	EXPECT_PASS(edu_open(&e, false));
	avail0 = proc_kb("/proc/meminfo", "MemAvailable");
	pin0 = vm_pin_kb();
	EXPECT(avail0 > 0 && pin0 >= 0, "no MemAvailable in /proc/meminfo or VmPin in /proc/self/status");
	for (i = 0; i < CHURN_CYCLES; i++) {
		p = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 e.fd, 0);
		if (p == MAP_FAILED)
			return st_fail_ret(-1, errno, 0,
					   "cycle %u of %u: mmap(offset 0, %u bytes)",
					   i, CHURN_CYCLES, CHURN_SIZE);
		bus = *(volatile uint32_t *)p;
		if (!i)
			first = bus;
		else if (bus != first)
			moved++;
		munmap(p, CHURN_SIZE);
	}
	avail1 = proc_kb("/proc/meminfo", "MemAvailable");
	pin1 = vm_pin_kb();
	st_diag("%u cycles of %u KiB: MemAvailable %ld -> %ld kB, VmPin %ld -> %ld kB, %u cycles got another buffer",
		CHURN_CYCLES, CHURN_SIZE >> 10, avail0, avail1, pin0, pin1, moved);
	EXPECT(pin1 - pin0 == CHURN_SIZE >> 10,
	       "VmPin grew by %ld kB over %u map/unmap cycles of %u KiB: expected one buffer (%u kB), reused",
	       pin1 - pin0, CHURN_CYCLES, CHURN_SIZE >> 10, CHURN_SIZE >> 10);
	EXPECT(avail0 - avail1 < 8192,
	       "MemAvailable fell by %ld kB over %u map/unmap cycles: unmapped buffers pile up",
	       avail0 - avail1, CHURN_CYCLES);
	EXPECT(!moved, "%u of %u cycles got a buffer at another bus address than the first",
	       moved, CHURN_CYCLES);
	return ST_PASS;
}

/*
 * Map 64 KiB DMA buffers on fd until mmap fails (at most max, <= 64), then
 * unmap them: how many were mapped, and the refusal's errno (0 if none).
 */
static unsigned int map_until_refused(int fd, unsigned int max, int *err)
{
	void *maps[64];
	unsigned int n, i;

	*err = 0;
	for (n = 0; n < max && n < 64; n++) {
		maps[n] = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		if (maps[n] == MAP_FAILED) {
			*err = errno;
			break;
		}
	}
	for (i = 0; i < n; i++)
		munmap(maps[i], CHURN_SIZE);
	return n;
}

/*
 * In a child: the edu configured as root, then RLIMIT_MEMLOCK 256 KiB and
 * uid nobody (no CAP_IPC_LOCK). The exit status says what it saw: 0 when
 * exactly 4 buffers of 64 KiB were mapped and the 5th got ENOMEM.
 */
static int limited_child(void)
{
	struct rlimit rl = { 256u << 10, 256u << 10 };
	unsigned int n;
	struct edu e;
	int err;

	if (edu_open(&e, false) != ST_PASS)
		return 10;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setgid(NOBODY_UID) || setuid(NOBODY_UID))
		return 11;
	n = map_until_refused(e.fd, 16, &err);
	if (n != 4)
		return 20 + (int)n;	/* 20..36: mapped n */
	return err == ENOMEM ? 0 : 12;
}

static enum st_result limited_process(void)
{
	char line[512], want[64];
	int status;
	pid_t pid;

	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		_exit(limited_child());
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	       "the limited child did not exit normally");
	switch (WEXITSTATUS(status)) {
	case 0:
		break;
	case 10:
		return st_fail("limited child: CONF of the edu failed");
	case 11:
		return st_fail("limited child: setrlimit or setuid(%d) failed", NOBODY_UID);
	case 12:
		return st_fail("limited child: the 5th 64 KiB buffer was refused, but not with ENOMEM");
	default:
		return st_fail("limited child with RLIMIT_MEMLOCK 256 KiB, no CAP_IPC_LOCK: mapped %d buffers of 64 KiB, expected 4",
			       WEXITSTATUS(status) - 20);
	}
	snprintf(want, sizeof(want), "pid %d: DMA buffer", (int)pid);
	EXPECT(klog_last_line(want, line, sizeof(line)) &&
	       strstr(line, "RLIMIT_MEMLOCK (262144 bytes"),
	       "no kernel log line \"%s ... over RLIMIT_MEMLOCK (262144 bytes\"", want);
	return ST_PASS;
}

/* As root: dma_limit_mib=1 holds one fd to 16 buffers of 64 KiB */
static enum st_result per_fd_limit(void)
{
	char line[512], want[64];
	unsigned int n;
	struct edu e;
	int err;

	EXPECT_OK(write_sysfs("1", DMA_LIMIT_PARAM), "write 1 to " DMA_LIMIT_PARAM);
	EXPECT_PASS(edu_open(&e, false));
	n = map_until_refused(e.fd, 64, &err);
	EXPECT(n == 16 && err == ENOMEM,
	       "dma_limit_mib=1: mapped %u buffers of 64 KiB on one fd, then %s; expected 16, then ENOMEM",
	       n, err ? st_errname(err) : "no refusal");
	snprintf(want, sizeof(want), "pid %d: DMA buffer", (int)getpid());
	EXPECT(klog_last_line(want, line, sizeof(line)) &&
	       strstr(line, "dma_limit_mib=1 MiB"),
	       "no kernel log line \"%s ... dma_limit_mib=1 MiB\"", want);
	/* a second fd has its own budget */
	st_release_all();
	EXPECT_PASS(edu_open(&e, false));
	n = map_until_refused(e.fd, 1, &err);
	EXPECT(n == 1, "a fresh fd after closing the full one: mmap %s",
	       st_errname(err));
	return ST_PASS;
}

/*
 * Over RLIMIT_MEMLOCK without CAP_IPC_LOCK, and over the per-fd limit as
 * root: ENOMEM and one log line naming the pid and the limit; the memory
 * comes back when the process exits (but for what is kept for the edu, which
 * has no reset: test_dma_kept_for_unreset).
 */
enum st_result test_dma_limit(void)
{
	char old[32] = "64";
	long avail0, avail1, kept0, kept;
	enum st_result res;

	EXPECT_PASS(need_edu());
	EXPECT_OK(read_sysfs_line(old, sizeof(old), DMA_LIMIT_PARAM),
		  "read " DMA_LIMIT_PARAM);
	avail0 = proc_kb("/proc/meminfo", "MemAvailable");
	kept0 = dma_kept_kb();
	res = limited_process();
	if (res == ST_PASS)
		res = per_fd_limit();
	st_release_all();
	if (write_sysfs(old, DMA_LIMIT_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore %s in " DMA_LIMIT_PARAM, old);
	avail1 = proc_kb("/proc/meminfo", "MemAvailable");
	kept = kept0 >= 0 ? dma_kept_kb() - kept0 : 0;
	st_diag("MemAvailable %ld kB before, %ld kB after; %ld kB of it kept for the edu",
		avail0, avail1, kept);
	if (res == ST_PASS && avail0 - avail1 - kept > 8192)
		res = st_fail("MemAvailable fell by %ld kB: the refused processes' DMA memory was not given back",
			      avail0 - avail1);
	return res;
}

#define KEPT_SIZE	(32u << 10)	/* order 3: the per-CPU page lists hand it out again first */
#define KEPT_OFF	4096u		/* where the in-flight DMA writes, in the buffer */
#define KEPT_LEN	2048u
#define KEPT_PATTERN	0x5a
#define KEPT_TRIES	3

/* What the holder reports back through a shared page */
struct kept_holder {
	const struct st_pci *edu;
	uint64_t bus;			/* its DMA buffer */
	uint64_t started_us;		/* when it started the edu->RAM DMA */
};

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * In the child: the edu's buffer filled with a pattern (RAM -> edu, waited
 * for), then a DMA of it into the child's own buffer started and not waited
 * for: QEMU carries it out 100 ms later, as a NIC writes its receive ring
 * when the next frame comes.
 */
static const char *hold_edu_dma_in_flight(void *arg)
{
	struct kept_holder *h = arg;
	struct edu e;
	uint8_t *b;
	int fd;

	if (pin_cpu0())
		return "sched_setaffinity(CPU 0) failed";
	fd = at_open();
	if (fd < 0)
		return "open " ATEMSYS_FILE_NAME " failed";
	if (edu_attach_dev(&e, fd, h->edu, true) != ST_PASS)
		return "CONF of the edu failed";
	b = st_mmap(fd, 0, KEPT_SIZE);
	if (!b)
		return "mmap of a DMA buffer failed";
	h->bus = *(volatile uint32_t *)b;
	memset(b + 8, KEPT_PATTERN, KEPT_SIZE - 8);
	if (edu_dma(&e, h->bus + KEPT_OFF, EDU_DMA_BASE, KEPT_LEN, false) != ST_PASS)
		return "DMA RAM -> edu failed";
	dma_barrier();
	edu_write(&e, EDU_REG_DMA_SRC, EDU_DMA_BASE);
	edu_write(&e, EDU_REG_DMA_DST, (uint32_t)h->bus + KEPT_OFF);
	edu_write(&e, EDU_REG_DMA_CNT, KEPT_LEN);
	edu_write(&e, EDU_REG_DMA_CMD, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	h->started_us = now_us();
	return NULL;
}

/*
 * One try: the holder is killed with its DMA in flight; this process takes
 * the edu (bus mastering on again) and a buffer of the same size before
 * QEMU runs the DMA. *caught: whether it was in time (else it ran with bus
 * mastering off and went nowhere).
 */
static enum st_result kept_try(struct kept_holder *h, bool *caught, long *kept)
{
	long kept0 = dma_kept_kb();
	uint64_t bus, took_ms;
	char why[128];
	struct edu e;
	uint8_t *b;
	size_t i, bad = 0;
	pid_t pid;
	int fd;

	EXPECT(kept0 >= 0, "no %s: the module does not report the DMA memory it keeps",
	       ATEMSYS_DMA_KEPT);
	pid = st_fork_holder(hold_edu_dma_in_flight, h, why, sizeof(why));
	EXPECT(pid > 0, "the holder could not start its DMA: %s", why);
	kill(pid, SIGKILL);
	EXPECT(waitpid(pid, NULL, 0) == pid, "waitpid: %s", strerror(errno));

	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	EXPECT_PASS(edu_attach_dev(&e, fd, h->edu, true));
	b = st_mmap(fd, 0, KEPT_SIZE);
	EXPECT(b, "mmap of a DMA buffer after the holder died: %s", strerror(errno));
	bus = *(volatile uint32_t *)b;
	took_ms = (now_us() - h->started_us) / 1000;
	*caught = took_ms < 80;
	*kept = dma_kept_kb() - kept0;

	/* QEMU runs it 100 ms after the start; the engine then reads idle */
	sleep_ms(150);
	for (i = 0; i < 500 && (edu_read(&e, EDU_REG_DMA_CMD) & EDU_DMA_RUN); i++)
		sleep_ms(10);
	dma_barrier();
	for (i = KEPT_OFF; i < KEPT_OFF + KEPT_LEN; i++)
		bad += b[i] != 0;
	st_diag("holder's buffer at bus 0x%" PRIx64 ", the next one at 0x%" PRIx64
		" (%" PRIu64 " ms after the DMA's start), %ld kB kept",
		h->bus, bus, took_ms, *kept);
	EXPECT(!bad,
	       "%zu of %u bytes of a fresh DMA buffer (bus 0x%" PRIx64 ") were written by the dead holder's edu DMA: its memory was freed while the device could still write to it",
	       bad, KEPT_LEN, bus);
	EXPECT(bus != h->bus,
	       "the dead holder's buffer (bus 0x%" PRIx64 ") was handed out again though the edu was not reset",
	       h->bus);
	st_release_all();
	return ST_PASS;
}

/*
 * A device without FLR (the edu has no reset at all: no FLR, no PM, on the
 * root bus) may still write where its dead holder told it to once bus
 * mastering is back on. That memory must not be handed out again: the
 * holder's buffer is kept (dma_quarantine_bytes), and a DMA the holder left
 * in flight lands there, not in the next process's buffer.
 */
enum st_result test_dma_kept_for_unreset(void)
{
	struct kept_holder *h;
	char how[64] = "", cap[32] = "8";
	bool caught = false;
	long kept = 0;
	unsigned int t;
	cpu_set_t old;
	enum st_result res = ST_PASS;

	EXPECT_PASS(need_edu());
	if (!read_sysfs_line(how, sizeof(how), PCI_SYSFS "/%s/reset_method", env.edu.bdf) &&
	    strstr(how, "flr"))
		return st_skip("edu %s has an FLR here: nothing to keep", env.edu.bdf);
	EXPECT_OK(sched_getaffinity(0, sizeof(old), &old), "sched_getaffinity");
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(h != MAP_FAILED, "mmap: %s", strerror(errno));
	/* a fuzzer before may have filled the edu's share: keep it all */
	if (dma_kept_uncap(cap, sizeof(cap))) {
		munmap(h, sizeof(*h));
		return st_fail_ret(-1, errno, 0, "lift dma_quarantine_mib");
	}
	EXPECT_OK(pin_cpu0(), "sched_setaffinity(CPU 0)");
	h->edu = &env.edu;
	for (t = 0; t < KEPT_TRIES && res == ST_PASS && !caught; t++)
		res = kept_try(h, &caught, &kept);
	munmap(h, sizeof(*h));
	sched_setaffinity(0, sizeof(old), &old);
	dma_kept_recap(cap);
	if (res != ST_PASS)
		return res;
	EXPECT(kept >= (long)(KEPT_SIZE >> 10),
	       "%s grew by %ld kB when the holder of a %u kB buffer died: expected its buffer kept",
	       ATEMSYS_DMA_KEPT, kept, KEPT_SIZE >> 10);
	if (!caught)
		return st_skip("the next CONF came after the holder's DMA ran (%u tries): too slow here to catch it in flight",
			       KEPT_TRIES);
	return ST_PASS;
}
