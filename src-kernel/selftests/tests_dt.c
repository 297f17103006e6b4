// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree mode tests: GET_MAC_INFO and the binding of an instance to
 * one fd, its registers through mmap and IOMEM_CMD, its interrupt, and the
 * refusals. The PHY/MDIO proxy is in tests_dt_phy.c.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "dt.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define DT_IRQ_TIMEOUT_MS	2000u
#define DT_NO_SUCH_INDEX	0x7fu
/* the kernel's DEFAULT_RATELIMIT_INTERVAL (5 s), and a margin */
#define DT_RATELIMIT_MS		5500u
/* an instance of the node's ident that does not exist */
#define DT_NO_SUCH_INSTANCE	(dt_env.instance + 99)

/* GET_MAC_INFO must fail with errno want and error_code ec */
static enum st_result expect_mac_info_err(int fd, const char *ident,
					  uint32_t instance, int want,
					  uint32_t ec)
{
	struct atemsys_mac_info mi;

	EXPECT_ERR(dt_mac_info(fd, ident, instance, &mi), want,
		   "GET_MAC_INFO(\"%s\", %u)", ident, instance);
	EXPECT(mi.error_code == ec,
	       "GET_MAC_INFO(\"%s\", %u): error_code %#x, expected %#x",
	       ident, instance, mi.error_code, ec);
	return ST_PASS;
}

enum st_result test_dt_mac_info(void)
{
	const struct atemsys_mac_info *mi;
	struct atemsys_mac_info again;
	uint32_t mode;
	struct dt_mac m;
	int fd;

	EXPECT_PASS(dt_open(&m, false));
	mi = &m.mi;
	EXPECT(dt_mac_ops_find(dt_env.ident),
	       "%s: atemsys-Ident \"%s\", instance %u: no dt_mac_ops for this MAC",
	       dt_env.node, dt_env.ident, dt_env.instance);
	EXPECT(mi->reg_addr == dt_env.reg_addr &&
	       mi->reg_size == dt_env.reg_size,
	       "GET_MAC_INFO reg %#llx+%#x, the node's reg is %#llx+%#llx",
	       (unsigned long long)mi->reg_addr, mi->reg_size,
	       (unsigned long long)dt_env.reg_addr,
	       (unsigned long long)dt_env.reg_size);
	EXPECT(mi->status == 1, "GET_MAC_INFO status %u for an okay node",
	       mi->status);
	mode = dt_phy_mode_flag(dt_env.phy_mode);
	EXPECT(!mode || mi->phy_mode == mode,
	       "GET_MAC_INFO phy_mode %#x for phy-mode \"%s\", expected %#x",
	       mi->phy_mode, dt_env.phy_mode, mode);
	EXPECT(mi->phy_addr == dt_env.phy_addr,
	       "GET_MAC_INFO phy_addr %#x, the node's PHY is at %#x",
	       mi->phy_addr, dt_env.phy_addr);
	EXPECT(dt_env.phy_on_own_bus,
	       "%s: phy-handle names no PHY below the node; the dt tests need the MAC's own MDIO bus",
	       dt_env.node);
	EXPECT(!mi->no_mdio_bus,
	       "GET_MAC_INFO no_mdio_bus set, but the PHY is on the node's own bus");
	EXPECT(mi->index < 16, "GET_MAC_INFO index %u", mi->index);

	/* the holder asking again gets the same answer */
	EXPECT_OK(dt_mac_info(m.fd, dt_env.ident, dt_env.instance, &again),
		  "second GET_MAC_INFO on the holding fd");
	EXPECT(again.index == mi->index && again.reg_addr == mi->reg_addr,
	       "second GET_MAC_INFO: index %u, reg %#llx; first: %u, %#llx",
	       again.index, (unsigned long long)again.reg_addr, mi->index,
	       (unsigned long long)mi->reg_addr);

	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_PASS(expect_mac_info_err(fd, "NoSuchMac", dt_env.instance,
					ENOENT, ATEMSYS_EC_E_NOTFOUND));
	EXPECT_PASS(expect_mac_info_err(fd, dt_env.ident, DT_NO_SUCH_INSTANCE,
					ENOENT, ATEMSYS_EC_E_NOTFOUND));
	/* the holder cannot take a second instance (or this unknown one) */
	EXPECT_PASS(expect_mac_info_err(m.fd, "NoSuchMac", 1, ENOENT,
					ATEMSYS_EC_E_NOTFOUND));
	return ST_PASS;
}

