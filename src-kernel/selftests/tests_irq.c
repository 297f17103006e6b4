// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt tests: MSI and INTx through read(), poll(), disconnect while a
 * reader waits, CPU affinity, and cleanup when the process holding the
 * interrupt is killed.
 */

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "edu.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define IRQ_MODE_PARAM		ATEMSYS_PARAM("pci_irq_mode")
#define IRQ_TIMEOUT_MS		2000u

static enum st_result set_irq_mode(const char *mode)
{
	char cur[32];

	EXPECT_OK(write_sysfs(mode, IRQ_MODE_PARAM), "write \"%s\" to " IRQ_MODE_PARAM,
		  mode);
	EXPECT_OK(read_sysfs_line(cur, sizeof(cur), IRQ_MODE_PARAM),
		  "read " IRQ_MODE_PARAM);
	EXPECT(!strcmp(cur, mode), IRQ_MODE_PARAM " reads \"%s\" after writing \"%s\"",
	       cur, mode);
	return ST_PASS;
}

/* The edu, configured, BAR mapped, no interrupt pending, IRQ connected */
static enum st_result edu_connected(struct edu *e, unsigned int *irq)
{
	EXPECT_PASS(edu_open(e, true));
	edu_write(e, EDU_REG_STATUS, 0);
	edu_write(e, EDU_REG_IRQ_ACK, 0xffffffff);
	EXPECT_OK(at_connect(e->fd), "INT_CONNECT(ATEMSYS_USE_PCI_INT)");
	EXPECT_OK(at_irq(e->fd, irq), "INT_INFO");
	EXPECT(*irq != 0, "INT_INFO: irq 0 after INT_CONNECT");
	EXPECT(proc_irq_has(*irq, "atemsys"),
	       "/proc/interrupts: no line for irq %u naming atemsys", *irq);
	return ST_PASS;
}

/* A blocking read() that must return 4 bytes within the timeout */
static enum st_result expect_irq_read(int fd, uint32_t exact, const char *what)
{
	uint32_t n = 0;
	ssize_t ret;

	ret = read_timeout(fd, &n, sizeof(n), IRQ_TIMEOUT_MS);
	if (ret < 0 && errno == ETIMEDOUT)
		return st_fail("%s: read() got no interrupt within %u ms", what,
			       IRQ_TIMEOUT_MS);
	if (ret < 0)
		return st_fail_ret(ret, errno, 0, "%s: read()", what);
	EXPECT(ret == (ssize_t)sizeof(n), "%s: read() returned %zd, expected 4",
	       what, ret);
	if (exact)
		EXPECT(n == exact, "%s: read() count %u, expected %u", what, n,
		       exact);
	else
		EXPECT(n >= 1, "%s: read() count %u, expected >= 1", what, n);
	return ST_PASS;
}

static enum st_result expect_nothing_pending(int fd, const char *what)
{
	uint32_t n;

	EXPECT_OK(set_nonblock(fd, true), "O_NONBLOCK");
	EXPECT_ERR(read(fd, &n, sizeof(n)), EAGAIN, "O_NONBLOCK read() %s",
		   what);
	EXPECT_OK(set_nonblock(fd, false), "clear O_NONBLOCK");
	return ST_PASS;
}

static enum st_result expect_disconnected(int fd, unsigned int irq)
{
	EXPECT_OK(at_disconnect(fd), "INT_DISCONNECT");
	EXPECT(!proc_irq_has(irq, "atemsys"),
	       "/proc/interrupts still names atemsys on irq %u after INT_DISCONNECT",
	       irq);
	return ST_PASS;
}

enum st_result test_irq_msi(void)
{
	unsigned int irq, msi[8];
	struct edu e;
	int n;

	EXPECT_PASS(set_irq_mode("auto"));
	EXPECT_PASS(edu_connected(&e, &irq));

	n = pci_msi_irqs(&env.edu, msi, 8);
	EXPECT(n > 0,
	       "%s/msi_irqs/ is empty or missing after INT_CONNECT in auto mode: irq %u is not MSI",
	       env.edu.bdf, irq);
	EXPECT(path_exists(PCI_SYSFS "/%s/msi_irqs/%u", env.edu.bdf, irq),
	       "%s/msi_irqs/ lists %d irq(s) starting %u, not INT_INFO's irq %u",
	       env.edu.bdf, n, msi[0], irq);

