// SPDX-License-Identifier: GPL-2.0
/*
 * The link-layer group ("ll"): EtherCAT through atemsys. On a PCI board two
 * e1000e NICs are joined by a QEMU hub: 82574L instance 1 (B/D/F order) is
 * the master's, instance 2 the slave simulator's. On a device-tree board
 * the MAC the dt tests drive (i.MX FEC, Cadence GEM) is the master's and
 * the simulator runs on a second MAC handed to atemsys (zcu102: GEM2, on
 * the same hub) or, on a SoC with one MAC, outside the guest: smoke runs
 * it on the host end of QEMU's dgram netdev (127.0.0.1 only) and says so
 * with ATEMSYS_LL_SIM=dgram on the kernel command line. The tests run the
 * tools atemsys-ecat master and atemsys-ecat sim (src-kernel/tools/) as the
 * user would and check their exit status and JSON results:
 *   - the master reaches OP and runs 1000 cycles, every working counter
 *     and process-data byte right, no frame lost: over atemsys polling,
 *     over atemsys with each interrupt type, over AF_PACKET on the kernel's
 *     e1000e; the simulator over atemsys and over AF_PACKET;
 *   - bad input: frames a segment must survive, an answer cut short, an
 *     answer of another EtherType, a slave that stops counting, no slave
 *     simulator at all: each a clear error and exit status, no hang (these
 *     need the simulator in the guest);
 *   - the link lost mid-cycle (QEMU's set_link, which smoke does over QMP
 *     when the guest asks; ATEMSYS_LINK_CONTROL names the netdev) is seen
 *     by the master, which goes on when it is back;
 *   - a master killed with SIGKILL mid-cycle leaves the NIC quiet and
 *     reusable.
 * Every master run prints "# ll-wire {json}" (what it put on the wire), which
 * the orchestrator compares with Wireshark's decoding of the pcap QEMU
 * recorded (tshark).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dt.h"
#include "edu.h"
#include "guest.h"
#include "ktap.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define ECAT_TOOL	ecat_tool()
#define OUT_MAX		16384
#define RUN_TIMEOUT_MS	15000u
#define IRQ_MODE_PARAM	ATEMSYS_PARAM("pci_irq_mode")
/* source address of the frames sent wrong on purpose */
#define INJECT_SRC	"50:54:00:ec:ba:d0"

/*
 * atemsys-ecat: beside this binary (both in /bin of the QEMU guests, in
 * /usr/bin of Yocto and Buildroot images), else in /usr/bin.
 */
static const char *ecat_tool(void)
{
	static char path[PATH_MAX];
	char *slash;
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
	if (slash) {
		strcpy(slash + 1, "atemsys-ecat");
		if (!access(path, X_OK))
			return path;
	}
	snprintf(path, sizeof(path), "%s", "/usr/bin/atemsys-ecat");
	return path;
}

#define LL_SIM_ENV		"ATEMSYS_LL_SIM"
#define LL_LINK_CONTROL_ENV	"ATEMSYS_LINK_CONTROL"
#define LL_NIC_LEN		(ATEMSYS_IDENT_MAX_LEN + 12)

/*
 * The NICs the group drives, as atemsys-ecat --nic takes them: B/D/F of the
 * two e1000e, or IDENT:INSTANCE of device-tree MACs; sim "" when the
 * simulator runs outside the guest
 */
struct ll_nics {
	char master[LL_NIC_LEN];
	char sim[LL_NIC_LEN];
	bool dt;
};

static bool sim_outside(const struct ll_nics *n)
{
	return !n->sim[0];
}

static void free_of_kernel_driver(const char *bdf)
{
	char drv[64] = "";

	if (pci_driver_of(bdf, drv, sizeof(drv)) || !drv[0])
		return;
	st_diag("%s was left bound to %s (an earlier test stopped midway): unbinding it",
		bdf, drv);
	pci_unbind(bdf);
}

static enum st_result ll_dt_nics(struct ll_nics *n)
{
	const char *where = getenv(LL_SIM_ENV);
	struct st_dt other;