static const uint8_t dt_test_mac[6] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };

static enum st_result expect_mac(const struct dt_mac *m, const uint8_t *want,
				 const char *how)
{
	uint8_t got[6];

	m->ops->mac_get(m->regs, got);
	EXPECT(!memcmp(got, want, sizeof(got)),
	       "%s MAC address registers read %02x:%02x:%02x:%02x:%02x:%02x after %s %02x:%02x:%02x:%02x:%02x:%02x",
	       m->ops->name, got[0], got[1], got[2], got[3], got[4], got[5],
	       how, want[0], want[1], want[2], want[3], want[4], want[5]);
	return ST_PASS;
}

enum st_result test_dt_reg_mmap(void)
{
	uint8_t mac[6];
	enum st_result res;
	uint32_t *dma;
	uint64_t beyond;
	struct dt_mac m;
	void *p;
	int fd;

	EXPECT_PASS(need_dt());
	/* not before the fd holds the instance */
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT(!st_mmap(fd, dt_env.reg_addr, page_size()) && errno == EPERM,
	       "mmap of reg %#llx by an fd without the instance: %s, expected EPERM",
	       (unsigned long long)dt_env.reg_addr,
	       errno ? strerror(errno) : "mapped");

	EXPECT_PASS(dt_open(&m, true));
	m.ops->mac_get(m.regs, mac);
	st_diag("%s MAC address registers: %02x:%02x:%02x:%02x:%02x:%02x",
		m.ops->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	m.ops->mac_set(m.regs, dt_test_mac);
	res = expect_mac(&m, dt_test_mac, "writing");
	m.ops->mac_set(m.regs, mac);
	if (res != ST_PASS)
		return res;
	EXPECT_PASS(expect_mac(&m, mac, "restoring"));

	/* the page after the range is not the fd's */
	beyond = (m.mi.reg_addr + m.mi.reg_size + page_size() - 1) &
		 ~(uint64_t)(page_size() - 1);
	errno = 0;
	p = st_mmap(m.fd, beyond, page_size());
	EXPECT(!p && errno == EPERM,
	       "mmap of %#llx, after reg: %s, expected EPERM",
	       (unsigned long long)beyond, p ? "mapped" : strerror(errno));

	/* DMA memory now comes from the MAC's device */
	dma = st_mmap(m.fd, 0, page_size());
	EXPECT(dma, "mmap of a DMA buffer: %s", strerror(errno));
	EXPECT(dma[0] && !(dma[0] % page_size()),
	       "DMA buffer bus address %#x: not a page address", dma[0]);
	return ST_PASS;
}

/* Is the last "is held by pid" line of the kernel log about pid? */
static bool dt_busy_logged(const char *pid, char *line, size_t len)
{
	return klog_last_line("is held by pid", line, len) &&
	       strstr(line, pid);
}

enum st_result test_dt_second_fd_busy(void)
{
	struct atemsys_mac_info mi;
	struct atemsys_phy_info info;
	char line[512], pid[32];
	struct dt_mac m;
	int fd;

	EXPECT_PASS(dt_open(&m, false));
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_PASS(expect_mac_info_err(fd, dt_env.ident, dt_env.instance,
					EBUSY, ATEMSYS_EC_E_BUSY));
	snprintf(pid, sizeof(pid), "held by pid %d ", (int)getpid());
	if (!dt_busy_logged(pid, line, sizeof(line))) {
		/*
		 * The notice is rate-limited (printk_ratelimit: 10 per 5 s
		 * per call site); the fuzzer may have used them up just
		 * before. The next interval logs again.
		 */
		sleep_ms(DT_RATELIMIT_MS);
		EXPECT_PASS(expect_mac_info_err(fd, dt_env.ident,
						dt_env.instance, EBUSY,
						ATEMSYS_EC_E_BUSY));
	}
	EXPECT(dt_busy_logged(pid, line, sizeof(line)),
	       "no kernel log line naming the holder (\"%s\"): last is \"%s\"",
	       pid, line);
	/* nor may it use the holder's index */
	EXPECT_ERR(dt_phy_info(fd, m.mi.index, &info), EBUSY,
		   "GET_PHY_INFO on the holder's index from another fd");
	EXPECT(info.error_code == ATEMSYS_EC_E_BUSY,
	       "GET_PHY_INFO from another fd: error_code %#x",
	       info.error_code);

