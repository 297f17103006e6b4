// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys-ecat: an EtherCAT master and a slave simulator over three link
 * layers (atemsys with a userspace e1000e, i.MX FEC or Cadence GEM driver;
 * AF_PACKET; UDP datagrams to and from QEMU on 127.0.0.1). Run --help.
 *
 * Exit status: 0 ok; 1 EtherCAT error (slave count, state refused, working
 * counter, process data, malformed frames); 2 usage; 3 link error (the NIC
 * cannot be opened or used); 4 timeout (no frame came back).
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atemsys.h>

#include "guest.h"
#include "link.h"
#include "master.h"
#include "sim.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: atemsys-ecat master --link atemsys|packet|dgram --nic NIC [options]\n"
"       atemsys-ecat sim    --link atemsys|packet|dgram --nic NIC [options]\n"
"       atemsys-ecat send   --link atemsys|packet|dgram --nic NIC --kind KIND [--count N]\n"
"                           [--src-mac MAC]\n"
"\n"
"NIC: a PCI function (0000:00:04.0), e1000e:N (the N-th 82574L, 0 first, in\n"
"B/D/F order), a device-tree MAC IDENT:INSTANCE (its atemsys-Ident and\n"
"atemsys-Instance: FslFec:1, GEM:1), for --link packet a network interface\n"
"(eth1), for --link dgram two UDP ports LOCAL:REMOTE on 127.0.0.1.\n"
"  --link atemsys   the userspace e1000e, i.MX FEC or Cadence GEM driver\n"
"                   through /dev/atemsys (a PCI NIC must have no kernel driver\n"
"                   bound; a device-tree MAC's node must be handed to atemsys)\n"
"  --link packet    an AF_PACKET raw socket on the NIC's kernel interface\n"
"  --link dgram     frames as UDP datagrams on 127.0.0.1 only: the other end\n"
"                   of a QEMU board's -netdev dgram (a simulator on the host)\n"
"\n"
"common options:\n"
"  --irq            atemsys: sleep on the NIC's interrupt instead of polling\n"
"  --slaves N       master: slaves expected (default: what the scan finds);\n"
"                   sim: slaves simulated (default 2, at most %d)\n"
"  --out-bytes B    process data outputs per slave (default 4)\n"
"  --in-bytes B     process data inputs per slave (default 4)\n"
"  --cpu N          pin to CPU N (and route the NIC's interrupt there)\n"
"  --prio P         SCHED_FIFO priority P (1-99)\n"
"  --json           print the result as one line of JSON\n"
"  --verbose        say what is going on, on stderr\n"
"master:\n"
"  --period-us P    cycle period in us (default 1000)\n"
"  --cycles C       cyclic frames (default 1000)\n"
"  --timeout-us T   wait for a frame to come back (default 100000)\n"
"  --link-wait-ms W a frame lost while the link is down: wait up to W ms for\n"
"                   the link and go on (default 30000; 0: end the run, exit 3)\n"
"  --src-mac MAC    Ethernet source address (default: the NIC's, with the\n"
"                   locally-administered bit cleared)\n"
"  --keep-op        leave the slaves in OP\n"
"  --wire-tag NAME  also print 'll-wire {json}': what went over the wire\n"
"sim:\n"
"  --fault F        none, truncate (process data frames go back cut in half),\n"
"                   ethertype (answers with EtherType 0x88B5), wkc@N (after N\n"
"                   process data frames slave 0 stops serving them)\n"
"  --frames N       stop after answering N frames (default: SIGTERM/SIGINT)\n"
"                   It prints \"ready: ...\" once it answers frames.\n"
"send (frames a master or a segment must survive):\n"
"  --kind K         truncated (EtherCAT header longer than the frame),\n"
"                   ethertype (EtherType 0x88B5), garbage (header type 5)\n"
"\n"
"exit status: 0 ok, 1 EtherCAT error, 2 usage, 3 link error, 4 timeout\n",
		SIM_SLAVES_MAX);
}

struct opts {
	const char *cmd;
	struct ecat_link_config link;
	int link_kind;
	int cpu, prio;
	bool json, verbose, keep_op;
	unsigned int slaves;
	unsigned long out_len, in_len;
	unsigned long period_us, cycles, timeout_us, link_wait_ms;
	const char *src_mac, *wire_tag, *fault, *kind;
	unsigned long long frames;
	unsigned long count;
};

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "atemsys-ecat: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return MASTER_E_USAGE;
}