	n->dt = true;
	snprintf(n->master, sizeof(n->master), "%s:%u", dt_env.ident,
		 dt_env.instance);
	if (!dt_discover_other(&dt_env, &other)) {
		snprintf(n->sim, sizeof(n->sim), "%s:%u", other.ident,
			 other.instance);
		return ST_PASS;
	}
	return st_need(where && !strcmp(where, "dgram"),
		       "the ll group on a device-tree board needs a second MAC handed to atemsys for the simulator, or the simulator outside the guest (" LL_SIM_ENV "=dgram: npx orchestrate smoke runs it for a board with a dgram netdev)");
}

static enum st_result ll_nics(struct ll_nics *n)
{
	struct atemsys_pci_loc m, s;
	bool ok;

	memset(n, 0, sizeof(*n));
	EXPECT_PASS(st_need(path_exists(ECAT_TOOL), "the ll group needs %s",
			    ECAT_TOOL));
	ok = !pci_find_id(NIC_VENDOR, NIC_DEVICE, 1, &m) &&
	     !pci_find_id(NIC_VENDOR, NIC_DEVICE, 2, &s);
	if (!ok && dt_env.present)
		return ll_dt_nics(n);
	EXPECT_PASS(st_need(ok,
			    "the ll group needs three e1000e (8086:10d3), instances 1 and 2 joined by a QEMU hub (-netdev hubport), or a MAC handed to atemsys by the device tree"));
	atemsys_pci_format(&m, n->master, sizeof(n->master));
	atemsys_pci_format(&s, n->sim, sizeof(n->sim));
	/* a test that timed out inside with_kernel_driver() left it bound */
	free_of_kernel_driver(n->master);
	free_of_kernel_driver(n->sim);
	return ST_PASS;
}

/*
 * Tests that need the simulator in the guest (its faults, its counters):
 * skipped, not failed, with --group ll too: the board is as it should be
 */
static enum st_result need_sim_inside(const struct ll_nics *n)
{
	if (!sim_outside(n))
		return ST_PASS;
	return st_skip("the slave simulator runs outside the guest (" LL_SIM_ENV "=dgram): its faults and counters are not here");
}

/**
 * struct proc - a tool run: its pid, its stdout collected through a pipe
 */
struct proc {
	pid_t pid;
	int out;
	char buf[OUT_MAX];
	size_t len;
	int status;		/* wait status once it ended */
};

static int spawn(struct proc *p, const char *const argv[])
{
	int fds[2];

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	p->pid = fork();
	if (p->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!p->pid) {
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
	return 0;
}

/* Read its output until it exits or timeout_ms pass (then SIGKILL) */
static bool reap(struct proc *p, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	bool timed_out = false;

	for (;;) {
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline) {
			kill(p->pid, SIGKILL);
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
	}
	p->buf[p->len] = '\0';
	close(p->out);
	waitpid(p->pid, &p->status, 0);
	p->pid = -1;
	return !timed_out;
}

static int exit_code(const struct proc *p)
{
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);
}

/* A number after "key": in the JSON line; -1 if absent */
static long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = strstr(json, pat);
	return at ? strtol(at + strlen(pat), NULL, 10) : -1;
}

/* The line of the output that starts with prefix, NUL-terminated in place */
static char *line_with(char *out, const char *prefix)
{
	char *l = strstr(out, prefix), *nl;

	if (!l)
		return NULL;
	nl = strchr(l, '\n');
	if (nl)
		*nl = '\0';
	return l;
}

/* Read output until it holds @what or @timeout_ms pass */
static bool wait_output(struct proc *p, const char *what, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		p->buf[p->len] = '\0';
		if (strstr(p->buf, what))
			return true;
		if (now >= deadline ||
		    poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return false;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			return false;
		p->len += (size_t)n;
	}
}