	edu_write(&e, EDU_REG_IRQ_RAISE, 0x1);
	EXPECT_PASS(expect_irq_read(e.fd, 0, "MSI raised"));
	edu_write(&e, EDU_REG_IRQ_ACK, 0x1);
	EXPECT_PASS(expect_nothing_pending(e.fd, "after the MSI was read"));

	EXPECT_PASS(expect_disconnected(e.fd, irq));
	n = pci_msi_irqs(&env.edu, msi, 8);
	EXPECT(n == 0, "%s/msi_irqs/ still lists %d irq(s) after INT_DISCONNECT",
	       env.edu.bdf, n);
	return ST_PASS;
}

/* Connect in intx mode; explain the usual reason if it fails */
static enum st_result edu_connected_intx(struct edu *e, unsigned int *irq)
{
	unsigned int sys_irq = 0;
	int err;

	EXPECT_PASS(edu_open(e, true));
	edu_write(e, EDU_REG_STATUS, 0);
	edu_write(e, EDU_REG_IRQ_ACK, 0xffffffff);
	if (at_connect(e->fd)) {
		err = errno;
		if (!pci_read_irq(&env.edu, &sys_irq) && !sys_irq)
			return st_fail("INT_CONNECT in intx mode: %s (%s); the edu has no INTx IRQ (%s/irq is 0: on device-tree platforms INTx is mapped when a driver probes the device)",
				       st_errname(err), strerror(err), env.edu.bdf);
		return st_fail_ret(-1, err, 0, "INT_CONNECT(ATEMSYS_USE_PCI_INT) in intx mode");
	}
	EXPECT_OK(at_irq(e->fd, irq), "INT_INFO");
	EXPECT(*irq != 0, "INT_INFO: irq 0 after INT_CONNECT");
	EXPECT(proc_irq_has(*irq, "atemsys"),
	       "/proc/interrupts: no line for irq %u naming atemsys", *irq);
	return ST_PASS;
}

static enum st_result irq_intx_body(void)
{
	unsigned int irq, sys_irq, msi[8];
	struct edu e;
	int n;

	EXPECT_PASS(edu_connected_intx(&e, &irq));
	n = pci_msi_irqs(&env.edu, msi, 8);
	EXPECT(n == 0, "%s/msi_irqs/ lists %d irq(s) in intx mode", env.edu.bdf,
	       n);
	EXPECT(!pci_read_irq(&env.edu, &sys_irq) && sys_irq == irq,
	       "INT_INFO irq %u, %s/irq (INTx) %u", irq, env.edu.bdf, sys_irq);

	/* level interrupt: masked until read, exactly one count */
	edu_write(&e, EDU_REG_IRQ_RAISE, 0x1);
	EXPECT_PASS(expect_irq_read(e.fd, 1, "INTx raised"));
	edu_write(&e, EDU_REG_IRQ_ACK, 0x1);
	/* unmasked on read, and not firing again once acknowledged */
	EXPECT_PASS(expect_nothing_pending(e.fd, "after INTx ack"));

	/* the line was unmasked: a new interrupt arrives */
	edu_write(&e, EDU_REG_IRQ_RAISE, 0x2);
	EXPECT_PASS(expect_irq_read(e.fd, 0, "INTx raised again"));
	/* not acknowledged: after the unmask on read it fires once more */
	EXPECT_PASS(expect_irq_read(e.fd, 0,
				    "second read() without ack (line still asserted)"));
	edu_write(&e, EDU_REG_IRQ_ACK, 0x2);
	EXPECT_PASS(expect_nothing_pending(e.fd, "after the final ack"));

	return expect_disconnected(e.fd, irq);
}

enum st_result test_irq_intx(void)
{
	enum st_result res;

