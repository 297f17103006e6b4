// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys-selftest: in-guest tests of the atemsys module, KTAP v1 on stdout.
 *
 *   atemsys-selftest [--group G[,G...]] [--only NAME[,NAME...]]
 *                    [--timeout SECONDS] [--list] [--subtest]
 *
 * Runs as root in the guest with atemsys.ko loaded, against QEMU's edu
 * (1234:11e8) and e1000e (8086:10d3) (group "pci"), or a MAC whose device
 * tree node says compatible = "atemsys" (group "dt": QEMU's i.MX FEC or
 * Cadence GEM, by the node's atemsys-Ident; see dt_mac.c), or EtherCAT
 * through two hub-joined e1000e with the tools atemsys-ecat (group "ll",
 * tests_ll.c). Each
 * board names its groups; without --group every group runs and a test whose
 * device is missing is skipped. Exit status: 0 if no test failed, 1
 * otherwise (or when the run cannot start), 2 on bad usage.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atemsys.h>

#include "dt.h"
#include "ktap.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define DEFAULT_TIMEOUT_S	20u
/* the whole 32-bit run, as one test of the 64-bit one */
#define COMPAT32_TIMEOUT_S	900u

/*
 * The plan, in order within each phase. Tests without a group belong to
 * every group (module-wide checks). A new group adds its name to st_groups
 * and its tests here.
 */
static const char *const st_groups[] = { "pci", "dt", "ll", "fuzz" };

static const struct st_test st_tests[] = {
	{ "version", NULL, ST_PHASE_FIRST, test_version,
	  "MOD_GETVERSION is 1.4.39, as /sys/module/atemsys/version" },
	{ "find_by_id", "pci", ST_PHASE_GROUP, test_find_by_id,
	  "FIND by vendor/device/instance (and -1 wildcards) matches sysfs" },
	{ "conf_by_bdf", "pci", ST_PHASE_GROUP, test_conf_by_bdf,
	  "CONF returns sysfs's BARs and IRQ; unknown B/D/F: ENODEV" },
	{ "bar_mmap_edu", "pci", ST_PHASE_GROUP, test_bar_mmap_edu,
	  "edu BAR0 mapped: ID, liveness, factorial registers" },
	{ "dma_to_device", "pci", ST_PHASE_GROUP, test_dma_to_device,
	  "DMA buffer (4-byte address) to the edu and back; DMA without a device" },
	{ "dma_from_device", "pci", ST_PHASE_GROUP, test_dma_from_device,
	  "DMA buffer (8-byte address, API 1.4.15) from two edu offsets" },
	{ "dma_churn", "pci", ST_PHASE_GROUP, test_dma_churn,
	  "2000 x mmap(64 KiB) + munmap on one fd: one buffer, reused; memory flat" },
	{ "dma_limit", "pci", ST_PHASE_GROUP, test_dma_limit,
	  "over RLIMIT_MEMLOCK (no CAP_IPC_LOCK) or dma_limit_mib: ENOMEM, logged" },
	{ "dma_kept_for_unreset", "pci", ST_PHASE_GROUP, test_dma_kept_for_unreset,
	  "a dead holder's DMA in flight on a device without reset: its memory kept, not reused" },
	{ "irq_msi", "pci", ST_PHASE_GROUP, test_irq_msi,
	  "auto mode connects MSI; raise -> read(); O_NONBLOCK -> EAGAIN" },
	{ "irq_intx", "pci", ST_PHASE_GROUP, test_irq_intx,
	  "intx mode: masked until read, unmasked on read, re-fires unacked" },
	{ "irq_shared_intx", "pci", ST_PHASE_GROUP, test_irq_shared_intx,
	  "two edus on one INTx line: each fd gets only its own interrupts" },
	{ "poll", "pci", ST_PHASE_GROUP, test_poll,
	  "poll(): POLLERR unconnected, POLLIN only while pending" },
	{ "irq_disconnect_wakes_reader", "pci", ST_PHASE_GROUP,
	  test_irq_disconnect_wakes_reader,
	  "INT_DISCONNECT wakes a blocked read() with EINVAL; read() EINVALs" },
	{ "cpu_affinity", "pci", ST_PHASE_GROUP, test_cpu_affinity,
	  "INT_SET_CPU_AFFINITY (4 bytes and cpu_set_t) -> smp_affinity_list, "
	  "interrupts then counted on CPU 1, a handler thread moved there" },
	{ "old_struct_revisions", "pci", ST_PHASE_GROUP, test_old_struct_revisions,
	  "FIND/CONF with the 80- and 84-byte structs agree with 108-byte" },
	{ "release_and_reconf", "pci", ST_PHASE_GROUP, test_release_and_reconf,
	  "RELEASE: EBUSY while mapped, really releases, fd takes another device" },
	{ "negative", "pci", ST_PHASE_GROUP, test_negative,
	  "EFAULT, ENOTTY, ENODEV, EBUSY and EPERM refusals" },
	{ "unclaimed_mmio", "pci", ST_PHASE_GROUP, test_unclaimed_mmio,
	  "allow_unclaimed_mmio: off by default; on maps unclaimed MMIO, never RAM" },
	{ "e1000e_status", "pci", ST_PHASE_GROUP, test_e1000e_status,
	  "e1000e BAR0: STATUS, NVM checksum 0xbaba, MAC in RAL0/RAH0" },
	{ "release_resets_function", "pci", ST_PHASE_GROUP, test_release_resets_function,
	  "igb left programmed: RELEASE and SIGKILL leave it reset (FLR), INTx off" },
	{ "killed_child_cleanup", "pci", ST_PHASE_GROUP, test_killed_child_cleanup,
	  "SIGKILLed holder: IRQ freed, bus mastering off, device reusable" },
	{ "killed_holder_quiet", "pci", ST_PHASE_GROUP, test_killed_holder_quiet,
	  "SIGKILLed MSI holder's edu raises: INTx off, shared line quiet, no \"nobody cared\"" },
	{ "hot_remove_waits", "pci", ST_PHASE_GROUP, test_hot_remove_waits,
	  "hot-unplug (sysfs remove) of a held edu waits for its holder, also when killed; rescan brings it back" },
	{ "hot_unplug_qmp", "pci", ST_PHASE_GROUP, test_hot_unplug_qmp,
	  "QMP device_del of a held edu: blocked read() gets ENODEV, release, device_add, reuse" },
	{ "atemsys_pci_driver", "pci", ST_PHASE_GROUP, test_atemsys_pci_driver,
	  "edu bound to atemsys_pci: CONF, EBUSY for a 2nd fd, DMA, IRQ, unbind" },
	{ "unbind_rmmod_race", "pci", ST_PHASE_GROUP, test_unbind_rmmod_race,
	  "atemsys_pci bind/unbind and rmmod racing fds that CONF, map, read, close" },
	{ "dt_mac_info", "dt", ST_PHASE_GROUP, test_dt_mac_info,
	  "GET_MAC_INFO(atemsys-Ident, -Instance) matches the node; unknown: ENOENT" },
	{ "dt_reg_mmap", "dt", ST_PHASE_GROUP, test_dt_reg_mmap,
	  "reg mappable by the holder only: MAC address regs read back; DMA buffer" },
	{ "dt_second_fd_busy", "dt", ST_PHASE_GROUP, test_dt_second_fd_busy,
	  "2nd fd: EBUSY + EC_E_BUSY, log names the holder; free after close" },
	{ "dt_irq", "dt", ST_PHASE_GROUP, test_dt_irq,
	  "INT_CONNECT(0): FEC MII / GEM TX used event -> read(), masked until read" },
	{ "dt_iomem", "dt", ST_PHASE_GROUP, test_dt_iomem,
	  "IOMEM_CMD map/read/write a MAC address reg; bounds, foreign, limit refused" },
	{ "dt_negative", "dt", ST_PHASE_GROUP, test_dt_negative,
	  "EPERM unbound, ENODEV bad index, PHY_RESET EOPNOTSUPP, EFAULT" },
	{ "dt_unbind_rebind", "dt", ST_PHASE_GROUP, test_dt_unbind_rebind,
	  "driver unbind waits for the holder's close; bind probes again" },
	{ "dt_killed_holder_reset", "dt", ST_PHASE_GROUP, test_dt_killed_holder_reset,
	  "SIGKILLed holder raising its IRQ: release pulses the node's resets; reusable" },
	{ "dt_dma_kept_without_resets", "dt", ST_PHASE_GROUP, test_dt_dma_kept_without_resets,
	  "a dead holder's DMA memory: kept when the node has no resets, freed when it has" },
	{ "dt_mdio_proxy", "dt", ST_PHASE_GROUP, test_dt_mdio_proxy,
	  "phylib reads QEMU's PHY through orders served by a thread" },
	{ "dt_close_stops_phy", "dt", ST_PHASE_GROUP, test_dt_close_stops_phy,
	  "close and SIGKILL stop the PHY and remove the MDIO bus" },
	{ "dt_mdio_timeout", "dt", ST_PHASE_GROUP, test_dt_mdio_timeout,
	  "unserved order: start fails after mdio_timeout_ms; stop/close fast" },
	{ "dt_mdio_stall", "dt", ST_PHASE_GROUP, test_dt_mdio_stall,
	  "running PHY, orders unserved: parked (EC_E_TIMEOUT, no WARN); restarts" },
	{ "ll_atemsys_poll", "ll", ST_PHASE_GROUP, test_ll_atemsys_poll,
	  "EtherCAT master and 2-slave simulator over atemsys (polling): OP, 1000 cycles" },
	{ "ll_atemsys_irq", "ll", ST_PHASE_GROUP, test_ll_atemsys_irq,
	  "the master over atemsys on the NIC's MSI-X, MSI and INTx (a DT MAC's interrupt): 300 cycles each" },
	{ "ll_packet", "ll", ST_PHASE_GROUP, test_ll_packet,
	  "the master over AF_PACKET on the kernel's e1000e: OP, 1000 cycles" },
	{ "ll_sim_packet", "ll", ST_PHASE_GROUP, test_ll_sim_packet,
	  "the simulator over AF_PACKET, the master over atemsys: 300 cycles" },
	{ "ll_bad_input_to_sim", "ll", ST_PHASE_GROUP, test_ll_bad_input_to_sim,
	  "truncated, foreign and garbage frames: counted, dropped, segment still fine" },
	{ "ll_truncated_answer", "ll", ST_PHASE_GROUP, test_ll_truncated_answer,
	  "answers cut short: master exit 1, \"frame too short\"" },
	{ "ll_wrong_ethertype", "ll", ST_PHASE_GROUP, test_ll_wrong_ethertype,
	  "answers of another EtherType: ignored, master exit 4 (timeout)" },
	{ "ll_wkc_mismatch", "ll", ST_PHASE_GROUP, test_ll_wkc_mismatch,
	  "a slave stops serving process data: master exit 1, working counter" },
	{ "ll_simulator_gone", "ll", ST_PHASE_GROUP, test_ll_simulator_gone,
	  "no simulator: master exit 4 within its timeouts, says what to check" },
	{ "ll_link_lost", "ll", ST_PHASE_GROUP, test_ll_link_lost,
	  "link off for 3 s under a running master (QEMU set_link): seen, waited out, no frame lost" },
	{ "ll_kill_master", "ll", ST_PHASE_GROUP, test_ll_kill_master,
	  "SIGKILLed masters, cycling and at 4 random points from start-up on: "
	  "IRQ freed, bus mastering off, NIC reusable" },
	{ "fuzz", "fuzz", ST_PHASE_GROUP, test_fuzz,
	  "1,000,000 random calls, 4 processes x 2 threads sharing fds, SIGKILLs: "
	  "no complaint, no leak" },
	{ "compat32", NULL, ST_PHASE_COMPAT, test_compat32,
	  "the 32-bit build (compat_ioctl) passes the same tests, as a subtest" },
	{ "rmmod_refused_while_open", NULL, ST_PHASE_LATE,
	  test_rmmod_refused_while_open,
	  "delete_module fails while /dev/atemsys is open" },
	{ "kernel_log_clean", NULL, ST_PHASE_LATE, test_kernel_log_clean,
	  "no kernel record at KERN_WARNING or worse (taint notes aside), "
	  "no WARNING/BUG/Oops/refcount/UBSAN/KASAN line, since the load" },
	{ "kmemleak_clean", NULL, ST_PHASE_LATE, test_kmemleak_clean,
	  "a kmemleak scan reports nothing atemsys allocated (debug kernels)" },
	{ "rmmod_after_close", NULL, ST_PHASE_LAST, test_rmmod_after_close,
	  "delete_module succeeds with every fd closed; unload log clean" },
	{ "init_script_mdev", NULL, ST_PHASE_LAST, test_init_script_mdev,
	  "/etc/init.d/atemsys start loads the module, mdev.conf gives /dev/atemsys "
	  "to group atemsys 0660, stop unloads it (BusyBox init + mdev images)" },
	{ "device_permissions", NULL, ST_PHASE_LAST, test_device_permissions,
	  "mdev rule: group atemsys opens and uses it, others EACCES; no RAM, no foreign BAR" },
};

#define N_TESTS		(sizeof(st_tests) / sizeof(st_tests[0]))

/* Tests that need longer than --timeout, in seconds */
static const struct {
	const char *name;
	unsigned int limit_s;
} st_long_tests[] = {
	{ "fuzz", 900 },
	/*
	 * delete_module waits for RCU grace periods; a 4-vCPU guest under TCG
	 * on 2 host cores once took 22 s for them (sabrelite 6.1)
	 */
	{ "rmmod_after_close", 90 },
	/* up to 20 s to OP, 3 s without link, 6000 cycles of 1 ms in an emulator */
	{ "ll_link_lost", 200 },
};

/*
 * A test's limit: --timeout, or its st_long_tests limit, which grows in
 * proportion when --timeout is above the default (a debug kernel: smoke
 * --timeout raises both)
 */
static unsigned int time_limit(const struct st_test *t, unsigned int timeout)
{
	unsigned int limit;
	size_t i;

	for (i = 0; i < sizeof(st_long_tests) / sizeof(st_long_tests[0]); i++) {
		if (strcmp(t->name, st_long_tests[i].name))
			continue;
		limit = st_long_tests[i].limit_s;
		if (timeout > DEFAULT_TIMEOUT_S)
			limit = (unsigned int)((unsigned long long)limit * timeout /
					       DEFAULT_TIMEOUT_S);
		return limit > timeout ? limit : timeout;
	}
	return timeout;
}
#define N_GROUPS	(sizeof(st_groups) / sizeof(st_groups[0]))

static bool group_selected[N_GROUPS];
static bool any_group_selected;
static bool test_selected[N_TESTS];
static bool any_test_selected;
static bool subtest;		/* run by a 64-bit build's compat32 test */

bool st_subtest_run(void)
{
	return subtest;
}
static char *opt_group;		/* --group as given, for the 32-bit run */
static unsigned int opt_timeout;

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: atemsys-selftest [--group G[,G...]] [--only NAME[,NAME...]]\n"
		"                        [--timeout SECONDS] [--list] [--subtest]\n"
		"  --group    run these groups (default: all):");
	for (i = 0; i < N_GROUPS; i++)
		fprintf(f, " %s", st_groups[i]);
	fprintf(f, "\n"
		"  --only     run only these tests (see --list)\n"
		"  --timeout  per-test time limit (default %u s)\n"
		"  --list     print the plan and exit\n"
		"  --subtest  indented KTAP, no module-wide tests (run by compat32)\n",
		DEFAULT_TIMEOUT_S);
}