static bool num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return !errno && !*end && end != s && *v <= max;
}

static int parse(int argc, char **argv, struct opts *o)
{
	enum { O_LINK = 256, O_NIC, O_IRQ, O_SLAVES, O_OUT, O_IN, O_CPU, O_PRIO,
	       O_JSON, O_VERBOSE, O_PERIOD, O_CYCLES, O_TIMEOUT, O_SRC,
	       O_KEEP, O_WIRE, O_FAULT, O_FRAMES, O_KIND, O_COUNT, O_LINK_WAIT,
	       O_HELP };
	static const struct option lo[] = {
		{ "link", required_argument, NULL, O_LINK },
		{ "nic", required_argument, NULL, O_NIC },
		{ "irq", no_argument, NULL, O_IRQ },
		{ "slaves", required_argument, NULL, O_SLAVES },
		{ "out-bytes", required_argument, NULL, O_OUT },
		{ "in-bytes", required_argument, NULL, O_IN },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "prio", required_argument, NULL, O_PRIO },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "period-us", required_argument, NULL, O_PERIOD },
		{ "cycles", required_argument, NULL, O_CYCLES },
		{ "timeout-us", required_argument, NULL, O_TIMEOUT },
		{ "src-mac", required_argument, NULL, O_SRC },
		{ "keep-op", no_argument, NULL, O_KEEP },
		{ "wire-tag", required_argument, NULL, O_WIRE },
		{ "fault", required_argument, NULL, O_FAULT },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "kind", required_argument, NULL, O_KIND },
		{ "count", required_argument, NULL, O_COUNT },
		{ "link-wait-ms", required_argument, NULL, O_LINK_WAIT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	*o = (struct opts){ .link_kind = -1, .cpu = -1, .out_len = 4, .in_len = 4,
			    .period_us = 1000, .cycles = 1000,
			    .timeout_us = 100000, .link_wait_ms = 30000,
			    .fault = "none", .count = 1 };
	o->link.irq_cpu = -1;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? MASTER_E_USAGE : -1;
	}
	o->cmd = argv[1];
	if (strcmp(o->cmd, "master") && strcmp(o->cmd, "sim") &&
	    strcmp(o->cmd, "send"))
		return bad("unknown command \"%s\": master, sim or send", o->cmd);
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_LINK:
			o->link_kind = ecat_link_kind_parse(optarg);
			if (o->link_kind < 0)
				return bad("--link \"%s\": atemsys, packet or dgram", optarg);
			break;
		case O_NIC:
			o->link.nic = optarg;
			break;
		case O_IRQ:
			o->link.irq = true;
			break;
		case O_SLAVES:
			if (!num(optarg, MASTER_SLAVES_MAX, &v) || !v)
				return bad("--slaves \"%s\": 1 to 256", optarg);
			o->slaves = (unsigned int)v;
			break;
		case O_OUT:
			if (!num(optarg, ESC_PD_MAX, &o->out_len))
				return bad("--out-bytes \"%s\": 0 to 2048", optarg);
			break;
		case O_IN:
			if (!num(optarg, ESC_PD_MAX, &o->in_len))
				return bad("--in-bytes \"%s\": 0 to 2048", optarg);
			break;
		case O_CPU:
			if (!num(optarg, 1023, &v))
				return bad("--cpu \"%s\": a CPU number", optarg);
			o->cpu = (int)v;
			break;
		case O_PRIO:
			if (!num(optarg, 99, &v) || !v)
				return bad("--prio \"%s\": 1 to 99", optarg);
			o->prio = (int)v;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_VERBOSE:
			o->verbose = true;
			break;
		case O_PERIOD:
			if (!num(optarg, 10000000, &o->period_us) || o->period_us < 10)
				return bad("--period-us \"%s\": 10 to 10000000", optarg);
			break;
		case O_CYCLES:
			if (!num(optarg, 100000000, &o->cycles))
				return bad("--cycles \"%s\": 0 to 100000000", optarg);
			break;
		case O_TIMEOUT:
			if (!num(optarg, 60000000, &o->timeout_us) || !o->timeout_us)
				return bad("--timeout-us \"%s\": 1 to 60000000", optarg);
			break;
		case O_SRC:
			o->src_mac = optarg;
			break;
		case O_KEEP:
			o->keep_op = true;
			break;
		case O_WIRE:
			o->wire_tag = optarg;
			break;
		case O_FAULT:
			o->fault = optarg;
			break;
		case O_FRAMES:
			if (!num(optarg, ~0UL, &v))
				return bad("--frames \"%s\": a number", optarg);
			o->frames = v;
			break;
		case O_KIND:
			o->kind = optarg;
			break;
		case O_COUNT:
			if (!num(optarg, 1000000, &o->count) || !o->count)
				return bad("--count \"%s\": 1 to 1000000", optarg);
			break;
		case O_LINK_WAIT:
			if (!num(optarg, 3600000, &o->link_wait_ms))
				return bad("--link-wait-ms \"%s\": 0 to 3600000", optarg);
			break;
		case O_HELP:
			usage(stdout);
			return -1;
		default:
			return MASTER_E_USAGE;
		}
	}
	if (optind < argc)
		return bad("unexpected argument \"%s\"", argv[optind]);
	if (o->link_kind < 0)
		return bad("%s: --link atemsys|packet|dgram is required", o->cmd);
	if (!o->link.nic)
		return bad("%s: --nic is required", o->cmd);
	o->link.kind = (enum ecat_link_kind)o->link_kind;
	o->link.irq_cpu = o->cpu;
	if (o->link.irq && o->link.kind != ECAT_LINK_ATEMSYS)
		return bad("%s: --irq is for --link atemsys (a packet link always sleeps in the kernel)",
			   o->cmd);
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_stats(FILE *f, const char *name, struct samples *s)
{
	struct sample_stats st;

	samples_stats(s, &st);
	fprintf(f, ",\"%s\":{", name);
	sample_stats_json(f, &st);
	fputc('}', f);
}