/* The simulator, started in the background, answering frames */
static enum st_result sim_start(struct proc *sim, const char *link,
				const char *nic, const char *extra[])
{
	const char *argv[16] = { ECAT_TOOL, "sim", "--link", link, "--nic", nic,
				 "--json" };
	size_t a = 7;

	if (!nic[0]) {
		/* outside the guest, running already */
		memset(sim, 0, sizeof(*sim));
		sim->pid = -1;
		return ST_PASS;
	}
	while (extra && *extra && a < 14)
		argv[a++] = *extra++;
	argv[a] = NULL;
	EXPECT_OK(spawn(sim, argv), "start %s sim", ECAT_TOOL);
	if (!wait_output(sim, "ready:", st_slow_ms(10000))) {
		kill(sim->pid, SIGKILL);
		reap(sim, 2000);
		return st_fail("the slave simulator (--link %s --nic %s) did not get ready within 10 s (exit %d): %s",
			       link, nic, exit_code(sim), sim->buf);
	}
	return ST_PASS;
}

/* The simulator in the guest killed at once (none outside: nothing) */
static void sim_kill(struct proc *sim)
{
	if (sim->pid <= 0)
		return;
	kill(sim->pid, SIGKILL);
	reap(sim, 2000);
}

/* *json NULL for a simulator outside the guest */
static enum st_result sim_stop(struct proc *sim, char **json)
{
	*json = NULL;
	if (sim->pid <= 0)
		return ST_PASS;
	kill(sim->pid, SIGTERM);
	EXPECT(reap(sim, st_slow_ms(5000)), "the slave simulator did not stop within %u s of SIGTERM",
	       st_slow_ms(5000) / 1000);
	EXPECT(exit_code(sim) == 0, "the slave simulator exited with %d: %s",
	       exit_code(sim), sim->buf);
	*json = line_with(sim->buf, "{");
	EXPECT(*json, "no JSON from the slave simulator: %s", sim->buf);
	return ST_PASS;
}

/*
 * A frame counts as lost when it has not come back after 1 s, not the
 * master's default 100 ms: an emulated board (QEMU TCG, an RT kernel above
 * all) stalls for over 100 ms now and then. How late frames come is the
 * bench's measure (atemsys-bench), not these functional tests'.
 */
#define LL_FRAME_TIMEOUT_US "1000000"

/*
 * A master run on the master NIC: argv after the common part (an extra
 * --timeout-us overrides LL_FRAME_TIMEOUT_US). Its JSON result and
 * "ll-wire" line (re-emitted for the wire check) come back.
 */
static enum st_result master_run(struct proc *m, const char *link,
				 const char *nic, const char *tag,
				 const char *src, const char *extra[],
				 bool malformed_expected, char **json)
{
	const char *argv[26] = { ECAT_TOOL, "master", "--link", link, "--nic",
				 nic, "--json", "--wire-tag", tag, "--src-mac",
				 src, "--timeout-us", LL_FRAME_TIMEOUT_US };
	char *wire;
	size_t a = 13;

	while (extra && *extra && a < 24)
		argv[a++] = *extra++;
	argv[a] = NULL;
	EXPECT_OK(spawn(m, argv), "start %s master", ECAT_TOOL);
	EXPECT(reap(m, st_slow_ms(RUN_TIMEOUT_MS)),
	       "master (%s) still running after %u ms: killed", tag,
	       st_slow_ms(RUN_TIMEOUT_MS));
	wire = strstr(m->buf, "ll-wire ");
	if (wire) {
		char *nl = strchr(wire, '\n'), *flag;

		if (nl)
			*nl = '\0';
		flag = strstr(wire, "\"malformed_expected\":false");
		if (flag && malformed_expected)
			memcpy(flag, "\"malformed_expected\":true ", 26);
		st_diag("%s", wire);
		if (nl)
			*nl = '\n';
	}
	*json = line_with(m->buf, "{\"cmd\":\"master\"");
	EXPECT(*json, "master (%s) printed no JSON result (exit %d): %s", tag,
	       exit_code(m), m->buf);
	return ST_PASS;
}

