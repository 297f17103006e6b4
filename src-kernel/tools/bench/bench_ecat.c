// SPDX-License-Identifier: GPL-2.0
/*
 * EtherCAT through the three master link layers, against one slave
 * simulator (2 slaves, 4+4 bytes of process data each) on the other NIC of
 * the hub, over atemsys, polling, pinned to the other CPU: only the
 * master's link layer changes between variants.
 *
 * The segment (struct segment): on a PCI board the two e1000e of the hub;
 * on a device-tree board the first MAC handed to atemsys (lowest
 * atemsys-Instance) is the master's and the simulator runs on the second
 * one, or outside the guest (ATEMSYS_LL_SIM=dgram: the orchestrator's, on
 * QEMU's dgram netdev). A DT board's AF_PACKET baseline needs the kernel's
 * own driver (fec, macb), hence the stock device tree: the orchestrator
 * boots the board a second time with it and says which node and driver in
 * ATEMSYS_BENCH_STOCK_NODE and ATEMSYS_BENCH_STOCK_DRIVER; each boot
 * measures what it can and reports the rest skipped, and the orchestrator
 * puts the two together.
 *   rtt          round trip of one cyclic frame (LRW + BRD), send to
 *                answer parsed, at a 2 ms period (so interrupt throttling
 *                windows of the NICs, 128 µs, never add to it)
 *   cycle-<P>    a cyclic run at period P µs: |interval between successive
 *                answers - P|, plus the cycles whose answer came after the
 *                next cycle's start (missed)
 * The master runs in this process (pinned, SCHED_FIFO); the simulator is a
 * child process (fork), stopped with SIGTERM. The variants take turns in
 * ROUNDS rounds, each a share of every group's cycles, so that a stall of
 * the host (TCG guests have them) falls on all of them alike rather than on
 * whichever ran at that moment.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"
#include "master.h"
#include "sim.h"

#define PCI_MASTER_NIC	"e1000e:1"
#define PCI_SIM_NIC	"e1000e:2"
#define STOCK_NODE_ENV	"ATEMSYS_BENCH_STOCK_NODE"
#define STOCK_DRIVER_ENV "ATEMSYS_BENCH_STOCK_DRIVER"
#define LL_SIM_ENV	"ATEMSYS_LL_SIM"
#define NETDEV_WAIT_MS	15000
#define RTT_PERIOD_US	2000
#define SLAVES		2
#define ROUNDS		5
#define NIC_LEN		48

struct variant {
	const char *id, *baseline;
	char label[96];
	enum ecat_link_kind kind;
	bool irq;
	char nic[NIC_LEN];	/* the master's --nic */
	const char *skip;	/* why this boot cannot measure it */
};

enum { V_POLL, V_IRQ, V_PACKET, N_VARIANTS };

static struct variant variants[N_VARIANTS] = {
	[V_POLL] = { .id = "atemsys-poll", .baseline = "packet",
		     .kind = ECAT_LINK_ATEMSYS },
	[V_IRQ] = { .id = "atemsys-irq", .baseline = "packet",
		    .kind = ECAT_LINK_ATEMSYS, .irq = true },
	[V_PACKET] = { .id = "packet", .kind = ECAT_LINK_PACKET },
};

/**
 * struct segment - where this boot's EtherCAT runs
 * @sim:      the simulator's --nic ("" outside the guest)
 * @pci:      the e1000e pair (else a device-tree board)
 * @bdf:      PCI: the master NIC, bound to e1000e for the packet variant
 */
struct segment {
	char sim[NIC_LEN];
	bool pci;
	char bdf[ATEMSYS_BDF_LEN];
};

struct run {
	char group[16];
	uint32_t period_us;
	struct samples s[N_VARIANTS];
	/* over all rounds */
	uint32_t cycles[N_VARIANTS], late[N_VARIANTS], lost[N_VARIANTS];
	char err[N_VARIANTS][320];
};

static volatile sig_atomic_t sim_stop;

static void sim_on_term(int sig)
{
	(void)sig;
	sim_stop = 1;
}