	res = set_irq_mode("intx");
	if (res == ST_PASS)
		res = irq_intx_body();
	st_release_all();
	if (write_sysfs("auto", IRQ_MODE_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore \"auto\" in " IRQ_MODE_PARAM);
	return res;
}

/*
 * The second edu on a new fd, quiet (status and interrupts cleared), its
 * interrupt connected (INTx: pci_irq_mode=intx), on the first edu's line irq1.
 */
static enum st_result second_edu_on_line(struct edu *e2, const struct st_pci *p2,
					 unsigned int irq1, unsigned int *irq2)
{
	int fd = at_open();

	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	EXPECT_PASS(edu_attach_dev(e2, fd, p2, true));
	edu_write(e2, EDU_REG_STATUS, 0);
	edu_write(e2, EDU_REG_IRQ_ACK, 0xffffffff);
	EXPECT_OK(at_connect(e2->fd), "INT_CONNECT of the second edu %s in intx mode",
		  p2->bdf);
	EXPECT_OK(at_irq(e2->fd, irq2), "INT_INFO");
	EXPECT(irq1 == *irq2,
	       "edus %s (irq %u) and %s (irq %u) do not share an INTx line: the board must put them on slots whose INTx meet",
	       env.edu.bdf, irq1, p2->bdf, *irq2);
	return ST_PASS;
}

/* Both edus on one INTx line: each interrupt reaches its own fd only */
static enum st_result shared_intx_body(const struct st_pci *p2)
{
	unsigned int irq1, irq2;
	struct edu e1, e2;

	EXPECT_PASS(edu_connected_intx(&e1, &irq1));
	EXPECT_PASS(second_edu_on_line(&e2, p2, irq1, &irq2));

	edu_write(&e2, EDU_REG_IRQ_RAISE, 0x4);
	EXPECT_PASS(expect_irq_read(e2.fd, 1, "second edu raised"));
	EXPECT_PASS(expect_nothing_pending(e1.fd,
					   "on the first edu's fd when the second raised"));
	edu_write(&e2, EDU_REG_IRQ_ACK, 0x4);
	EXPECT_PASS(expect_nothing_pending(e2.fd, "second edu acked"));

	edu_write(&e1, EDU_REG_IRQ_RAISE, 0x8);
	EXPECT_PASS(expect_irq_read(e1.fd, 1, "first edu raised"));
	EXPECT_PASS(expect_nothing_pending(e2.fd,
					   "on the second edu's fd when the first raised"));
	edu_write(&e1, EDU_REG_IRQ_ACK, 0x8);

	/* both at once: each fd counts its own */
	edu_write(&e1, EDU_REG_IRQ_RAISE, 0x10);
	edu_write(&e2, EDU_REG_IRQ_RAISE, 0x10);
	EXPECT_PASS(expect_irq_read(e1.fd, 1, "both raised, first edu"));
	EXPECT_PASS(expect_irq_read(e2.fd, 1, "both raised, second edu"));
	edu_write(&e1, EDU_REG_IRQ_ACK, 0x10);
	edu_write(&e2, EDU_REG_IRQ_ACK, 0x10);

	/* one sharer leaves; the other still gets its interrupts */
	EXPECT_OK(at_disconnect(e1.fd), "INT_DISCONNECT of the first edu");
	edu_write(&e2, EDU_REG_IRQ_RAISE, 0x20);
	EXPECT_PASS(expect_irq_read(e2.fd, 1,
				    "second edu raised after the first disconnected"));
	edu_write(&e2, EDU_REG_IRQ_ACK, 0x20);
	return expect_disconnected(e2.fd, irq2);
}

/*
 * Run body with the second edu (on the first one's INTx line) and
 * pci_irq_mode=intx; release everything and restore "auto" afterwards.
 */
static enum st_result with_second_edu_intx(enum st_result (*body)(const struct st_pci *p2))
{
	struct st_pci p2;
	enum st_result res;

	EXPECT_PASS(need_edu());
	if (pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, 1, &p2))
		return st_fail("needs a second edu on the first one's INTx line (QEMU: -device edu,addr=6 beside the one at addr=2)");

	res = set_irq_mode("intx");
	if (res == ST_PASS)
		res = body(&p2);
	st_release_all();
	if (write_sysfs("auto", IRQ_MODE_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore \"auto\" in " IRQ_MODE_PARAM);
	return res;
}

enum st_result test_irq_shared_intx(void)
{
	return with_second_edu_intx(shared_intx_body);
}

static enum st_result expect_poll(int fd, int timeout_ms, short want,
				  const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return st_fail_ret(ret, errno, 0, "%s: poll()", what);
	EXPECT(ret == (want ? 1 : 0) && (pfd.revents & ~POLLRDNORM) == want,
	       "%s: poll(POLLIN, %d ms) returned %d, revents 0x%x, expected revents 0x%x",
	       what, timeout_ms, ret, pfd.revents, want);
	return ST_PASS;
}

enum st_result test_poll(void)
{
	unsigned int irq;
	struct edu e;