	/* free again once the holder is closed */
	EXPECT_OK(st_close(m.fd), "close the holder");
	EXPECT_OK(dt_mac_info(fd, dt_env.ident, dt_env.instance, &mi),
		  "GET_MAC_INFO after the holder closed");
	return ST_PASS;
}

static enum st_result dt_expect_irq(int fd, const char *what)
{
	uint32_t n = 0;
	ssize_t ret;

	ret = read_timeout(fd, &n, sizeof(n), DT_IRQ_TIMEOUT_MS);
	if (ret < 0 && errno == ETIMEDOUT)
		return st_fail("%s: read() got no interrupt within %u ms",
			       what, DT_IRQ_TIMEOUT_MS);
	EXPECT(ret == (ssize_t)sizeof(n) && n >= 1,
	       "%s: read() returned %zd (%s), count %u", what, ret,
	       ret < 0 ? strerror(errno) : "-", n);
	return ST_PASS;
}

static enum st_result dt_expect_no_irq(int fd, const char *what)
{
	uint32_t n;

	EXPECT_OK(set_nonblock(fd, true), "O_NONBLOCK");
	EXPECT_ERR(read(fd, &n, sizeof(n)), EAGAIN, "O_NONBLOCK read() %s",
		   what);
	EXPECT_OK(set_nonblock(fd, false), "clear O_NONBLOCK");
	return ST_PASS;
}

static enum st_result dt_irq_body(struct dt_mac *m)
{
	const struct dt_mac_ops *ops = m->ops;
	char what[96];
	unsigned int irq = 0;

	EXPECT_ERR(ioctl(m->fd, ATEMSYS_IOCTL_INT_CONNECT,
			 (unsigned long)ATEMSYS_USE_PCI_INT), ENODEV,
		   "INT_CONNECT(ATEMSYS_USE_PCI_INT) without a PCI device");
	EXPECT_ERR(ioctl(m->fd, ATEMSYS_IOCTL_INT_CONNECT, 99UL), ENXIO,
		   "INT_CONNECT(99): the node has no interrupt 99");
	EXPECT_OK(ioctl(m->fd, ATEMSYS_IOCTL_INT_CONNECT, 0UL),
		  "INT_CONNECT(0)");
	EXPECT_OK(at_irq(m->fd, &irq), "INT_INFO");
	EXPECT(irq && proc_irq_has(irq, "atemsys"),
	       "/proc/interrupts: no line for irq %u naming atemsys", irq);

	/* masked in the handler until read() comes back */
	ops->irq_raise(m);
	snprintf(what, sizeof(what), "%s %s", ops->name, ops->irq_event);
	EXPECT_PASS(dt_expect_irq(m->fd, what));
	EXPECT(ops->irq_pending(m), "interrupt, but the %s is not pending",
	       ops->irq_event);
	ops->irq_ack(m);
	EXPECT(!ops->irq_pending(m), "%s still pending after the ack",
	       ops->irq_event);
	snprintf(what, sizeof(what), "after the %s was cleared",
		 ops->irq_event);
	EXPECT_PASS(dt_expect_no_irq(m->fd, what));

	/* unmasked by that read: the next event arrives */
	ops->irq_raise(m);
	snprintf(what, sizeof(what), "second %s", ops->irq_event);
	EXPECT_PASS(dt_expect_irq(m->fd, what));
	/* not cleared: unmasking on read() makes it fire again */
	EXPECT_PASS(dt_expect_irq(m->fd, "read() with the event not cleared"));
	ops->irq_ack(m);
	EXPECT(!ops->irq_pending(m), "%s still pending after the second ack",
	       ops->irq_event);
	EXPECT_PASS(dt_expect_no_irq(m->fd, "after the final clear"));

	EXPECT_OK(at_disconnect(m->fd), "INT_DISCONNECT");
	EXPECT(!proc_irq_has(irq, "atemsys"),
	       "/proc/interrupts still names atemsys on irq %u", irq);
	return ST_PASS;
}

enum st_result test_dt_irq(void)
{
	enum st_result res;
	struct dt_mac m;