/* Mark each comma-separated name of list in names[]; false if unknown */
static bool select_names(char *list, const char *what, size_t n,
			 const char *(*name_of)(size_t), bool *selected)
{
	char *save = NULL, *tok;
	size_t i;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (!strcmp(tok, name_of(i)))
				break;
		if (i == n) {
			fprintf(stderr, "atemsys-selftest: unknown %s \"%s\"\n",
				what, tok);
			return false;
		}
		selected[i] = true;
	}
	return true;
}

static const char *group_name(size_t i)
{
	return st_groups[i];
}

static const char *test_name(size_t i)
{
	return st_tests[i].name;
}

static bool in_plan(size_t i)
{
	const struct st_test *t = &st_tests[i];
	size_t g;

	/* a 32-bit build is the compat client; a subtest leaves the module be */
	if (t->phase == ST_PHASE_COMPAT &&
	    (sizeof(long) == 4 || subtest))
		return false;
	if (subtest && t->phase > ST_PHASE_COMPAT)
		return false;
	/* the link-layer tools are one build per arch: the 64-bit run has them */
	if (subtest && t->group && !strcmp(t->group, "ll"))
		return false;
	if (any_test_selected)
		return test_selected[i];
	if (!t->group || !any_group_selected)
		return true;
	for (g = 0; g < N_GROUPS; g++)
		if (group_selected[g] && !strcmp(t->group, st_groups[g]))
			return true;
	return false;
}