/* What a good run looks like */
static enum st_result expect_good(const struct proc *m, const char *json,
				  long cycles, const char *what)
{
	EXPECT(exit_code(m) == 0, "%s: master exit %d: %s", what, exit_code(m),
	       json);
	EXPECT(strstr(json, "\"state\":\"OP\""), "%s: OP not reached: %s", what,
	       json);
	EXPECT(json_num(json, "slaves") == 2, "%s: %ld slaves, expected 2", what,
	       json_num(json, "slaves"));
	EXPECT(json_num(json, "cycles") == cycles, "%s: %ld cycles, expected %ld",
	       what, json_num(json, "cycles"), cycles);
	EXPECT(!json_num(json, "wkc_errors") && !json_num(json, "data_errors") &&
	       !json_num(json, "lost") && !json_num(json, "malformed"),
	       "%s: working counter errors %ld, data errors %ld, lost %ld, malformed %ld",
	       what, json_num(json, "wkc_errors"), json_num(json, "data_errors"),
	       json_num(json, "lost"), json_num(json, "malformed"));
	st_diag("%s: %ld cycles, %ld late (TCG timing, not checked)", what,
		json_num(json, "cycles"), json_num(json, "late"));
	return ST_PASS;
}

static enum st_result good_run(const char *mlink, const char *mnic,
			       const char *slink, const char *snic,
			       const char *tag, const char *src,
			       const char *extra[], long cycles)
{
	struct proc sim, m;
	char *mj, *sj;

	EXPECT_PASS(sim_start(&sim, slink, snic, NULL));
	if (master_run(&m, mlink, mnic, tag, src, extra, false, &mj) != ST_PASS) {
		sim_kill(&sim);
		return ST_FAIL;
	}
	EXPECT_PASS(sim_stop(&sim, &sj));
	EXPECT_PASS(expect_good(&m, mj, cycles, tag));
	if (!sj)
		return ST_PASS;
	EXPECT(json_num(sj, "frames") >= cycles && !json_num(sj, "malformed"),
	       "%s: the simulator answered %ld frames (%ld malformed)", tag,
	       json_num(sj, "frames"), json_num(sj, "malformed"));
	return ST_PASS;
}

enum st_result test_ll_atemsys_poll(void)
{
	static const char *extra[] = { "--cycles", "1000", "--period-us", "1000",
				       NULL };
	struct ll_nics n;

	EXPECT_PASS(ll_nics(&n));
	return good_run("atemsys", n.master, "atemsys", n.sim, "atemsys-poll",
			"50:54:00:ec:00:01", extra, 1000);
}

/* One master run sleeping on the interrupt; its link must say @name */
static enum st_result irq_run(const struct ll_nics *n, const char *tag,
			      const char *src, const char *name)
{
	static const char *extra[] = { "--irq", "--cycles", "300", NULL };
	struct proc sim, m;
	enum st_result res;
	char *mj, *sj;

	EXPECT_PASS(sim_start(&sim, "atemsys", n->sim, NULL));
	res = master_run(&m, "atemsys", n->master, tag, src, extra, false, &mj);
	if (res != ST_PASS) {
		sim_kill(&sim);
		return res;
	}
	EXPECT_PASS(sim_stop(&sim, &sj));
	EXPECT_PASS(expect_good(&m, mj, 300, tag));
	EXPECT(strstr(mj, name), "%s: the link says %s, expected an %s", tag,
	       mj, name);
	return ST_PASS;
}

enum st_result test_ll_atemsys_irq(void)
{
	static const char *modes[] = { "msix", "msi", "intx" };
	static const char *names[] = { "MSI-X", "MSI", "INTx" };
	enum st_result res = ST_PASS;
	struct ll_nics n;
	unsigned int i;