	EXPECT_PASS(dt_open(&m, true));
	EXPECT_PASS(m.ops->irq_setup(&m));
	res = dt_irq_body(&m);
	m.ops->irq_restore(&m);
	return res;
}

static int iomem(int fd, uint32_t index, uint32_t cmd, uint64_t phys,
		 uint32_t size, uint32_t offset, uint32_t data_size,
		 uint32_t *data)
{
	struct atemsys_iomem_cmd c = {
		.index = index,
		.cmd = cmd,
		.phys = phys,
		.size = size,
		.offset = offset,
		.data_size = data_size,
	};
	int ret;

	if (data)
		memcpy(c.data, data, sizeof(c.data));
	ret = ioctl(fd, ATEMSYS_IOCTL_IOMEM_CMD, &c);
	if (!ret && data)
		memcpy(data, c.data, sizeof(c.data));
	return ret;
}

/* IOMEM_CMD on the register with MAC address bytes 0-3 (lo) */
static enum st_result dt_iomem_body(struct dt_mac *m)
{
	uint64_t reg = m->mi.reg_addr;
	uint32_t idx = m->mi.index, data[4] = { 0 }, i, off, lo;
	int fd;

	off = m->ops->mac_lo;
	lo = mmio_read32(m->regs, off);
	EXPECT_OK(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_MAP_PERMANENT, reg,
			0x1000, 0, 0, NULL), "IOMEM_CMD MAP of reg, 4 KiB");
	data[0] = lo ^ 0x5a5a5a5a;
	EXPECT_OK(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_WRITE, reg, 0, off, 4,
			data), "IOMEM_CMD WRITE of the register at %#x", off);
	EXPECT(mmio_read32(m->regs, off) == data[0],
	       "register %#x reads %#x through mmap after IOMEM_CMD wrote %#x",
	       off, mmio_read32(m->regs, off), data[0]);
	mmio_write32(m->regs, off, lo ^ 0xffff);
	memset(data, 0, sizeof(data));
	EXPECT_OK(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_READ, reg, 0, off, 4,
			data), "IOMEM_CMD READ of the register at %#x", off);
	EXPECT(data[0] == (lo ^ 0xffff),
	       "IOMEM_CMD READ of register %#x: %#x, mmap wrote %#x", off,
	       data[0], lo ^ 0xffff);

	/* out of the mapping, too much, not mapped, not the fd's */
	EXPECT_ERR(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_READ, reg, 0, 0xffe, 4,
			 data), EINVAL, "IOMEM_CMD READ of 4 bytes at 0xffe");
	EXPECT_ERR(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_READ, reg, 0, 0, 17,
			 data), EINVAL, "IOMEM_CMD READ of 17 bytes");
	EXPECT_ERR(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_READ, reg + 0x1000, 0,
			 0, 4, data), ENOENT,
		   "IOMEM_CMD READ of a range that is not mapped");
	EXPECT_ERR(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_MAP_PERMANENT,
			 reg + m->mi.reg_size + page_size(), 0x100, 0, 0, NULL),
		   EPERM, "IOMEM_CMD MAP beyond the node's reg");
	EXPECT_ERR(iomem(m->fd, idx, 99, reg, 0, 0, 4, data), EINVAL,
		   "IOMEM_CMD with command 99");
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_ERR(iomem(fd, idx, ATEMSYS_IOMEM_CMD_READ, reg, 0, 0, 4, data),
		   EBUSY, "IOMEM_CMD from an fd that does not hold the instance");

	/* a limited number of mappings per fd */
	for (i = 1; i < 64; i++)
		if (iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_MAP_PERMANENT,
			  reg + 0x10 * i, 0x10, 0, 0, NULL))
			break;
	EXPECT(i < 64 && errno == ENOSPC,
	       "IOMEM_CMD MAP: %u mappings without ENOSPC (last: %s)", i,
	       strerror(errno));

	/* unmapped: gone */
	EXPECT_OK(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_UNMAP_PERMANENT, reg, 0,
			0, 0, NULL), "IOMEM_CMD UNMAP");
	EXPECT_ERR(iomem(m->fd, idx, ATEMSYS_IOMEM_CMD_READ, reg, 0, off, 4,
			 data), ENOENT, "IOMEM_CMD READ after UNMAP");
	return ST_PASS;
}