static void print_wire(const char *tag, const struct master_result *r,
		       const uint8_t src[6], unsigned int slaves)
{
	static const char *const names[] = { "sent", "returned", "wkc" };
	unsigned int i, c;

	printf("ll-wire {\"run\":");
	json_str(stdout, tag);
	printf(",\"src\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"slaves\":%u",
	       src[0], src[1], src[2], src[3], src[4], src[5], slaves);
	for (i = 0; i < 3; i++) {
		bool first = true;

		printf(",\"%s\":{", names[i]);
		for (c = 0; c < ECAT_CMD_COUNT; c++) {
			uint64_t v = i == 0 ? r->wire.sent[c] : i == 1 ?
				     r->wire.returned[c] : r->wire.wkc[c];

			if (!v)
				continue;
			printf("%s\"%s\":%llu", first ? "" : ",", ecat_cmd_name(c),
			       (unsigned long long)v);
			first = false;
		}
		printf("}");
	}
	printf(",\"lrw\":{\"laddr\":%u,\"len\":%u,\"wkc\":%u,\"cycles\":%u},\"malformed_expected\":false}\n",
	       r->wire.lrw_laddr, r->wire.lrw_len, r->wire.lrw_wkc,
	       r->wire.lrw_cycles);
}

static void link_stats_json(FILE *f, struct ecat_link *l)
{
	struct ecat_link_stats ls;

	ecat_link_stats(l, &ls);
	fprintf(f, ",\"link_stats\":{\"tx\":%llu,\"rx\":%llu,\"irqs\":%llu,\"irq_waits\":%llu,\"irq_timeouts\":%llu,\"dropped\":%llu}",
		(unsigned long long)ls.tx_frames, (unsigned long long)ls.rx_frames,
		(unsigned long long)ls.irqs, (unsigned long long)ls.irq_waits,
		(unsigned long long)ls.irq_timeouts,
		(unsigned long long)ls.rx_dropped);
}

static const char *link_kind_name(enum ecat_link_kind kind)
{
	return kind == ECAT_LINK_ATEMSYS ? "atemsys" :
	       kind == ECAT_LINK_PACKET ? "packet" : "dgram";
}

static int open_link(const struct opts *o, struct ecat_link *l)
{
	if (ecat_link_open(l, &o->link)) {
		fprintf(stderr, "atemsys-ecat %s: %s\n", o->cmd, l->err);
		return MASTER_E_LINK;
	}
	if ((o->cpu >= 0 || o->prio) && rt_setup(o->cpu, o->prio))
		fprintf(stderr, "atemsys-ecat %s: warning: CPU %d / priority %d: %s\n",
			o->cmd, o->cpu, o->prio, strerror(errno));
	if (o->verbose)
		fprintf(stderr, "atemsys-ecat %s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x\n",
			o->cmd, l->desc, l->mac[0], l->mac[1], l->mac[2],
			l->mac[3], l->mac[4], l->mac[5]);
	return 0;
}