	EXPECT_PASS(ll_nics(&n));
	if (n.dt)
		return irq_run(&n, "atemsys-irq", "50:54:00:ec:00:02",
			       "interrupt");
	for (i = 0; i < 3 && res == ST_PASS; i++) {
		char tag[32], src[24];

		snprintf(tag, sizeof(tag), "atemsys-%s", modes[i]);
		snprintf(src, sizeof(src), "50:54:00:ec:00:%02x", 2 + i);
		EXPECT_OK(write_sysfs(modes[i], IRQ_MODE_PARAM), "write %s to "
			  IRQ_MODE_PARAM, modes[i]);
		res = irq_run(&n, tag, src, names[i]);
	}
	write_sysfs("auto", IRQ_MODE_PARAM);
	return res;
}

/* Run with the NIC at bdf bound to the kernel's e1000e, then unbound */
static enum st_result with_kernel_driver(const char *bdf,
					 enum st_result (*fn)(const struct ll_nics *),
					 const struct ll_nics *n)
{
	enum st_result res;
	char drv[64];

	if (pci_bind(bdf, "e1000e")) {
		if (errno == ENOENT)
			return st_fail("bind %s to e1000e: the e1000e module is not in this guest (board profile: modules-available)",
				       bdf);
		return st_fail_ret(-1, errno, 0, "bind %s to e1000e", bdf);
	}
	res = fn(n);
	if (pci_unbind(bdf) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "unbind %s from e1000e", bdf);
	if (!pci_driver_of(bdf, drv, sizeof(drv)) && drv[0] && res == ST_PASS)
		res = st_fail("%s still bound to %s", bdf, drv);
	return res;
}

/* The kernel's own driver for a device-tree MAC needs the stock DT (skip) */
static enum st_result need_pci(const struct ll_nics *n)
{
	if (!n->dt)
		return ST_PASS;
	return st_skip("the kernel's own driver (fec, macb) for a MAC handed to atemsys needs the stock device tree: npx orchestrate bench boots one for the AF_PACKET baseline");
}

static enum st_result master_packet(const struct ll_nics *n)
{
	static const char *extra[] = { "--cycles", "1000", NULL };

	return good_run("packet", n->master, "atemsys", n->sim, "packet",
			"50:54:00:ec:00:05", extra, 1000);
}

enum st_result test_ll_packet(void)
{
	struct ll_nics n;

	EXPECT_PASS(ll_nics(&n));
	EXPECT_PASS(need_pci(&n));
	return with_kernel_driver(n.master, master_packet, &n);
}

static enum st_result sim_packet(const struct ll_nics *n)
{
	static const char *extra[] = { "--cycles", "300", NULL };

	return good_run("atemsys", n->master, "packet", n->sim, "sim-packet",
			"50:54:00:ec:00:06", extra, 300);
}

enum st_result test_ll_sim_packet(void)
{
	struct ll_nics n;

	EXPECT_PASS(ll_nics(&n));
	EXPECT_PASS(need_pci(&n));
	return with_kernel_driver(n.sim, sim_packet, &n);
}

enum st_result test_ll_bad_input_to_sim(void)
{
	static const char *kinds[] = { "truncated", "ethertype", "garbage" };
	static const char *extra[] = { "--cycles", "100", NULL };
	struct proc sim, m, s;
	struct ll_nics n;
	char *mj, *sj;
	unsigned int i;

	EXPECT_PASS(ll_nics(&n));
	EXPECT_PASS(need_sim_inside(&n));
	EXPECT_PASS(sim_start(&sim, "atemsys", n.sim, NULL));
	for (i = 0; i < 3; i++) {
		const char *argv[] = { ECAT_TOOL, "send", "--link", "atemsys",
				       "--nic", n.master, "--kind", kinds[i],
				       "--src-mac", INJECT_SRC, NULL };

		EXPECT_OK(spawn(&s, argv), "start %s send", ECAT_TOOL);
		EXPECT(reap(&s, st_slow_ms(15000)) && exit_code(&s) == 0,
		       "send --kind %s: exit %d: %s", kinds[i], exit_code(&s), s.buf);
	}
	st_diag("ll-wire {\"run\":\"injected\",\"src\":\"" INJECT_SRC "\",\"slaves\":0,\"sent\":{},\"returned\":{},\"wkc\":{},\"lrw\":{\"laddr\":0,\"len\":0,\"wkc\":0,\"cycles\":0},\"malformed_expected\":true}");
	/* the segment is still fine */
	EXPECT_PASS(master_run(&m, "atemsys", n.master, "after-injection",
			       "50:54:00:ec:00:07", extra, false, &mj));
	EXPECT_PASS(sim_stop(&sim, &sj));
	EXPECT_PASS(expect_good(&m, mj, 100, "after the injected frames"));
	EXPECT(json_num(sj, "malformed") == 2 && json_num(sj, "ignored") == 1,
	       "the simulator counted %ld malformed (truncated, garbage: 2 expected) and %ld of other EtherTypes (1 expected)",
	       json_num(sj, "malformed"), json_num(sj, "ignored"));
	return ST_PASS;
}

