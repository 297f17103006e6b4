// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree mode, the PHY: phylib reading the emulated PHY through the
 * MDIO proxy served by a thread, teardown on close and process death, and
 * orders nobody serves (at the start, and while the PHY runs).
 */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "dt.h"
#include "sys.h"
#include "tests.h"

#define PHY_READY_TIMEOUT_MS	10000u
#define PHY_GONE_TIMEOUT_MS	2000u
#define TIMEOUT_PARAM		ATEMSYS_PARAM("mdio_timeout_ms")

struct phy_wait {
	int fd;
	uint32_t index;
	struct atemsys_phy_info info;
};

static bool phy_ready(void *arg)
{
	struct phy_wait *w = arg;

	return !dt_phy_info(w->fd, w->index, &w->info) &&
	       (w->info.phy_ready || w->info.error_code);
}

static bool phy_gone(void *arg)
{
	(void)arg;
	return !dt_phy_present(NULL, 0) && !dt_bus_present();
}

/* Start the PHY and wait until phylib has seen it (served by s) */
static enum st_result start_phy(const struct dt_mac *m,
				const struct dt_server *s)
{
	struct phy_wait w = { .fd = m->fd, .index = m->mi.index };
	uint32_t ec;

	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, true, &ec),
		  "PHY_START_STOP(start)");
	EXPECT(ec == ATEMSYS_EC_E_NOERROR, "PHY_START_STOP(start): error_code %#x",
	       ec);
	EXPECT(poll_until(phy_ready, &w, PHY_READY_TIMEOUT_MS),
	       "GET_PHY_INFO: phy_ready still 0 %u ms after the start (%u orders served%s%s)",
	       PHY_READY_TIMEOUT_MS, s->served, s->err ? ", server: " : "",
	       s->err ? strerror(s->err) : "");
	EXPECT(w.info.phy_ready && w.info.error_code == ATEMSYS_EC_E_NOERROR,
	       "GET_PHY_INFO after the start: phy_ready %u, error_code %#x",
	       w.info.phy_ready, w.info.error_code);
	return ST_PASS;
}

static enum st_result expect_phy_id(const struct dt_mac *m)
{
	uint32_t phy_id = m->ops->qemu_phy_id;
	char name[128];
	unsigned long id;

	EXPECT(dt_phy_present(name, sizeof(name)),
	       "no atemsys-%s:* PHY in " DT_MDIO_SYSFS " while it runs",
	       dt_env.name);
	EXPECT_OK(read_sysfs_ulong(&id, DT_MDIO_SYSFS "/%s/phy_id", name),
		  DT_MDIO_SYSFS "/%s/phy_id", name);
	EXPECT(id == phy_id, "%s: phy_id %#lx, the PHY of QEMU's %s is %#x",
	       name, id, m->ops->name, phy_id);
	if (dt_env.phy_addr != ATEMSYS_PHY_AUTO_ADDR) {
		char want[128];

		snprintf(want, sizeof(want), "atemsys-%s:%02x", dt_env.name,
			 dt_env.phy_addr);
		EXPECT(!strcmp(name, want), "PHY is %s, the node says %s",
		       name, want);
	}
	return ST_PASS;
}

static enum st_result mdio_proxy_body(struct dt_mac *m, struct dt_server *s)
{
	struct atemsys_mdio_order o = { .index = m->mi.index };
	struct atemsys_phy_info info;
	uint32_t ec;
	int fd;

	EXPECT_PASS(start_phy(m, s));
	EXPECT(s->id_reads >= 2, "phylib read the PHY ID %u times through userspace",
	       s->id_reads);
	EXPECT_PASS(expect_phy_id(m));
	EXPECT(dt_bus_present(), DT_MDIO_CLASS "/atemsys-%s missing",
	       dt_env.name);