enum st_result test_dt_iomem(void)
{
	enum st_result res;
	struct dt_mac m;
	uint8_t mac[6];

	EXPECT_PASS(dt_open(&m, true));
	m.ops->mac_get(m.regs, mac);
	res = dt_iomem_body(&m);
	m.ops->mac_set(m.regs, mac);
	return res;
}

enum st_result test_dt_negative(void)
{
	struct atemsys_phy_info info;
	struct dt_mac m;
	uint32_t arg, ec;
	int fd;

	/* the index exists, but no fd holds it */
	EXPECT_PASS(dt_open(&m, false));
	EXPECT_OK(st_close(m.fd), "close");
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_ERR(dt_phy_start_stop(fd, m.mi.index, true, &ec), EPERM,
		   "PHY_START_STOP without GET_MAC_INFO");
	EXPECT(ec == ATEMSYS_EC_E_ERROR, "error_code %#x", ec);
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_INT_CONNECT, 0UL), ENODEV,
		   "INT_CONNECT(0) without a device");

	EXPECT_PASS(dt_open(&m, false));
	EXPECT_ERR(dt_phy_info(m.fd, DT_NO_SUCH_INDEX, &info), ENODEV,
		   "GET_PHY_INFO with index %u", DT_NO_SUCH_INDEX);
	EXPECT(info.error_code == ATEMSYS_EC_E_INVALIDINDEX,
	       "GET_PHY_INFO with an unknown index: error_code %#x",
	       info.error_code);
	EXPECT(!m.mi.phy_reset_supported,
	       "phy_reset_supported set without atemsys-phy-reset-gpios");
	arg = m.mi.index;
	EXPECT_ERR(ioctl(m.fd, ATEMSYS_IOCTL_PHY_RESET, &arg), EOPNOTSUPP,
		   "PHY_RESET without a reset GPIO");
	EXPECT(arg == ATEMSYS_EC_E_NOTSUPPORTED,
	       "PHY_RESET without a reset GPIO: code %#x", arg);
	EXPECT_ERR(ioctl(m.fd, ATEMSYS_IOCTL_GET_MAC_INFO, NULL), EFAULT,
		   "GET_MAC_INFO(NULL)");
	/* one device per fd */
	if (env.edu.present) {
		at_desc d;

		EXPECT_ERR(at_conf(m.fd, &env.edu, &d), EBUSY,
			   "PCI_CONF_DEVICE on an fd holding a DT instance");
	}
	return ST_PASS;
}

#define DT_DRIVER_SYSFS		"/sys/bus/platform/drivers/atemsys"

struct child_wait {
	pid_t pid;
	int status;
};

static bool child_exited(void *arg)
{
	struct child_wait *w = arg;

	return waitpid(w->pid, &w->status, WNOHANG) == w->pid;
}

/*
 * Child: unbind the MAC from atemsys; exit status 0 once that returned. It
 * must not keep the holder's fd open (it would wait for itself).
 */
static void __attribute__((noreturn)) dt_unbinder(void)
{
	st_release_all();
	_exit(write_sysfs(dt_env.name, DT_DRIVER_SYSFS "/unbind") ? 1 : 0);
}

static enum st_result dt_unbind_held(void)
{
	struct child_wait w = { 0 };
	struct dt_mac m;
	char line[256];

	EXPECT_PASS(dt_open(&m, true));
	w.pid = fork();
	EXPECT(w.pid >= 0, "fork: %s", strerror(errno));
	if (!w.pid)
		dt_unbinder();

	/* remove() waits for the holder */
	sleep_ms(300);
	EXPECT(!child_exited(&w),
	       "unbind returned (status %#x) while an fd holds the MAC",
	       w.status);
	EXPECT(klog_last_line("unbind waits until it closes", line,
			      sizeof(line)),
	       "no kernel log line about the unbind waiting for the holder");

	EXPECT_OK(st_munmap((void *)m.regs, m.mi.reg_size), "munmap");
	EXPECT_OK(st_close(m.fd), "close the holder");
	EXPECT(poll_until(child_exited, &w, 2000),
	       "unbind still waiting 2 s after the holder closed");
	EXPECT(WIFEXITED(w.status) && !WEXITSTATUS(w.status),
	       "unbind failed after the holder closed (status %#x)", w.status);
	return ST_PASS;
}