	EXPECT_PASS(edu_open(&e, true));
	EXPECT_PASS(expect_poll(e.fd, 0, POLLERR, "not connected"));
	st_release_all();

	EXPECT_PASS(edu_connected(&e, &irq));
	EXPECT_PASS(expect_poll(e.fd, 0, 0, "connected, nothing raised"));
	edu_write(&e, EDU_REG_IRQ_RAISE, 0x1);
	EXPECT_PASS(expect_poll(e.fd, 2000, POLLIN, "interrupt raised"));
	EXPECT_PASS(expect_irq_read(e.fd, 0, "after poll() reported POLLIN"));
	edu_write(&e, EDU_REG_IRQ_ACK, 0x1);
	EXPECT_PASS(expect_poll(e.fd, 0, 0, "read and acknowledged"));
	EXPECT_PASS(expect_disconnected(e.fd, irq));
	EXPECT_PASS(expect_poll(e.fd, 0, POLLERR, "disconnected"));
	return ST_PASS;
}

struct reader {
	int fd;
	int pipe_w;
	volatile pid_t tid;
	ssize_t ret;
	int err;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	uint32_t n;
	char done = 1;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->ret = read(r->fd, &n, sizeof(n));
	r->err = errno;
	if (write(r->pipe_w, &done, 1) < 0)
		r->err = errno;
	return NULL;
}

/* Is the thread asleep (state S)? */
static bool thread_sleeping(void *arg)
{
	const struct reader *r = arg;
	char stat[512], *p;

	if (!r->tid || read_file(stat, sizeof(stat), "/proc/self/task/%d/stat",
				 (int)r->tid) < 0)
		return false;
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

enum st_result test_irq_disconnect_wakes_reader(void)
{
	struct reader r = { 0 };
	struct pollfd pfd;
	pthread_t thread;
	unsigned int irq;
	uint64_t start;
	int fds[2], ret, fd;
	struct edu e;
	uint32_t n;
	char c;

	/* not connected: no device, then a device but no IRQ */
	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	EXPECT_ERR(read(fd, &n, sizeof(n)), EINVAL, "read() on a fresh fd");
	EXPECT_PASS(edu_open(&e, true));
	EXPECT_ERR(read(e.fd, &n, sizeof(n)), EINVAL,
		   "read() with the edu configured but no IRQ connected");
	st_release_all();

	EXPECT_PASS(edu_connected(&e, &irq));
	EXPECT_ERR(read(e.fd, &n, 2), EINVAL, "read() into a 2-byte buffer");

	EXPECT_OK(pipe(fds), "pipe");
	r.fd = e.fd;
	r.pipe_w = fds[1];
	ret = pthread_create(&thread, NULL, reader_thread, &r);
	EXPECT(!ret, "pthread_create: %s", strerror(ret));
	if (!poll_until(thread_sleeping, &r, 2000))
		st_diag("reader thread not seen asleep after 2 s; disconnecting anyway");
	sleep_ms(100);

	start = now_ms();
	EXPECT_OK(at_disconnect(e.fd), "INT_DISCONNECT while a reader waits");
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 2000);
	EXPECT(ret == 1, "the blocked read() did not return within 2 s of INT_DISCONNECT");
	EXPECT(read(fds[0], &c, 1) == 1, "reader pipe");
	pthread_join(thread, NULL);
	EXPECT(r.ret == -1 && r.err == EINVAL,
	       "blocked read() woken by INT_DISCONNECT returned %zd (%s), expected -1 EINVAL",
	       r.ret, r.ret < 0 ? st_errname(r.err) : "data");
	st_diag("read() returned %llu ms after INT_DISCONNECT",
		(unsigned long long)(now_ms() - start));
	EXPECT(!proc_irq_has(irq, "atemsys"),
	       "/proc/interrupts still names atemsys on irq %u", irq);
	EXPECT_ERR(read(e.fd, &n, sizeof(n)), EINVAL, "read() after INT_DISCONNECT");
	return ST_PASS;
}

static enum st_result affinity_reads(unsigned int irq, const char *want)
{
	char list[64];