	EXPECT_OK(dt_phy_info(m->fd, m->mi.index, &info), "GET_PHY_INFO");
	if (info.link) {
		EXPECT(info.speed == 100 && info.duplex == 1,
		       "link up at %u Mbit/s, duplex %u: expected 100/full (capped at 100)",
		       info.speed, info.duplex);
		st_diag("PHY of %s: link up, 100/full", dt_env.name);
	} else {
		st_diag("PHY link down: speed/duplex not checked");
	}

	/* a second start is a no-op; another fd may not serve orders */
	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, true, &ec),
		  "second PHY_START_STOP(start)");
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_GET_MDIO_ORDER, &o), EBUSY,
		   "GET_MDIO_ORDER from an fd that does not hold the instance");

	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, false, &ec),
		  "PHY_START_STOP(stop)");
	EXPECT(phy_gone(NULL), "PHY or bus still in sysfs after the stop");
	EXPECT_OK(dt_phy_info(m->fd, m->mi.index, &info), "GET_PHY_INFO");
	EXPECT(!info.phy_ready && !info.link,
	       "GET_PHY_INFO after the stop: phy_ready %u, link %u",
	       info.phy_ready, info.link);

	/* and it starts again */
	EXPECT_PASS(start_phy(m, s));
	EXPECT_PASS(expect_phy_id(m));
	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, false, &ec),
		  "PHY_START_STOP(stop)");
	return ST_PASS;
}

enum st_result test_dt_mdio_proxy(void)
{
	struct dt_server s;
	enum st_result res;
	struct dt_mac m;

	EXPECT_PASS(dt_open(&m, true));
	EXPECT(!dt_phy_present(NULL, 0), "an atemsys PHY exists before the start");
	EXPECT_PASS(dt_server_start(&s, &m));
	res = mdio_proxy_body(&m, &s);
	dt_server_stop(&s);
	return res;
}

/* Child: bind, serve, start the PHY, say "ready", wait to be killed */
static void __attribute__((noreturn)) phy_victim(int wfd)
{
	struct dt_server s;
	struct dt_mac m;
	const char *msg = "ready";

	if (dt_open(&m, true) != ST_PASS || dt_server_start(&s, &m) != ST_PASS ||
	    start_phy(&m, &s) != ST_PASS)
		msg = "could not start the PHY";
	if (write(wfd, msg, strlen(msg)) < 0)
		_exit(1);
	for (;;)
		pause();
}

static enum st_result killed_holder(void)
{
	struct atemsys_mac_info mi;
	struct pollfd pfd;
	char msg[64] = "";
	int fds[2], status, ret, fd;
	ssize_t n;
	pid_t pid;

	EXPECT_OK(pipe(fds), "pipe");
	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(fds[0]);
		phy_victim(fds[1]);
	}
	close(fds[1]);

	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, PHY_READY_TIMEOUT_MS + 2000);
	n = ret == 1 ? read(fds[0], msg, sizeof(msg) - 1) : -1;
	if (n > 0)
		msg[n] = '\0';
	ret = strcmp(msg, "ready") ? 0 : dt_phy_present(NULL, 0);
	kill(pid, SIGKILL);
	EXPECT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	       "waitpid: the child did not die of SIGKILL");
	EXPECT(!strcmp(msg, "ready"), "child: %s", msg[0] ? msg : "no word");
	EXPECT(ret, "no atemsys PHY while the child had it started");

	EXPECT(poll_until(phy_gone, NULL, PHY_GONE_TIMEOUT_MS),
	       "PHY or bus still in sysfs %u ms after the holder was killed",
	       PHY_GONE_TIMEOUT_MS);
	fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(fd >= 0, "open: %s", strerror(errno));
	EXPECT_OK(dt_mac_info(fd, dt_env.ident, dt_env.instance, &mi),
		  "GET_MAC_INFO after the holder was killed");
	return ST_PASS;
}

enum st_result test_dt_close_stops_phy(void)
{
	struct dt_server s;
	struct dt_mac m;
	uint64_t t0;