enum st_result test_dt_unbind_rebind(void)
{
	struct atemsys_mac_info mi;
	enum st_result res;
	int fd;

	EXPECT_PASS(need_dt());
	res = dt_unbind_held();
	if (!path_exists(DT_DRIVER_SYSFS "/%s", dt_env.name) &&
	    write_sysfs(dt_env.name, DT_DRIVER_SYSFS "/bind") && res == ST_PASS)
		return st_fail_ret(-1, errno, 0, "bind %s to atemsys again",
				   dt_env.name);
	if (res != ST_PASS)
		return res;

	EXPECT(path_exists(DT_DRIVER_SYSFS "/%s", dt_env.name),
	       "%s is not bound to atemsys after bind", dt_env.name);
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_OK(dt_mac_info(fd, dt_env.ident, dt_env.instance, &mi),
		  "GET_MAC_INFO after unbind and bind");
	EXPECT(mi.reg_addr == dt_env.reg_addr,
	       "GET_MAC_INFO after the rebind: reg %#llx",
	       (unsigned long long)mi.reg_addr);
	return ST_PASS;
}

/*
 * Child: hold the MAC with its interrupt connected and its event raised.
 * arg: a struct dt_mac in memory shared with the parent, whose saved[]
 * keeps the state before the child's set-up.
 */
static const char *dt_hold_raising(void *arg)
{
	struct dt_mac *m = arg;

	if (dt_open(m, true) != ST_PASS)
		return "GET_MAC_INFO or mmap of the reg range failed";
	if (ioctl(m->fd, ATEMSYS_IOCTL_INT_CONNECT, 0UL))
		return "INT_CONNECT(0) failed";
	if (m->ops->irq_setup(m) != ST_PASS)
		return "the interrupt source could not be set up";
	m->ops->irq_raise(m);
	return NULL;
}

/*
 * The first line from "from" on where the pid called a reset controller's
 * op from reset_control_<what>(), or NULL. The function tracer's lines read
 * "task-pid [cpu] flags time: func <-parent"; reset_control_* callees are
 * the framework's own (array and shared bookkeeping), not the controller.
 */
static const char *dt_trace_op(const char *from, pid_t pid, const char *what)
{
	char parent[64], task[24];
	const char *line, *next, *bracket, *callee, *at;

	snprintf(parent, sizeof(parent), " <-reset_control_%s", what);
	snprintf(task, sizeof(task), "-%d ", (int)pid);
	for (line = from; line && *line; line = next ? next + 1 : NULL) {
		next = strchr(line, '\n');
		bracket = strchr(line, '[');
		callee = strstr(line, ": ");
		if (*line == '#' || !bracket || !callee ||
		    (next && (bracket > next || callee > next)))
			continue;
		callee += 2;
		if (strncmp(callee + strcspn(callee, " \n"), parent,
			    strlen(parent)) ||
		    !strncmp(callee, "reset_control_", 14))
			continue;
		at = strstr(line, task);
		if (at && at < bracket)
			return line;
	}
	return NULL;
}

/* Put back what a killed holder changed (QEMU's MACs have no reset input) */
static enum st_result dt_reuse_after_kill(const struct dt_mac *held)
{
	enum st_result res;
	struct dt_mac m;

	EXPECT_PASS(dt_open(&m, true));
	EXPECT_PASS(m.ops->irq_setup(&m));
	memcpy(m.saved, held->saved, sizeof(m.saved));
	res = dt_irq_body(&m);
	m.ops->irq_restore(&m);
	return res;
}

/* Did the trace see pid's release assert, then deassert, the resets? */
static enum st_result dt_reset_seen(const char *trace, pid_t pid)
{
	const char *line;

	EXPECT(trace, "cannot read /sys/kernel/tracing/trace");
	line = dt_trace_op(trace, pid, "assert");
	EXPECT(line,
	       "no reset controller op called from reset_control_assert() by the killed holder (pid %d)",
	       (int)pid);
	st_diag("killed holder's release: %.*s", (int)strcspn(line, "\n"),
		line);
	line = dt_trace_op(line, pid, "deassert");
	EXPECT(line,
	       "the killed holder's release asserted the resets but never deasserted them");
	st_diag("then: %.*s", (int)strcspn(line, "\n"), line);
	return ST_PASS;
}