	EXPECT_OK(read_sysfs_line(list, sizeof(list),
				  "/proc/irq/%u/smp_affinity_list", irq),
		  "read /proc/irq/%u/smp_affinity_list", irq);
	EXPECT(!strcmp(list, want),
	       "/proc/irq/%u/smp_affinity_list reads \"%s\", expected \"%s\"",
	       irq, list, want);
	return ST_PASS;
}

/*
 * The CPUs the handler thread of irq may run on ("1"), or "" when the
 * handler has no thread (a PREEMPT_RT kernel threads every handler; others
 * only with threadirqs). Its name is "irq/<irq>-atemsys".
 */
static void irq_thread_cpus(unsigned int irq, char cpus[32])
{
	char comm[64], want[32], status[4096];
	struct dirent *d;
	DIR *dir;

	cpus[0] = '\0';
	snprintf(want, sizeof(want), "irq/%u-atemsys", irq);
	dir = opendir("/proc");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char *p;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (read_sysfs_line(comm, sizeof(comm), "/proc/%s/comm", d->d_name) ||
		    strcmp(comm, want))
			continue;
		if (read_file(status, sizeof(status), "/proc/%s/status", d->d_name) < 0)
			break;
		p = strstr(status, "Cpus_allowed_list:");
		if (p)
			sscanf(p, "Cpus_allowed_list: %31s", cpus);
		break;
	}
	closedir(dir);
}

/*
 * With the affinity on CPU 1, interrupts raised now are handled there: the
 * CPU 1 column of /proc/interrupts counts them (all but the first, which
 * may still arrive the old way on x86's IO-APIC), and a handler thread
 * follows the interrupt to CPU 1.
 */
static enum st_result affinity_takes_effect(const struct edu *e, unsigned int irq)
{
	long c0 = proc_irq_cpu_count(irq, 0), c1 = proc_irq_cpu_count(irq, 1);
	long d0, d1;
	char cpus[32];
	int i;

	EXPECT(c0 >= 0 && c1 >= 0, "/proc/interrupts: no counts for irq %u", irq);
	for (i = 0; i < 10; i++)
		EXPECT_PASS(edu_irq_roundtrip(e, 0x10 + (uint32_t)i, IRQ_TIMEOUT_MS, NULL));
	d0 = proc_irq_cpu_count(irq, 0) - c0;
	d1 = proc_irq_cpu_count(irq, 1) - c1;
	EXPECT(d1 >= 9,
	       "10 interrupts with the affinity on CPU 1: %ld counted on CPU 1, %ld on CPU 0",
	       d1, d0);
	irq_thread_cpus(irq, cpus);
	if (cpus[0]) {
		EXPECT(!strcmp(cpus, "1"),
		       "handler thread irq/%u-atemsys may run on CPUs \"%s\", expected \"1\"",
		       irq, cpus);
		st_diag("irq %u: %ld of 10 on CPU 1; its handler thread runs on CPU %s",
			irq, d1, cpus);
	} else {
		st_diag("irq %u: %ld of 10 on CPU 1 (no handler thread)", irq, d1);
	}
	return ST_PASS;
}

enum st_result test_cpu_affinity(void)
{
	uint32_t mask4;
	unsigned int irq;
	cpu_set_t set;
	struct edu e;

	if (env.ncpus < 2)
		return st_skip("%ld CPU online: needs 2 (QEMU -smp 2)", env.ncpus);
	EXPECT(path_exists("/sys/devices/system/cpu/cpu1"), "no CPU 1");