/* The simulator child: reports "ok" or the error on @wfd, then serves */
static void sim_child(int wfd, const char *nic)
{
	static struct esc_slave slaves[SLAVES];
	struct ecat_link_config lc = { .kind = ECAT_LINK_ATEMSYS,
				       .nic = nic, .irq_cpu = -1 };
	struct sim_config cfg = { .slaves = SLAVES, .out_len = 4, .in_len = 4,
				  .stop = &sim_stop };
	struct sigaction sa = { .sa_handler = sim_on_term };
	struct ecat_link link;
	struct sim_stats st;
	char msg[400];

	sigaction(SIGTERM, &sa, NULL);
	rt_setup(BENCH_CPU_PEER, 0);
	/* the parent's SCHED_FIFO is not what a busy-polling peer wants */
	{
		struct sched_param sp = { .sched_priority = 0 };

		sched_setscheduler(0, SCHED_OTHER, &sp);
	}
	if (ecat_link_open(&link, &lc)) {
		snprintf(msg, sizeof(msg), "slave simulator on %s: %s", nic,
			 link.err);
		(void)!write(wfd, msg, strlen(msg));
		_exit(1);
	}
	(void)!write(wfd, "ok", 2);
	close(wfd);
	sim_run(&link, &cfg, slaves, &st);
	ecat_link_close(&link);
	_exit(0);
}