/* --json: one line when the cyclic phase starts, for whoever waits for it */
static void json_on_op(unsigned int slaves)
{
	printf("{\"event\":\"op\",\"slaves\":%u}\n", slaves);
	fflush(stdout);
}

static int cmd_master(const struct opts *o)
{
	struct master_config cfg;
	struct master_result res;
	struct samples rtt, jitter;
	struct ecat_link link;
	int ret;

	master_config_default(&cfg);
	cfg.slaves = o->slaves;
	cfg.out_len = (uint16_t)o->out_len;
	cfg.in_len = (uint16_t)o->in_len;
	cfg.period_us = (uint32_t)o->period_us;
	cfg.cycles = (uint32_t)o->cycles;
	cfg.timeout_us = (uint32_t)o->timeout_us;
	cfg.link_wait_ms = (uint32_t)o->link_wait_ms;
	cfg.keep_op = o->keep_op;
	cfg.verbose = o->verbose;
	cfg.stop = &stop;
	if (o->json)
		cfg.on_op = json_on_op;
	if (o->src_mac && parse_mac(o->src_mac, cfg.src))
		return bad("--src-mac \"%s\": six hex bytes, aa:bb:cc:dd:ee:ff",
			   o->src_mac);
	if (samples_init(&rtt, cfg.cycles) || samples_init(&jitter, cfg.cycles)) {
		fprintf(stderr, "atemsys-ecat master: out of memory\n");
		return MASTER_E_LINK;
	}
	cfg.rtt = &rtt;
	cfg.jitter = &jitter;

	ret = open_link(o, &link);
	if (ret)
		return ret;
	if (!o->src_mac) {
		memcpy(cfg.src, link.mac, 6);
		cfg.src[0] &= (uint8_t)~0x02;
	}
	master_run(&link, &cfg, &res);

	if (o->json) {
		printf("{\"cmd\":\"master\",\"link\":\"%s\",\"desc\":",
		       link_kind_name(o->link.kind));
		json_str(stdout, link.desc);
		printf(",\"slaves\":%u,\"state\":\"%s\",\"cycles\":%u,\"period_us\":%lu,\"wkc_errors\":%u,\"data_errors\":%u,\"lost\":%u,\"late\":%u,\"malformed\":%u,\"ignored\":%u,\"stale\":%u",
		       res.slaves, res.state ? master_state_name(res.state) : "none",
		       res.cycles, o->period_us, res.wkc_errors, res.data_errors,
		       res.lost, res.late, res.malformed, res.ignored, res.stale);
		printf(",\"link_losses\":%u,\"link_down_ms\":%u,\"lost_link\":%u",
		       res.link_losses, res.link_down_ms, res.lost_link);
		json_stats(stdout, "rtt", &rtt);
		json_stats(stdout, "jitter", &jitter);
		link_stats_json(stdout, &link);
		printf(",\"status\":%d,\"error\":", res.status);
		if (res.status)
			json_str(stdout, res.error);
		else
			printf("null");
		printf("}\n");
	} else {
		struct sample_stats st;

		samples_stats(&rtt, &st);
		printf("%s: %u slave(s), reached %s, %u cycles of %lu us: %u working counter errors, %u data errors, %u lost, %u late; round trip median %.1f us, max %.1f us\n",
		       link.desc, res.slaves,
		       res.state ? master_state_name(res.state) : "nothing",
		       res.cycles, o->period_us, res.wkc_errors, res.data_errors,
		       res.lost, res.late, st.p50, st.max);
		if (res.link_losses)
			printf("  link lost %u time(s), down %u ms in all, %u frame(s) went with it\n",
			       res.link_losses, res.link_down_ms, res.lost_link);
	}
	if (o->wire_tag)
		print_wire(o->wire_tag, &res, cfg.src, res.slaves);
	if (res.status)
		fprintf(stderr, "atemsys-ecat master: %s\n", res.error);
	fflush(stdout);
	ecat_link_close(&link);
	samples_free(&rtt);
	samples_free(&jitter);
	return res.status;
}