	EXPECT_PASS(edu_open(&e, true));
	mask4 = 1u << 1;
	EXPECT_ERR(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY, &mask4),
		   ENOTCONN, "INT_SET_CPU_AFFINITY before INT_CONNECT");
	st_release_all();

	EXPECT_PASS(edu_connected(&e, &irq));

	/* the historical 4-byte mask: CPU 1 */
	mask4 = 1u << 1;
	EXPECT_OK(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY, &mask4),
		  "INT_SET_CPU_AFFINITY {CPU 1} (4 bytes)");
	EXPECT_PASS(affinity_reads(irq, "1"));
	EXPECT_PASS(affinity_takes_effect(&e, irq));

	/* a whole cpu_set_t: CPU 0 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	EXPECT_OK(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(sizeof(set)),
			&set),
		  "INT_SET_CPU_AFFINITY_N(%zu) {CPU 0}", sizeof(set));
	EXPECT_PASS(affinity_reads(irq, "0"));

	/* no online CPU in the mask */
	mask4 = 0;
	EXPECT_ERR(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY, &mask4),
		   EINVAL, "INT_SET_CPU_AFFINITY with an empty mask");
	CPU_ZERO(&set);
	EXPECT_ERR(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(sizeof(set)),
			 &set),
		   EINVAL, "INT_SET_CPU_AFFINITY_N with an empty cpu_set_t");
	if (sysconf(_SC_NPROCESSORS_CONF) < 32) {
		mask4 = 1u << 31;
		EXPECT_ERR(ioctl(e.fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY, &mask4),
			   EINVAL, "INT_SET_CPU_AFFINITY {CPU 31} (not present)");
	}
	/* refusals leave the affinity alone */
	EXPECT_PASS(affinity_reads(irq, "0"));
	return expect_disconnected(e.fd, irq);
}

/* The process that holds everything and gets killed */
static void victim(int pipe_w)
{
	const char *msg = "ready";
	struct edu e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (edu_open(&e, true) != ST_PASS)
		msg = "CONF or BAR mmap failed";
	else if (at_connect(e.fd))
		msg = "INT_CONNECT failed";
	else if (!st_mmap(e.fd, 0, (size_t)page_size()))
		msg = "DMA mmap failed";
	if (write(pipe_w, msg, strlen(msg)) < 0)
		_exit(1);
	for (;;)
		pause();
}

static bool atemsys_irq_gone(void *arg)
{
	(void)arg;
	return proc_interrupts_count("atemsys") == 0;
}

static bool bus_master_off(void *arg)
{
	(void)arg;
	return pci_bus_master(&env.edu) == 0;
}

enum st_result test_killed_child_cleanup(void)
{
	struct pollfd pfd;
	char msg[64] = "";
	unsigned int irq;
	int fds[2], status, ret;
	struct edu e;
	ssize_t n;
	pid_t pid;

	EXPECT_PASS(need_edu());
	EXPECT(proc_interrupts_count("atemsys") == 0,
	       "/proc/interrupts names atemsys before the test");
	EXPECT_OK(pipe(fds), "pipe");

	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(fds[0]);
		victim(fds[1]);
	}
	close(fds[1]);

	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, (int)st_slow_ms(5000));
	n = ret == 1 ? read(fds[0], msg, sizeof(msg) - 1) : -1;
	if (n > 0)
		msg[n] = '\0';
	if (strcmp(msg, "ready")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return st_fail("child: %s", msg[0] ? msg : "no word in time");
	}

	ret = proc_interrupts_count("atemsys");
	if (ret < 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return st_fail("/proc/interrupts does not name atemsys while the child holds the IRQ");
	}
	EXPECT(pci_bus_master(&env.edu) == 1,
	       "edu bus mastering is off while the child has it configured");

	EXPECT_OK(kill(pid, SIGKILL), "kill the child");
	EXPECT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	       "waitpid: the child did not die of SIGKILL");

	EXPECT(poll_until(atemsys_irq_gone, NULL, 2000),
	       "/proc/interrupts still names atemsys 2 s after the holder was killed");
	EXPECT(poll_until(bus_master_off, NULL, 2000),
	       "edu bus mastering still on 2 s after the holder was killed");

	/* everything was given back: the device works for the next process */
	EXPECT_PASS(edu_connected(&e, &irq));
	EXPECT_PASS(edu_irq_roundtrip(&e, 0x1, IRQ_TIMEOUT_MS, NULL));
	EXPECT_PASS(expect_disconnected(e.fd, irq));
	EXPECT(proc_interrupts_count("atemsys") == 0,
	       "/proc/interrupts names atemsys after the last disconnect");
	return ST_PASS;
}