/* The plan: selected tests, by phase, in table order within a phase */
static size_t build_plan(const struct st_test **plan)
{
	size_t n = 0, i;
	int phase;

	for (phase = ST_PHASE_FIRST; phase <= ST_PHASE_LAST; phase++)
		for (i = 0; i < N_TESTS; i++)
			if (st_tests[i].phase == (enum st_phase)phase && in_plan(i))
				plan[n++] = &st_tests[i];
	return n;
}

static void discover(void)
{
	struct utsname u;

	env.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!uname(&u))
		st_diag("atemsys-selftest (%zu-bit): Linux %s %s, %ld CPU(s) online, page size %ld",
			sizeof(long) * 8, u.release, u.machine, env.ncpus,
			page_size());

	if (pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, 0, &env.edu))
		st_diag("edu (%04x:%04x): not found", EDU_VENDOR, EDU_DEVICE);
	else
		st_diag("edu (%04x:%04x): %s", EDU_VENDOR, EDU_DEVICE,
			env.edu.bdf);
	if (pci_find_sysfs(NIC_VENDOR, NIC_DEVICE, 0, &env.nic))
		st_diag("e1000e (%04x:%04x): not found", NIC_VENDOR, NIC_DEVICE);
	else
		st_diag("e1000e (%04x:%04x): %s", NIC_VENDOR, NIC_DEVICE,
			env.nic.bdf);
	if (dt_discover(&dt_env))
		st_diag("atemsys platform device: not found");
	else
		st_diag("atemsys platform device: %s (%s instance %u, reg %#llx+%#llx)",
			dt_env.name, dt_env.ident, dt_env.instance,
			(unsigned long long)dt_env.reg_addr,
			(unsigned long long)dt_env.reg_size);
}