	/* close with the PHY running: nobody stops it first */
	EXPECT_PASS(dt_open(&m, true));
	EXPECT_PASS(dt_server_start(&s, &m));
	if (start_phy(&m, &s) != ST_PASS) {
		dt_server_stop(&s);
		return ST_FAIL;
	}
	dt_server_stop(&s);
	t0 = now_ms();
	EXPECT_OK(st_munmap((void *)m.regs, m.mi.reg_size), "munmap");
	EXPECT_OK(st_close(m.fd), "close");
	EXPECT(phy_gone(NULL), "PHY or bus still in sysfs after close");
	st_diag("close with the PHY running took %llu ms",
		(unsigned long long)(now_ms() - t0));

	return killed_holder();
}

struct order_wait {
	int fd;
	struct atemsys_mdio_order o;
};

static bool order_taken(void *arg)
{
	struct order_wait *w = arg;

	return !ioctl(w->fd, ATEMSYS_IOCTL_GET_MDIO_ORDER, &w->o) &&
	       w->o.in_use;
}

/* Wait for an order and take it, but never answer it */
static enum st_result take_order(int fd, uint32_t index)
{
	struct order_wait w = { .fd = fd, .o.index = index };

	EXPECT(poll_until(order_taken, &w, 2000),
	       "GET_MDIO_ORDER: no order within 2 s of the start");
	EXPECT(!w.o.write_order && w.o.reg == 2,
	       "first order: %s of register %u, expected a read of PHYSID1",
	       w.o.write_order ? "write" : "read", w.o.reg);
	return ST_PASS;
}

static enum st_result timeout_body(void)
{
	struct atemsys_mdio_order o;
	struct phy_wait w;
	struct dt_mac m;
	uint64_t t0, dt;

	EXPECT_OK(write_sysfs("500", TIMEOUT_PARAM), "write " TIMEOUT_PARAM);
	EXPECT_PASS(dt_open(&m, false));
	w.fd = m.fd;
	w.index = m.mi.index;

	/* an order taken and never answered fails the start after 500 ms */
	t0 = now_ms();
	EXPECT_OK(dt_phy_start_stop(m.fd, m.mi.index, true, NULL),
		  "PHY_START_STOP(start)");
	EXPECT_PASS(take_order(m.fd, m.mi.index));
	EXPECT(poll_until(phy_ready, &w, 3000),
	       "GET_PHY_INFO: no result 3 s after a start nobody serves");
	dt = now_ms() - t0;
	EXPECT(w.info.error_code == ATEMSYS_EC_E_TIMEOUT && !w.info.phy_ready,
	       "GET_PHY_INFO: error_code %#x, phy_ready %u; expected EC_E_TIMEOUT",
	       w.info.error_code, w.info.phy_ready);
	EXPECT(dt >= 400, "the start failed after %llu ms, before the 500 ms timeout",
	       (unsigned long long)dt);
	memset(&o, 0, sizeof(o));
	o.index = m.mi.index;
	EXPECT_ERR(ioctl(m.fd, ATEMSYS_IOCTL_RETURN_MDIO_ORDER, &o), ETIMEDOUT,
		   "RETURN_MDIO_ORDER of the order that timed out");
	EXPECT(o.error_code == ATEMSYS_EC_E_TIMEOUT, "error_code %#x",
	       o.error_code);
	EXPECT(phy_gone(NULL), "PHY or bus in sysfs after the failed start");
	EXPECT_OK(dt_phy_start_stop(m.fd, m.mi.index, false, NULL),
		  "PHY_START_STOP(stop) after the failed start");

	/* with a long timeout, stop fails the pending order at once */
	EXPECT_OK(write_sysfs("20000", TIMEOUT_PARAM), "write " TIMEOUT_PARAM);
	EXPECT_OK(dt_phy_start_stop(m.fd, m.mi.index, true, NULL),
		  "PHY_START_STOP(start)");
	EXPECT_PASS(take_order(m.fd, m.mi.index));
	t0 = now_ms();
	EXPECT_OK(dt_phy_start_stop(m.fd, m.mi.index, false, NULL),
		  "PHY_START_STOP(stop) with an order pending");
	dt = now_ms() - t0;
	EXPECT(dt < 1000, "stop took %llu ms with an order pending",
	       (unsigned long long)dt);
	EXPECT_ERR(ioctl(m.fd, ATEMSYS_IOCTL_RETURN_MDIO_ORDER, &o), EINVAL,
		   "RETURN_MDIO_ORDER after the stop failed the order");