/* Kernel log lines containing needle */
static int klog_count(const char *needle)
{
	char *log = klog_read(), *p;
	int n = 0;

	if (!log)
		return -1;
	for (p = log; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* In the child of test_killed_holder_quiet: the first edu on MSI */
static const char *hold_edu_msi(void *arg)
{
	struct edu *e = arg;

	if (edu_open(e, true) != ST_PASS)
		return "CONF or BAR mmap failed";
	if (at_connect(e->fd))
		return "INT_CONNECT failed";
	return NULL;
}

/* Interrupts of irq on all CPUs, from /proc/interrupts; -1 if none */
static long irq_total(unsigned int irq)
{
	long n, total = -1;
	unsigned int cpu;

	for (cpu = 0; cpu < (unsigned int)env.ncpus; cpu++) {
		n = proc_irq_cpu_count(irq, cpu);
		if (n < 0)
			break;
		total = (total < 0 ? 0 : total) + n;
	}
	return total;
}

static bool one_atemsys_irq(void *arg)
{
	(void)arg;
	return proc_interrupts_count("atemsys") == 1;
}

/*
 * The first edu, held on MSI by a process that is then killed, raises its
 * interrupt (a NIC left with its causes enabled does on the next frame),
 * through its BAR in sysfs since nobody holds it. Its INTx line is shared
 * with the second edu, held on INTx by this process: the line must stay
 * quiet (INTx Disable set on release), the kernel must not log "nobody
 * cared", and the second edu's interrupts keep arriving.
 */
static enum st_result killed_holder_body(const struct st_pci *p2)
{
	unsigned int irq1 = 0, irq2, msi[8];
	int status, fd, nobody = klog_count("nobody cared");
	volatile void *bar1;
	long before, storm;
	struct edu e1, e2;
	char path[256], why[128];
	pid_t pid;

	EXPECT(!pci_read_irq(&env.edu, &irq1) && irq1,
	       "%s/irq: no INTx line for the first edu", env.edu.bdf);
	EXPECT_PASS(second_edu_on_line(&e2, p2, irq1, &irq2));

	EXPECT_PASS(set_irq_mode("msi"));
	pid = st_fork_holder(hold_edu_msi, &e1, why, sizeof(why));
	EXPECT(pid > 0, "the child could not take the first edu on MSI: %s", why);
	if (pci_msi_irqs(&env.edu, msi, 8) < 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return st_fail("%s/msi_irqs/ is empty while the child holds the edu in msi mode",
			       env.edu.bdf);
	}
	EXPECT_OK(kill(pid, SIGKILL), "kill the MSI holder");
	EXPECT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	       "waitpid: the MSI holder did not die of SIGKILL");
	EXPECT(poll_until(one_atemsys_irq, NULL, 2000),
	       "/proc/interrupts: %d lines name atemsys 2 s after the MSI holder was killed, expected 1 (the second edu's)",
	       proc_interrupts_count("atemsys"));
	EXPECT(pci_msi_irqs(&env.edu, msi, 8) == 0,
	       "%s/msi_irqs/ still lists vectors after its holder was killed",
	       env.edu.bdf);
	snprintf(path, sizeof(path), PCI_SYSFS "/%s/resource0", env.edu.bdf);
	fd = st_open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open %s", path);
	bar1 = st_mmap(fd, 0, (size_t)page_size());
	EXPECT(bar1, "mmap %s: %s", path, strerror(errno));
	before = irq_total(irq1);
	mmio_write32(bar1, EDU_REG_IRQ_RAISE, 0x40);
	sleep_ms(2000);
	storm = irq_total(irq1) - before;

	edu_write(&e2, EDU_REG_IRQ_RAISE, 0x80);
	EXPECT_PASS(expect_irq_read(e2.fd, 0,
				    "second edu raised while the unheld first edu's interrupt is raised"));
	edu_write(&e2, EDU_REG_IRQ_ACK, 0x80);
	mmio_write32(bar1, EDU_REG_IRQ_ACK, 0x40);
	st_diag("irq %u: %ld interrupts in the 2 s after the unheld edu raised", irq1,
		storm);
	EXPECT(storm < 10,
	       "irq %u fired %ld times in the 2 s after the unheld edu %s raised its interrupt: the line storms with no handler claiming it",
	       irq1, storm, env.edu.bdf);
	EXPECT(klog_count("nobody cared") == nobody,
	       "the kernel logged \"nobody cared\": irq %u storms while the unheld edu %s raises its interrupt",
	       irq1, env.edu.bdf);
	EXPECT(pci_intx_disabled(&env.edu) == 1,
	       "%s: INTx Disable is clear in the command register after its holder was killed",
	       env.edu.bdf);
	return expect_disconnected(e2.fd, irq2);
}

enum st_result test_killed_holder_quiet(void)
{
	return with_second_edu_intx(killed_holder_body);
}