/*
 * A master run against a faulty simulator: exit status and message. A frame
 * is given 300 ms (not LL_FRAME_TIMEOUT_US: a missing simulator must end
 * the run quickly), still well over an emulated board's usual stall.
 */
static enum st_result bad_answer(const char *fault, const char *tag,
				 const char *src, int want_exit,
				 const char *want_msg, bool malformed)
{
	static const char *extra[] = { "--cycles", "200", "--timeout-us",
				       "300000", "--out-bytes", "64",
				       "--in-bytes", "64", NULL };
	const char *sim_extra[] = { "--fault", fault, "--out-bytes", "64",
				    "--in-bytes", "64", NULL };
	struct proc sim, m;
	struct ll_nics n;
	uint64_t t0;
	char *mj, *sj;

	EXPECT_PASS(ll_nics(&n));
	EXPECT_PASS(need_sim_inside(&n));
	if (fault)
		EXPECT_PASS(sim_start(&sim, "atemsys", n.sim, sim_extra));
	t0 = now_ms();
	if (master_run(&m, "atemsys", n.master, tag, src, extra, malformed,
		       &mj) != ST_PASS) {
		if (fault)
			sim_kill(&sim);
		return ST_FAIL;
	}
	if (fault)
		EXPECT_PASS(sim_stop(&sim, &sj));
	EXPECT(exit_code(&m) == want_exit, "%s: master exit %d, expected %d: %s",
	       tag, exit_code(&m), want_exit, mj);
	EXPECT(strstr(mj, want_msg), "%s: the error does not say \"%s\": %s", tag,
	       want_msg, mj);
	st_diag("%s: exit %d after %llu ms", tag, exit_code(&m),
		(unsigned long long)(now_ms() - t0));
	return ST_PASS;
}

enum st_result test_ll_truncated_answer(void)
{
	return bad_answer("truncate", "fault-truncate", "50:54:00:ec:00:08", 1,
			  "frame too short", true);
}

enum st_result test_ll_wrong_ethertype(void)
{
	return bad_answer("ethertype", "fault-ethertype", "50:54:00:ec:00:09", 4,
			  "frame(s) of other EtherTypes came and were ignored",
			  false);
}

enum st_result test_ll_wkc_mismatch(void)
{
	return bad_answer("wkc@50", "fault-wkc", "50:54:00:ec:00:0a", 1,
			  "LRW working counter 3, expected 6", false);
}

enum st_result test_ll_simulator_gone(void)
{
	return bad_answer(NULL, "no-simulator", "50:54:00:ec:00:0b", 4,
			  "no EtherCAT frame came back", false);
}

/*
 * The link goes down under a running master and comes back: QEMU's
 * set_link on the master's netdev, which smoke does over QMP when the
 * guest asks ("# atemsys-link: off <netdev>", then "on"). The master must
 * see it (link_losses), wait and go on: every cycle then right, no frame
 * counted lost.
 */
#define LINK_LOST_CYCLES	"6000"
#define LINK_DOWN_MS		3000u
#define LINK_OP_WAIT_MS		20000u