static int cmd_sim(const struct opts *o)
{
	static struct esc_slave slaves[SIM_SLAVES_MAX];
	struct sim_config cfg = {
		.slaves = o->slaves ? o->slaves : 2,
		.out_len = (uint16_t)o->out_len,
		.in_len = (uint16_t)o->in_len,
		.max_frames = o->frames,
		.stop = &stop,
	};
	struct ecat_link link;
	struct sim_stats st;
	int ret;

	if (cfg.slaves > SIM_SLAVES_MAX) {
		fprintf(stderr, "atemsys-ecat sim: --slaves %u: the simulator has at most %d\n",
			cfg.slaves, SIM_SLAVES_MAX);
		return MASTER_E_USAGE;
	}
	if (sim_fault_parse(o->fault, &cfg))
		return bad("--fault \"%s\": none, truncate, ethertype or wkc@N",
			   o->fault);
	ret = open_link(o, &link);
	if (ret)
		return ret;
	/* whoever started it in the background can wait for this line */
	printf("ready: %s, %u slave(s), %lu+%lu bytes of process data each, fault %s\n",
	       link.desc, cfg.slaves, o->out_len, o->in_len, o->fault);
	fflush(stdout);
	ret = sim_run(&link, &cfg, slaves, &st);
	if (ret)
		fprintf(stderr, "atemsys-ecat sim: %s\n", link.err);
	if (o->json) {
		sim_stats_json(stdout, &cfg, slaves, &st);
		putchar('\n');
	} else {
		printf("%s: %u slave(s): %llu frames answered (%llu with process data), %llu malformed, %llu of other EtherTypes, %llu faulted\n",
		       link.desc, cfg.slaves, (unsigned long long)st.frames,
		       (unsigned long long)st.pd_frames,
		       (unsigned long long)st.malformed,
		       (unsigned long long)st.ignored,
		       (unsigned long long)st.faulted);
	}
	fflush(stdout);
	ecat_link_close(&link);
	return ret ? MASTER_E_LINK : 0;
}

/* Frames that are wrong on purpose, for the receiver's robustness */
static int cmd_send(const struct opts *o)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[ECAT_FRAME_MAX], data[200] = { 0 }, src[6];
	struct ecat_link link;
	struct ecat_frame f;
	unsigned long i;
	size_t len;
	int ret;

	if (!o->kind || (strcmp(o->kind, "truncated") && strcmp(o->kind, "ethertype") &&
			 strcmp(o->kind, "garbage")))
		return bad("send: --kind \"%s\": truncated, ethertype or garbage",
			   o->kind ? o->kind : "");
	ret = open_link(o, &link);
	if (ret)
		return ret;
	memcpy(src, link.mac, 6);
	src[0] &= (uint8_t)~0x02;
	if (o->src_mac && parse_mac(o->src_mac, src)) {
		ecat_link_close(&link);
		return bad("--src-mac \"%s\": six hex bytes, aa:bb:cc:dd:ee:ff",
			   o->src_mac);
	}
	ecat_frame_init(&f, buf, bcast, src);
	ecat_frame_add(&f, ECAT_BRD, 0, ecat_addr(0, ESC_REG_TYPE), sizeof(data),
		       data);
	len = ecat_frame_finish(&f);
	if (!strcmp(o->kind, "truncated")) {
		len /= 2;
	} else if (!strcmp(o->kind, "ethertype")) {
		buf[12] = SIM_FAULT_ETHERTYPE_VALUE >> 8;
		buf[13] = SIM_FAULT_ETHERTYPE_VALUE & 0xff;
	} else {
		put_le16(buf + ECAT_ETH_HDR_LEN,
			 (uint16_t)(5 << 12 | (get_le16(buf + ECAT_ETH_HDR_LEN) & ECAT_LEN_MASK)));
	}
	for (i = 0; i < o->count && !ret; i++)
		if (ecat_link_send(&link, buf, len)) {
			fprintf(stderr, "atemsys-ecat send: %s\n", link.err);
			ret = MASTER_E_LINK;
		}
	if (!ret && !o->json)
		printf("%lu %s frame(s) of %zu bytes sent on %s\n", o->count,
		       o->kind, len, link.desc);
	ecat_link_close(&link);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;
	int ret;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking wait returns, the loop sees stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(o.cmd, "master"))
		return cmd_master(&o);
	if (!strcmp(o.cmd, "sim"))
		return cmd_sim(&o);
	return cmd_send(&o);
}
