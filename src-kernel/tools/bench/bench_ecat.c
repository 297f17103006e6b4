// SPDX-License-Identifier: GPL-2.0
/*
 * EtherCAT through the three master link layers, against one slave
 * simulator (2 slaves, 4+4 bytes of process data each) on the other NIC of
 * the hub, over atemsys, polling, pinned to the other CPU: only the
 * master's link layer changes between variants.
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
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"
#include "master.h"
#include "sim.h"

#define MASTER_NIC	"e1000e:1"
#define SIM_NIC		"e1000e:2"
#define RTT_PERIOD_US	2000
#define SLAVES		2
#define ROUNDS		5

struct variant {
	const char *id, *label, *baseline;
	enum ecat_link_kind kind;
	bool irq;
};

static const struct variant variants[] = {
	{ "atemsys-poll", "atemsys e1000e, polling", "packet", ECAT_LINK_ATEMSYS, false },
	{ "atemsys-irq", "atemsys e1000e, interrupt (MSI-X)", "packet", ECAT_LINK_ATEMSYS, true },
	{ "packet", "AF_PACKET, kernel e1000e driver", NULL, ECAT_LINK_PACKET, false },
};
#define N_VARIANTS	(sizeof(variants) / sizeof(variants[0]))

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
static void sim_child(int wfd)
{
	static struct esc_slave slaves[SLAVES];
	struct ecat_link_config lc = { .kind = ECAT_LINK_ATEMSYS,
				       .nic = SIM_NIC, .irq_cpu = -1 };
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
		snprintf(msg, sizeof(msg), "slave simulator on %s: %s", SIM_NIC,
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

static pid_t sim_start(char *err, size_t errlen)
{
	struct pollfd p;
	char msg[400];
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		sim_child(fds[1]);
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
	struct ecat_link_config lc = { .kind = v->kind, .nic = MASTER_NIC,
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

void bench_ecat(const struct bench_opts *o)
{
	static struct run runs[3];
	static const uint32_t periods[] = { RTT_PERIOD_US, 1000, 250 };
	char err[400] = "", bdf[ATEMSYS_BDF_LEN] = "";
	struct atemsys_pci_loc loc;
	size_t g, i, ng = sizeof(periods) / sizeof(periods[0]);
	unsigned int round, rounds = o->quick ? 1 : ROUNDS;
	pid_t sim;

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
	if (!pci_find_id(E1000E_VENDOR, E1000E_DEVICE, 1, &loc))
		atemsys_pci_format(&loc, bdf, sizeof(bdf));
	sim = sim_start(err, sizeof(err));

	for (round = 0; round < rounds && sim > 0; round++) {
		for (i = 0; i < N_VARIANTS; i++) {
			const struct variant *v = &variants[i];

			if (v->kind == ECAT_LINK_PACKET) {
				if (pci_bind(bdf, "e1000e")) {
					for (g = 0; g < ng; g++)
						snprintf(runs[g].err[i], sizeof(runs[g].err[i]),
							 "bind %s to the kernel's e1000e: %s (is e1000e in the board's modules-available?)",
							 bdf, strerror(errno));
					continue;
				}
				pci_route_irqs(bdf, BENCH_CPU_MASTER);
			}
			bench_note("round %u of %u: EtherCAT over %s", round + 1,
				   rounds, v->label);
			for (g = 0; g < ng; g++)
				master_once(v, &runs[g], i,
					    (g ? o->cycle_n : o->rtt_n) / rounds, !g);
			if (v->kind == ECAT_LINK_PACKET)
				pci_unbind(bdf);
		}
	}
	if (sim > 0)
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
		if (sim <= 0) {
			for (i = 0; i < N_VARIANTS; i++)
				bench_error(runs[g].group, variants[i].id,
					    variants[i].label, "%s", err);
			continue;
		}
		report(&runs[g], !g);
		for (i = 0; i < N_VARIANTS; i++)
			samples_free(&runs[g].s[i]);
	}
}