static void link_ask(const char *state, const char *netdev)
{
	st_diag("atemsys-link: %s %s", state, netdev);
}

enum st_result test_ll_link_lost(void)
{
	const char *argv[] = { ECAT_TOOL, "master", "--link", "atemsys", "--nic",
			       NULL, "--cycles", LINK_LOST_CYCLES, "--json",
			       "--timeout-us", LL_FRAME_TIMEOUT_US, "--src-mac",
			       "50:54:00:ec:00:0e", NULL };
	const char *netdev = getenv(LL_LINK_CONTROL_ENV);
	struct proc sim, m;
	struct ll_nics n;
	char *mj, *sj;
	bool done;

	EXPECT_PASS(ll_nics(&n));
	/* a host-side helper, not the board's: a skip even under --group (LAVA) */
	if (!netdev || !*netdev)
		return st_skip("nobody turns the link off: smoke does over QMP, naming the master's netdev in " LL_LINK_CONTROL_ENV);
	argv[5] = n.master;
	EXPECT_PASS(sim_start(&sim, "atemsys", n.sim, NULL));
	if (spawn(&m, argv)) {
		sim_kill(&sim);
		return st_fail_ret(-1, errno, 0, "start %s master", ECAT_TOOL);
	}
	if (!wait_output(&m, "{\"event\":\"op\"", st_slow_ms(LINK_OP_WAIT_MS))) {
		kill(m.pid, SIGKILL);
		reap(&m, 5000);
		sim_kill(&sim);
		return st_fail("the master did not reach OP within %u s: %s",
			       st_slow_ms(LINK_OP_WAIT_MS) / 1000, m.buf);
	}
	/* cycling for a second, then the cable goes */
	sleep_ms(1000);
	link_ask("off", netdev);
	sleep_ms(LINK_DOWN_MS);
	link_ask("on", netdev);
	done = reap(&m, st_slow_ms(120000));
	if (!done || sim_stop(&sim, &sj) != ST_PASS) {
		sim_kill(&sim);
		return st_fail("the master did not end within %u s of the link coming back (its output: %s)",
			       st_slow_ms(120000) / 1000, m.buf);
	}
	mj = line_with(m.buf, "{\"cmd\":\"master\"");
	EXPECT(mj, "the master printed no JSON result (exit %d): %s",
	       exit_code(&m), m.buf);
	EXPECT(json_num(mj, "link_losses") >= 1,
	       "the master never saw the link go down (is %s the master's netdev?): %s",
	       netdev, mj);
	st_diag("link lost %ld time(s), down %ld ms, %ld frame(s) went with it",
		json_num(mj, "link_losses"), json_num(mj, "link_down_ms"),
		json_num(mj, "lost_link"));
	return expect_good(&m, mj, strtol(LINK_LOST_CYCLES, NULL, 10),
			   "after the link came back");
}

static bool atemsys_irq_seen(void *arg)
{
	(void)arg;
	return proc_interrupts_count("atemsys") >= 1;
}

#define LL_RANDOM_KILLS	4

/*
 * LL_RANDOM_KILLS masters started with @argv and SIGKILLed at random points,
 * 0 to 1.5 s (times the slowdown) after their start: in opening the NIC,
 * configuring it, allocating its rings, bringing the slaves to OP or in the
 * cyclic loop. After each, no atemsys interrupt is left and (PCI, @nic not
 * NULL) bus mastering is off. The points come from @seed, printed.
 */