/* The simulator's pid; 0 when it runs outside the guest; -1 and @err */
static pid_t sim_start(const char *nic, char *err, size_t errlen)
{
	struct pollfd p;
	char msg[400];
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (!nic[0])
		return 0;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		sim_child(fds[1], nic);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	n = poll(&p, 1, 10000) == 1 ? read(fds[0], msg, sizeof(msg) - 1) : -1;
	close(fds[0]);
	if (n == 2 && !memcmp(msg, "ok", 2))
		return pid;
	snprintf(err, errlen, "%s", n > 0 ? (msg[n] = '\0', msg) :
		 "slave simulator did not start within 10 s");
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static void sim_end(pid_t pid)
{
	int i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* One round of variant i in run r: @cycles cycles, samples added */
static void master_once(const struct variant *v, struct run *r, size_t i,
			uint32_t cycles, bool rtt)
{
	struct ecat_link_config lc = { .kind = v->kind, .nic = v->nic,
				       .irq = v->irq,
				       .irq_cpu = BENCH_CPU_MASTER };
	struct master_config cfg;
	struct master_result res;
	struct ecat_link link;

	if (r->err[i][0])
		return;
	master_config_default(&cfg);
	cfg.slaves = SLAVES;
	cfg.period_us = r->period_us;
	cfg.cycles = cycles;
	cfg.timeout_us = 20000;
	cfg.max_lost = 50;
	if (rtt)
		cfg.rtt = &r->s[i];
	else
		cfg.jitter = &r->s[i];
	if (ecat_link_open(&link, &lc)) {
		snprintf(r->err[i], sizeof(r->err[i]), "%s", link.err);
		return;
	}
	memcpy(cfg.src, link.mac, 6);
	cfg.src[0] &= (uint8_t)~0x02;
	if (master_run(&link, &cfg, &res) && !res.late)
		snprintf(r->err[i], sizeof(r->err[i]), "%s", res.error);
	else if (res.status)
		/* errors from frames that came too late are counted as missed */
		bench_note("%s/%s: %s", r->group, v->id, res.error);
	r->cycles[i] += res.cycles;
	r->late[i] += res.late;
	r->lost[i] += res.lost;
	ecat_link_close(&link);
}

static void report(struct run *r, bool rtt)
{
	char extra[160];
	size_t i;

	for (i = 0; i < N_VARIANTS; i++) {
		const struct variant *v = &variants[i];

		if (v->skip) {
			bench_skip(r->group, v->id, v->label, v->skip);
			continue;
		}
		if (r->err[i][0]) {
			bench_error(r->group, v->id, v->label, "%s", r->err[i]);
			continue;
		}
		snprintf(extra, sizeof(extra),
			 "\"period_us\":%u,\"cycles\":%u,\"missed\":%u,\"lost\":%u",
			 r->period_us, r->cycles[i], r->late[i] + r->lost[i],
			 r->lost[i]);
		bench_row(r->group, v->id, v->label, v->baseline, &r->s[i],
			  rtt ? NULL : extra);
	}
}

/* PCI: the e1000e pair; 0, or -1 if the board has none */
static int segment_pci(struct segment *seg)
{
	struct atemsys_pci_loc loc;

	if (pci_find_id(E1000E_VENDOR, E1000E_DEVICE, 1, &loc))
		return -1;
	atemsys_pci_format(&loc, seg->bdf, sizeof(seg->bdf));
	seg->pci = true;
	snprintf(seg->sim, sizeof(seg->sim), "%s", PCI_SIM_NIC);
	snprintf(variants[V_POLL].label, sizeof(variants[V_POLL].label),
		 "atemsys e1000e, polling");
	snprintf(variants[V_IRQ].label, sizeof(variants[V_IRQ].label),
		 "atemsys e1000e, interrupt (MSI-X)");
	snprintf(variants[V_PACKET].label, sizeof(variants[V_PACKET].label),
		 "AF_PACKET, kernel e1000e driver");
	snprintf(variants[V_POLL].nic, NIC_LEN, "%s", PCI_MASTER_NIC);
	snprintf(variants[V_IRQ].nic, NIC_LEN, "%s", PCI_MASTER_NIC);
	snprintf(variants[V_PACKET].nic, NIC_LEN, "%s", PCI_MASTER_NIC);
	return 0;
}

/* The simulator of a DT board: the next atemsys MAC, or outside; 0/-1 */
static int dt_sim(struct segment *seg, unsigned int n, char *err, size_t len)
{
	const char *where = getenv(LL_SIM_ENV);

	if (!dt_atemsys_nic(n, seg->sim, sizeof(seg->sim)))
		return 0;
	seg->sim[0] = '\0';
	if (where && !strcmp(where, "dgram"))
		return 0;
	snprintf(err, len, "no MAC for the slave simulator: a second node handed to atemsys, or " LL_SIM_ENV "=dgram (the simulator on the host)");
	return -1;
}

/*
 * The board's segment and which variants this boot measures; 0, or -1
 * with @err (nothing can run)
 */
static int segment_find(struct segment *seg, char *err, size_t len)
{
	static const char atemsys_boot[] =
		"measured in the boot with the atemsys device tree";
	static const char stock_boot[] =
		"the kernel's own driver needs the stock device tree: measured in the second boot";
	const char *node = getenv(STOCK_NODE_ENV), *drv = getenv(STOCK_DRIVER_ENV);
	char master[NIC_LEN];
	uint64_t deadline;

	memset(seg, 0, sizeof(*seg));
	if (!node && !segment_pci(seg))
		return 0;
	if (!node) {
		/* a device-tree board, the boot with the atemsys DTB */
		if (dt_atemsys_nic(0, master, sizeof(master))) {
			snprintf(err, len, "no e1000e pair (8086:10d3 instances 1, 2) and no MAC handed to atemsys by the device tree");
			return -1;
		}
		snprintf(variants[V_POLL].label, sizeof(variants[V_POLL].label),
			 "atemsys %s, polling", master);
		snprintf(variants[V_IRQ].label, sizeof(variants[V_IRQ].label),
			 "atemsys %s, interrupt", master);
		snprintf(variants[V_PACKET].label, sizeof(variants[V_PACKET].label),
			 "AF_PACKET, kernel driver of %s", master);
		snprintf(variants[V_POLL].nic, NIC_LEN, "%s", master);
		snprintf(variants[V_IRQ].nic, NIC_LEN, "%s", master);
		variants[V_PACKET].skip = stock_boot;
		return dt_sim(seg, 1, err, len);
	}
	/* the boot with the stock device tree: only the kernel's driver */
	variants[V_POLL].skip = atemsys_boot;
	variants[V_IRQ].skip = atemsys_boot;
	snprintf(variants[V_POLL].label, sizeof(variants[V_POLL].label),
		 "atemsys, polling");
	snprintf(variants[V_IRQ].label, sizeof(variants[V_IRQ].label),
		 "atemsys, interrupt");
	snprintf(variants[V_PACKET].label, sizeof(variants[V_PACKET].label),
		 "AF_PACKET, kernel %s driver", drv ? drv : "MAC");
	if (drv && module_load(drv))
		bench_note("load %s: %s (built in?)", drv, strerror(errno));
	deadline = now_ns() + (uint64_t)NETDEV_WAIT_MS * NSEC_PER_MSEC;
	while (dt_netdev_of_node(node, variants[V_PACKET].nic, NIC_LEN)) {
		if (now_ns() > deadline) {
			snprintf(err, len, "no network interface for %s within %u ms (driver %s: is it in the board's modules-available, and its node okay in the stock device tree?)",
				 node, NETDEV_WAIT_MS, drv ? drv : "?");
			return -1;
		}
		usleep(100000);
	}
	return dt_sim(seg, 0, err, len);
}

void bench_ecat(const struct bench_opts *o)
{
	static struct run runs[3];
	static const uint32_t periods[] = { RTT_PERIOD_US, 1000, 250 };
	char err[400] = "";
	struct segment seg;
	size_t g, i, ng = sizeof(periods) / sizeof(periods[0]);
	unsigned int round, rounds = o->quick ? 1 : ROUNDS;
	pid_t sim = -1;

	for (g = 0; g < ng; g++) {
		runs[g].period_us = periods[g];
		snprintf(runs[g].group, sizeof(runs[g].group), g ? "cycle-%u" : "rtt",
			 periods[g]);
		for (i = 0; i < N_VARIANTS; i++)
			samples_init(&runs[g].s[i], g ? o->cycle_n : o->rtt_n);
	}
	if (rt_setup(BENCH_CPU_MASTER, BENCH_PRIO))
		bench_note("CPU %d / SCHED_FIFO %d: %s", BENCH_CPU_MASTER,
			   BENCH_PRIO, strerror(errno));
	if (!segment_find(&seg, err, sizeof(err)))
		sim = sim_start(seg.sim, err, sizeof(err));

	for (round = 0; round < rounds && sim >= 0; round++) {
		for (i = 0; i < N_VARIANTS; i++) {
			const struct variant *v = &variants[i];

			if (v->skip)
				continue;
			if (v->kind == ECAT_LINK_PACKET && seg.pci) {
				if (pci_bind(seg.bdf, "e1000e")) {
					for (g = 0; g < ng; g++)
						snprintf(runs[g].err[i], sizeof(runs[g].err[i]),
							 "bind %s to the kernel's e1000e: %s (is e1000e in the board's modules-available?)",
							 seg.bdf, strerror(errno));
					continue;
				}
				pci_route_irqs(seg.bdf, BENCH_CPU_MASTER);
			}
			bench_note("round %u of %u: EtherCAT over %s", round + 1,
				   rounds, v->label);
			for (g = 0; g < ng; g++)
				master_once(v, &runs[g], i,
					    (g ? o->cycle_n : o->rtt_n) / rounds, !g);
			if (v->kind == ECAT_LINK_PACKET && seg.pci)
				pci_unbind(seg.bdf);
		}
	}
	sim_end(sim);

	for (g = 0; g < ng; g++) {
		char title[160];

		if (g)
			snprintf(title, sizeof(title),
				 "cyclic EtherCAT at %u us: |interval between answers - period|",
				 runs[g].period_us);
		else
			snprintf(title, sizeof(title),
				 "EtherCAT frame round trip (LRW + BRD, 2 slaves): send to answer");
		bench_group(runs[g].group, title, g ? "p99" : "p50");
		if (sim < 0) {
			for (i = 0; i < N_VARIANTS; i++) {
				const struct variant *v = &variants[i];
				const char *label = v->label[0] ? v->label : v->id;

				if (v->skip)
					bench_skip(runs[g].group, v->id, label, v->skip);
				else
					bench_error(runs[g].group, v->id, label, "%s", err);
			}
			continue;
		}
		report(&runs[g], !g);
		for (i = 0; i < N_VARIANTS; i++)
			samples_free(&runs[g].s[i]);
	}
}