/*
 * A holder killed with its MAC raising an interrupt: its release pulses
 * the node's "resets" (assert, then deassert, from the dying process, as
 * the function tracer sees the controller's ops called), and the next
 * process takes the MAC and gets its interrupts.
 */
enum st_result test_dt_killed_holder_reset(void)
{
	struct dt_mac *held;
	enum st_result res;
	char *trace = NULL;
	char why[256];
	bool tracing;
	int status;
	pid_t pid;

	EXPECT_PASS(need_dt());
	if (!path_exists("%s/resets", dt_env.node))
		return st_skip("%s has no resets: nothing to pulse on release",
			       dt_env.name);
	held = mmap(NULL, sizeof(*held), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(held != MAP_FAILED, "mmap of shared memory: %s",
	       strerror(errno));
	pid = st_fork_holder(dt_hold_raising, held, why, sizeof(why));
	if (pid < 0) {
		munmap(held, sizeof(*held));
		return st_fail("holder child: %s", why);
	}
	/* from here on: only the release can pulse the resets */
	tracing = !ftrace_start("*assert", why, sizeof(why));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (tracing)
		trace = ftrace_stop();

	/* the MAC back as it was, also for the tests after this one */
	res = dt_reuse_after_kill(held);
	munmap(held, sizeof(*held));
	if (res == ST_PASS && !tracing)
		res = st_skip("cannot see the reset without the function tracer: %s",
			      why);
	else if (res == ST_PASS)
		res = dt_reset_seen(trace, pid);
	free(trace);
	return res;
}

#define DT_KEPT_SIZE	(64u << 10)

/* In the child: the node's MAC bound, and a DMA buffer allocated on it */
static const char *dt_hold_dma(void *arg)
{
	struct dt_mac *m = arg;

	if (dt_open(m, false) != ST_PASS)
		return "GET_MAC_INFO failed";
	if (!st_mmap(m->fd, 0, DT_KEPT_SIZE))
		return "mmap of a DMA buffer on the MAC failed";
	return NULL;
}

/*
 * A MAC whose node has no resets cannot be stopped on release: its dead
 * holder's DMA memory is kept (dma_quarantine_bytes grows), since the MAC
 * may go on writing its receive ring. With resets, release pulses them and
 * the memory is freed.
 */
enum st_result test_dt_dma_kept_without_resets(void)
{
	char why[256], cap[32] = "8";
	struct dt_mac *held;
	long kept0, kept;
	bool resets;
	pid_t pid;

	EXPECT_PASS(need_dt());
	resets = path_exists("%s/resets", dt_env.node);
	kept0 = dma_kept_kb();
	EXPECT(kept0 >= 0, "no %s: the module does not report the DMA memory it keeps",
	       ATEMSYS_DMA_KEPT);
	held = mmap(NULL, sizeof(*held), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(held != MAP_FAILED, "mmap of shared memory: %s", strerror(errno));
	/* a fuzzer before may have filled the MAC's share: keep it all */
	if (dma_kept_uncap(cap, sizeof(cap))) {
		munmap(held, sizeof(*held));
		return st_fail_ret(-1, errno, 0, "lift dma_quarantine_mib");
	}
	pid = st_fork_holder(dt_hold_dma, held, why, sizeof(why));
	munmap(held, sizeof(*held));
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	kept = dma_kept_kb() - kept0;
	dma_kept_recap(cap);
	EXPECT(pid > 0, "holder child: %s", why);
	st_diag("%s %s resets: %ld kB kept after its holder of %u kB died",
		dt_env.name, resets ? "has" : "has no", kept, DT_KEPT_SIZE >> 10);
	if (resets)
		EXPECT(kept <= 0,
		       "%s has resets, yet %ld kB of its dead holder's DMA memory were kept",
		       dt_env.name, kept);
	else
		EXPECT(kept >= (long)(DT_KEPT_SIZE >> 10),
		       "%s has no resets, yet only %ld kB of its dead holder's %u kB DMA buffer were kept: the MAC may still write there",
		       dt_env.name, kept, DT_KEPT_SIZE >> 10);
	return ST_PASS;
}