static enum st_result ll_random_kills(const char *const argv[],
				      const struct st_pci *nic, uint32_t seed)
{
	char when[LL_RANDOM_KILLS * 12] = "";
	uint32_t s = seed;
	size_t used = 0;
	unsigned int i, ms;
	struct proc m;

	for (i = 0; i < LL_RANDOM_KILLS; i++) {
		s = s * 1103515245u + 12345u;
		ms = (s >> 8) % st_slow_ms(1500);
		if (spawn(&m, argv))
			return st_fail_ret(-1, errno, 0, "start %s master", ECAT_TOOL);
		sleep_ms(ms);
		kill(m.pid, SIGKILL);
		reap(&m, 5000);
		used += (size_t)snprintf(when + used, sizeof(when) - used, "%s%u",
					 i ? ", " : "", ms);
		EXPECT(proc_interrupts_count("atemsys") == 0,
		       "an atemsys interrupt is still requested after the master died %u ms after its start",
		       ms);
		if (nic)
			EXPECT(pci_bus_master(nic) == 0,
			       "%s still has bus mastering on after its holder died %u ms after its start",
			       nic->bdf, ms);
	}
	st_diag("%u more masters killed %s ms after their start (seed %u): each left the NIC quiet",
		LL_RANDOM_KILLS, when, seed);
	return ST_PASS;
}

enum st_result test_ll_kill_master(void)
{
	const char *argv[] = { ECAT_TOOL, "master", "--link", "atemsys", "--nic",
			       NULL, "--irq", "--cycles", "1000000", "--src-mac",
			       "50:54:00:ec:00:0c", NULL };
	static const char *extra[] = { "--cycles", "200", NULL };
	struct atemsys_pci_loc loc;
	struct proc sim, m;
	struct st_pci nic;
	struct ll_nics n;
	char *mj, *sj;
	long kept0;

	EXPECT_PASS(ll_nics(&n));
	argv[5] = n.master;
	if (!n.dt) {
		EXPECT_OK(atemsys_pci_parse(n.master, &loc), "parse %s", n.master);
		EXPECT_OK(pci_by_location(loc.domain, loc.bus, loc.device,
					  loc.function, &nic), "sysfs of %s",
			  n.master);
	}
	EXPECT_PASS(sim_start(&sim, "atemsys", n.sim, NULL));
	if (spawn(&m, argv)) {
		sim_kill(&sim);
		return st_fail_ret(-1, errno, 0, "start %s master", ECAT_TOOL);
	}
	/* connected once the NIC is up (a DT master waits for phylib's link) */
	EXPECT(poll_until(atemsys_irq_seen, NULL, st_slow_ms(10000)),
	       "the running master's interrupt is not in /proc/interrupts after %u s",
	       st_slow_ms(10000) / 1000);
	/* and cycling */
	sleep_ms(st_slow_ms(1000));
	kept0 = dma_kept_kb();
	kill(m.pid, SIGKILL);
	reap(&m, 5000);
	EXPECT(WIFSIGNALED(m.status), "the master was not killed: %d", m.status);
	/* atemsys released it: interrupt freed, bus mastering off */
	EXPECT(proc_interrupts_count("atemsys") == 0,
	       "an atemsys interrupt is still requested after the master died");
	if (!n.dt)
		EXPECT(pci_bus_master(&nic) == 0,
		       "%s still has bus mastering on after its holder died",
		       n.master);
	if (!n.dt) {
		/* without FLR its rings may still be written: memory kept */
		char how[64] = "none";
		long kept = dma_kept_kb() - kept0;

		read_sysfs_line(how, sizeof(how), PCI_SYSFS "/%s/reset_method",
				nic.bdf);
		st_diag("%s reset_method %s: %ld kB of the dead master's DMA memory kept",
			nic.bdf, how, kept);
		EXPECT(strstr(how, "flr") || kept > 0,
		       "%s has no FLR (reset_method %s), yet none of the dead master's DMA memory was kept: a PM reset may leave its receive ring armed",
		       nic.bdf, how);
	}
	st_diag("killed master: %s", n.dt ?
		"interrupt freed" : "interrupt freed, bus mastering off");
	EXPECT_PASS(ll_random_kills(argv, n.dt ? NULL : &nic, st_seed()));
	st_diag("the NIC again:");
	EXPECT_PASS(master_run(&m, "atemsys", n.master, "after-kill",
			       "50:54:00:ec:00:0d", extra, false, &mj));
	EXPECT_PASS(sim_stop(&sim, &sj));
	return expect_good(&m, mj, 200, "after the SIGKILL");
}