/*
 * The 32-bit run gets the same groups and time limit, and the tests of
 * --only it has (not compat32 or the module-wide late ones); if none is
 * left, --only selected the 32-bit run as a whole.
 */
size_t st_subtest_args(const char **argv, size_t max)
{
	static char only[1024], timeout[16];
	size_t n = 0, i, len = 0;

	if (max < 8)
		return 0;
	argv[n++] = "--subtest";
	if (opt_group) {
		argv[n++] = "--group";
		argv[n++] = opt_group;
	}
	for (i = 0; any_test_selected && i < N_TESTS; i++) {
		if (!test_selected[i] || st_tests[i].phase >= ST_PHASE_COMPAT ||
		    len + strlen(st_tests[i].name) + 2 > sizeof(only))
			continue;
		len += (size_t)sprintf(only + len, "%s%s", len ? "," : "",
				       st_tests[i].name);
	}
	if (len) {
		argv[n++] = "--only";
		argv[n++] = only;
	}
	if (opt_timeout) {
		snprintf(timeout, sizeof(timeout), "%u", opt_timeout);
		argv[n++] = "--timeout";
		argv[n++] = timeout;
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	const struct st_test *plan[N_TESTS];
	unsigned int timeout = DEFAULT_TIMEOUT_S, pass = 0, fail = 0, skip = 0;
	char reason[ST_REASON_MAX + 64];
	bool list = false;
	size_t n, i;
	int fd, a;

	setvbuf(stdout, NULL, _IONBF, 0);

	for (a = 1; a < argc; a++) {
		const char *opt = argv[a];

		if (!strcmp(opt, "--list")) {
			list = true;
		} else if (!strcmp(opt, "--subtest")) {
			subtest = true;
			ktap_set_subtest(true);
		} else if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--group") && a + 1 < argc) {
			opt_group = strdup(argv[a + 1]);
			if (!select_names(argv[++a], "group", N_GROUPS,
					  group_name, group_selected))
				return 2;
			any_group_selected = true;
		} else if (!strcmp(opt, "--only") && a + 1 < argc) {
			if (!select_names(argv[++a], "test", N_TESTS, test_name,
					  test_selected))
				return 2;
			any_test_selected = true;
		} else if (!strcmp(opt, "--timeout") && a + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++a], &end, 10);

			if (*end || !v || v > 3600) {
				fprintf(stderr, "atemsys-selftest: bad --timeout \"%s\"\n",
					argv[a]);
				return 2;
			}
			timeout = (unsigned int)v;
			opt_timeout = timeout;
			if (timeout > DEFAULT_TIMEOUT_S)
				st_slow = (timeout + DEFAULT_TIMEOUT_S - 1) /
					  DEFAULT_TIMEOUT_S;
		} else {
			fprintf(stderr, "atemsys-selftest: bad argument \"%s\"\n",
				opt);
			usage(stderr);
			return 2;
		}
	}

	st_explicit = any_group_selected || any_test_selected;
	n = build_plan(plan);
	if (list) {
		for (i = 0; i < n; i++)
			printf("%2zu %-28s %-5s %s\n", i + 1, plan[i]->name,
			       plan[i]->group ? plan[i]->group : "all",
			       plan[i]->what);
		return 0;
	}

	ktap_header((unsigned int)n);

	fd = open(ATEMSYS_FILE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ktap_bail_out("%s: %s", ATEMSYS_FILE_NAME, strerror(errno));
		return 1;
	}
	/* no fd of the runner may stay open: rmmod tests count on it */
	close(fd);

	discover();

	for (i = 0; i < n; i++) {
		enum st_result res;

		reason[0] = '\0';
		res = st_run_test(plan[i], plan[i]->phase == ST_PHASE_COMPAT ?
				  COMPAT32_TIMEOUT_S :
				  time_limit(plan[i], timeout),
				  reason, sizeof(reason));
		ktap_result((unsigned int)i + 1, plan[i]->name, res, reason);
		if (res == ST_PASS)
			pass++;
		else if (res == ST_SKIP)
			skip++;
		else
			fail++;
	}
	st_diag("Totals: pass:%u fail:%u skip:%u", pass, fail, skip);
	return fail ? 1 : 0;
}