	/* and so does close */
	EXPECT_OK(dt_phy_start_stop(m.fd, m.mi.index, true, NULL),
		  "PHY_START_STOP(start)");
	EXPECT_PASS(take_order(m.fd, m.mi.index));
	t0 = now_ms();
	EXPECT_OK(st_close(m.fd), "close with an order pending");
	dt = now_ms() - t0;
	EXPECT(dt < 1000, "close took %llu ms with an order pending",
	       (unsigned long long)dt);
	EXPECT(phy_gone(NULL), "PHY or bus in sysfs after close");
	return ST_PASS;
}

enum st_result test_dt_mdio_timeout(void)
{
	char old[32];
	enum st_result res;

	EXPECT_PASS(need_dt());
	EXPECT_OK(read_sysfs_line(old, sizeof(old), TIMEOUT_PARAM),
		  "read " TIMEOUT_PARAM);
	res = timeout_body();
	st_release_all();
	if (write_sysfs(old, TIMEOUT_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore " TIMEOUT_PARAM);
	return res;
}

static bool phy_parked(void *arg)
{
	struct phy_wait *w = arg;

	return !dt_phy_info(w->fd, w->index, &w->info) &&
	       w->info.error_code == ATEMSYS_EC_E_TIMEOUT;
}

/*
 * A running PHY whose orders stop being served is parked, then restarts.
 * The short timeout only while nothing serves: a loaded TCG guest can take
 * longer than 300 ms to serve an order (seen on sabrelite's 4 vCPUs).
 */
static enum st_result stall_body(struct dt_mac *m, struct dt_server *s,
				 const char *timeout)
{
	struct phy_wait w = { .fd = m->fd, .index = m->mi.index };

	EXPECT_PASS(dt_server_start(s, m));
	EXPECT_PASS(start_phy(m, s));

	/* phylib polls the PHY every second: its next order goes unserved */
	EXPECT_OK(write_sysfs("300", TIMEOUT_PARAM), "write " TIMEOUT_PARAM);
	dt_server_stop(s);
	EXPECT(poll_until(phy_parked, &w, 5000),
	       "GET_PHY_INFO: error_code %#x, phy_ready %u 5 s after the MDIO server stopped; expected EC_E_TIMEOUT",
	       w.info.error_code, w.info.phy_ready);
	EXPECT(!w.info.phy_ready && !w.info.link,
	       "parked PHY: phy_ready %u, link %u", w.info.phy_ready,
	       w.info.link);

	/* served again, a stop and a start bring it back */
	EXPECT_OK(write_sysfs(timeout, TIMEOUT_PARAM), "restore " TIMEOUT_PARAM);
	EXPECT_PASS(dt_server_start(s, m));
	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, false, NULL),
		  "PHY_START_STOP(stop) of the parked PHY");
	EXPECT_PASS(start_phy(m, s));
	EXPECT_PASS(expect_phy_id(m));
	EXPECT_OK(dt_phy_start_stop(m->fd, m->mi.index, false, NULL),
		  "PHY_START_STOP(stop)");
	return ST_PASS;
}

enum st_result test_dt_mdio_stall(void)
{
	struct dt_server s = { 0 };
	enum st_result res;
	struct dt_mac m;
	char old[32];

	EXPECT_PASS(need_dt());
	EXPECT_OK(read_sysfs_line(old, sizeof(old), TIMEOUT_PARAM),
		  "read " TIMEOUT_PARAM);
	res = dt_open(&m, true);
	if (res == ST_PASS)
		res = stall_body(&m, &s, old);
	dt_server_stop(&s);
	st_release_all();
	if (write_sysfs(old, TIMEOUT_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore " TIMEOUT_PARAM);
	return res;
}
