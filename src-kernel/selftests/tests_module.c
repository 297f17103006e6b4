// SPDX-License-Identifier: GPL-2.0
/*
 * Module-level tests: version, rmmod while in use and after, and a kernel
 * log free of warnings.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "edu.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

/*
 * The ABI the tests rely on, checked when they are built: the struct sizes
 * and ioctl numbers of acontis atemsys 1.4.x (generic _IOC encoding, as on
 * x86, arm and arm64).
 */
_Static_assert(ATEMSYS_VERSION_CODE == 0x010427, "version 1.4.39");
_Static_assert(sizeof(struct atemsys_pci_select_desc_v1_0_00) == 80, "v1_0_00");
_Static_assert(sizeof(struct atemsys_pci_select_desc_v1_3_05) == 84, "v1_3_05");
_Static_assert(sizeof(struct atemsys_pci_select_desc_v1_4_12) == 108, "v1_4_12");
_Static_assert(ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00 == 0xC0506500u, "FIND 1.0");
_Static_assert(ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05 == 0xC0546500u, "FIND 1.3");
_Static_assert(ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12 == 0xC06C6500u, "FIND 1.4");
_Static_assert(ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12 == 0xC06C6501u, "CONF 1.4");
_Static_assert(ATEMSYS_IOCTL_PCI_RELEASE_DEVICE == 0x00006502u, "RELEASE");
_Static_assert(ATEMSYS_IOCTL_INT_CONNECT == 0x40046503u, "INT_CONNECT");
_Static_assert(ATEMSYS_IOCTL_INT_DISCONNECT == 0x40046504u, "INT_DISCONNECT");
_Static_assert(ATEMSYS_IOCTL_INT_INFO == 0x80046505u, "INT_INFO");
_Static_assert(ATEMSYS_IOCTL_MOD_GETVERSION == 0x80046506u, "MOD_GETVERSION");
_Static_assert(ATEMSYS_IOCTL_MOD_SET_API_VERSION == 0x8004650Du, "SET_API_VERSION");
_Static_assert(ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY == 0xC004650Fu, "AFFINITY");

static const char *const log_patterns[] = {
	"WARNING:", "BUG:", "Oops", "refcount_t", "list_del corruption",
	"UBSAN", "KASAN", "unbalanced", "Unbalanced",
	"trying to free already-free",
	/* an interrupt storm the handler did not claim */
	"nobody cared",
	/* devres left on a device without a driver: it can never bind */
	"Resources present before probing",
	/* hung task */
	"blocked for more than",
};

/*
 * Kernel records at KERN_WARNING or worse that are expected: the notes any
 * out-of-tree, unsigned module load prints once; what an emulator (QEMU
 * TCG, which stalls a virtual CPU for milliseconds) makes the timekeeping
 * code say: the hrtimer core's note that one interrupt ran long, the
 * clocksource watchdog's verdict that the TSC skews; and
 * of_mdiobus_register()'s error for a PHY node without reg (Debian 6.1's
 * i.MX6 SABRE Lite DT), which it then finds by scanning, as the kernel's
 * own fec driver does with that DT. Everything else at that level is a
 * finding (a 6.14+ of_property_read_bool() on a valued property, say).
 */
static const char *const log_expected[] = {
	"loading out-of-tree module taints kernel",
	"module verification failed",
	"hrtimer: interrupt took",
	"clocksource:",
	"TSC found unstable after boot",
	"ethernet-phy has invalid PHY address",
};

/*
 * The syslog level of a "<N>..." record of the kernel facility (N < 8), or
 * -1 for a record from userspace (/dev/kmsg writes: facility LOG_USER) or
 * without a prefix.
 */
static int kernel_level(const char *line, size_t len)
{
	int n = 0;
	size_t i;

	if (len < 3 || line[0] != '<')
		return -1;
	for (i = 1; i < len && line[i] >= '0' && line[i] <= '9'; i++)
		n = n * 10 + (line[i] - '0');
	if (i == 1 || i >= len || line[i] != '>' || n >= 8)
		return -1;
	return n;
}

static long delete_atemsys(void)
{
	return syscall(__NR_delete_module, "atemsys", O_NONBLOCK);
}

enum st_result test_version(void)
{
	uint32_t version = 0, api = ATEMSYS_VERSION_CODE;
	char sysfs[64];
	int fd;

	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);

	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, &version),
		  "MOD_GETVERSION");
	EXPECT(version == ATEMSYS_VERSION_CODE,
	       "MOD_GETVERSION: 0x%06x, expected 0x%06x (%s)", version,
	       ATEMSYS_VERSION_CODE, ATEMSYS_VERSION_STR);

	EXPECT(!read_sysfs_line(sysfs, sizeof(sysfs), ATEMSYS_SYSFS "/version"),
	       ATEMSYS_SYSFS "/version: %s", strerror(errno));
	EXPECT(!strcmp(sysfs, ATEMSYS_VERSION_STR),
	       ATEMSYS_SYSFS "/version reads \"%s\", expected \"%s\"", sysfs,
	       ATEMSYS_VERSION_STR);

	/* the original header's _IOR spelling and the _IOW one both work */
	_Static_assert(ATEMSYS_IOCTL_MOD_SET_API_VERSION_W ==
		       _IOW(ATEMSYS_IOCTL_TYPE, 13, __u32),
		       "MOD_SET_API_VERSION_W is the _IOW spelling of 13");
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, &api),
		  "MOD_SET_API_VERSION (_IOR)");
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION_W, &api),
		  "MOD_SET_API_VERSION (_IOW)");
	return ST_PASS;
}

enum st_result test_rmmod_refused_while_open(void)
{
	uint32_t version = 0;
	long ret;
	int fd, err;

	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);

	errno = 0;
	ret = delete_atemsys();
	err = errno;
	EXPECT(ret == -1,
	       "delete_module(\"atemsys\", O_NONBLOCK) succeeded with " ATEMSYS_FILE_NAME " open: the module is gone");
	EXPECT(err == EWOULDBLOCK || err == EBUSY,
	       "delete_module with " ATEMSYS_FILE_NAME " open: expected EWOULDBLOCK or EBUSY, got %s (%s)",
	       st_errname(err), strerror(err));
	EXPECT(path_exists(ATEMSYS_SYSFS),
	       ATEMSYS_SYSFS " is gone after a refused rmmod");
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, &version),
		  "MOD_GETVERSION on the open fd after the refused rmmod");
	return ST_PASS;
}

/* The kernel log, or NULL with the reason recorded */
static char *read_kernel_log(void)
{
	char *log = klog_read();

	if (!log)
		st_fail_ret(-1, errno, 0, "klogctl(SYSLOG_ACTION_READ_ALL)");
	return log;
}

static bool line_has(const char *line, size_t len, const char *what)
{
	return memmem(line, len, what, strlen(what)) != NULL;
}

/* Why a log line is suspicious, or NULL */
static const char *log_match(const char *line, size_t len)
{
	int level = kernel_level(line, len);
	size_t i;

	for (i = 0; i < sizeof(log_patterns) / sizeof(log_patterns[0]); i++)
		if (line_has(line, len, log_patterns[i]))
			return log_patterns[i];
	if (level < 0 || level > 4)
		return NULL;
	for (i = 0; i < sizeof(log_expected) / sizeof(log_expected[0]); i++)
		if (line_has(line, len, log_expected[i]))
			return NULL;
	/*
	 * The printk rate limit, at KERN_WARNING, when it held back atemsys's
	 * rate-limited messages ("atemsys_mmap: 12 callbacks suppressed"):
	 * every one of those is a notice about a caller's bad request.
	 */
	if (line_has(line, len, "] atemsys") &&
	    line_has(line, len, " callbacks suppressed"))
		return NULL;
	return "KERN_WARNING or worse";
}

/*
 * Scan the log from the first (or, with last, the last) line containing
 * anchor, or all of it if there is none; quote what matches.
 */
static enum st_result log_check(const char *anchor, bool last,
				const char *since)
{
	char *log = read_kernel_log(), *line, *next, *start = NULL;
	char first[256] = "";
	int bad = 0, lines = 0;

	if (!log)
		return ST_FAIL;

	for (line = log; *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line + len + (line[len] ? 1 : 0);
		if (memmem(line, len, anchor, strlen(anchor)) &&
		    (last || !start))
			start = line;
	}
	if (!start) {
		st_diag("no \"%s\" line in the kernel log: scanning all of it",
			anchor);
		start = log;
	}

	for (line = start; *line; line = next) {
		size_t len = strcspn(line, "\n");
		const char *pat;

		next = line + len + (line[len] ? 1 : 0);
		lines++;
		pat = log_match(line, len);
		if (!pat)
			continue;
		if (bad < 20)
			st_diag("kernel log (%s): %.*s", pat, (int)len, line);
		if (!bad)
			snprintf(first, sizeof(first), "%.*s", (int)len, line);
		bad++;
	}
	free(log);

	EXPECT(!bad, "%d suspicious kernel log line(s) %s, first: %s", bad,
	       since, first);
	st_diag("%d kernel log lines %s, none suspicious", lines, since);
	return ST_PASS;
}

/*
 * A /dev/kmsg reader thread: records are checked as they are written, so a
 * flood of notices cannot push a warning out of the ring buffer before it is
 * read (Documentation/ABI/testing/dev-kmsg: "prio,seq,ts,flags;message").
 */
struct st_kmsg_watch {
	pthread_t thread;
	int fd;
	atomic_bool stop;
	int bad;		/* suspicious records */
	unsigned long lost;	/* records overwritten before they were read */
	char first[256];
};

static void kmsg_record(struct st_kmsg_watch *w, const char *rec, size_t n)
{
	const char *semi = memchr(rec, ';', n), *pat;
	unsigned long prio, seq, usec;
	char line[512];
	size_t len;

	if (!semi || sscanf(rec, "%lu,%lu,%lu", &prio, &seq, &usec) != 3)
		return;
	len = strcspn(semi + 1, "\n");	/* dictionary lines follow a newline */
	/* as klogctl() prints it: "<level>[seconds] message" */
	snprintf(line, sizeof(line), "<%lu>[%5lu.%06lu] %.*s", prio, usec / 1000000,
		 usec % 1000000, (int)len, semi + 1);
	pat = log_match(line, strlen(line));
	if (!pat)
		return;
	if (w->bad < 20)
		st_diag("kernel log (%s): %s", pat, line);
	if (!w->bad++)
		snprintf(w->first, sizeof(w->first), "%s", line);
}

static void *kmsg_thread(void *arg)
{
	struct st_kmsg_watch *w = arg;
	char rec[2048];
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
		bool stopping = atomic_load(&w->stop);

		n = read(w->fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			kmsg_record(w, rec, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EPIPE) {
			w->lost++;	/* the next read goes on after the gap */
			continue;
		}
		if (stopping)
			return NULL;	/* drained after the stop request */
		poll(&pfd, 1, 100);
	}
}

struct st_kmsg_watch *st_kmsg_watch_start(void)
{
	struct st_kmsg_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0 || lseek(w->fd, 0, SEEK_END) < 0 ||
	    pthread_create(&w->thread, NULL, kmsg_thread, w)) {
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

enum st_result st_kmsg_watch_stop(struct st_kmsg_watch *w, const char *during)
{
	unsigned long lost;
	char first[256];
	int bad;

	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	close(w->fd);
	bad = w->bad;
	lost = w->lost;
	snprintf(first, sizeof(first), "%s", w->first);
	free(w);
	EXPECT(!bad, "%d suspicious kernel log record(s) %s, first: %s", bad, during,
	       first);
	EXPECT(!lost, "%lu kernel log record(s) %s were overwritten before /dev/kmsg was read: unchecked",
	       lost, during);
	return ST_PASS;
}

enum st_result test_kernel_log_clean(void)
{
	return log_check("atemsys", false, "since atemsys loaded");
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/*
 * Count kmemleak's reports whose text names atemsys (an allocation of the
 * module in the backtrace), quoting the first; the reports are blocks that
 * start with "unreferenced object".
 */
static int kmemleak_atemsys(char *report, char *first, size_t len)
{
	char *blk = strstr(report, "unreferenced object"), *next;
	int n = 0;

	while (blk) {
		next = strstr(blk + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		if (strstr(blk, "atemsys") && !n++)
			snprintf(first, len, "%s", blk);
		blk = next;
	}
	return n;
}

/*
 * Kernel memory leak detector (CONFIG_DEBUG_KMEMLEAK, Documentation/dev-tools/
 * kmemleak.rst): after every other test, with the module loaded and every
 * fd closed, a scan reports nothing allocated by atemsys. Objects younger
 * than 5 s are not reported, so the scan waits that long first.
 */
enum st_result test_kmemleak_clean(void)
{
	char first[1024] = "";
	char *report;
	int n;

	if (!path_exists("/sys/kernel/debug/kmemleak") &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    errno != EBUSY)
		return st_skip("cannot mount debugfs: %s", strerror(errno));
	if (!path_exists(KMEMLEAK))
		return st_skip("no " KMEMLEAK " (a kernel without CONFIG_DEBUG_KMEMLEAK)");

	sleep_ms(5500);
	EXPECT_OK(write_sysfs("scan", KMEMLEAK), "write scan to " KMEMLEAK);
	report = slurp(KMEMLEAK, NULL);
	EXPECT(report, "read " KMEMLEAK ": %s", strerror(errno));
	n = kmemleak_atemsys(report, first, sizeof(first));
	free(report);
	EXPECT(n == 0, "kmemleak: %d unreferenced object(s) allocated by atemsys, first:\n%s",
	       n, first);
	return ST_PASS;
}

static bool module_gone(void *arg)
{
	(void)arg;
	return !path_exists(ATEMSYS_SYSFS);
}

enum st_result test_rmmod_after_close(void)
{
	static const char marker[] = "atemsys-selftest: rmmod_after_close";
	uint64_t t0;
	bool marked;

	marked = !write_sysfs("atemsys-selftest: rmmod_after_close\n",
			      "/dev/kmsg");
	if (!marked)
		st_diag("cannot write /dev/kmsg (%s): not checking the log of the unload",
			strerror(errno));

	t0 = now_ms();
	EXPECT_OK(delete_atemsys(),
		  "delete_module(\"atemsys\", O_NONBLOCK) with every fd closed");
	if (now_ms() - t0 > 5000)
		st_diag("delete_module took %llu ms (waiting for RCU grace periods: a slow emulated guest)",
			(unsigned long long)(now_ms() - t0));
	EXPECT(poll_until(module_gone, NULL, 2000),
	       ATEMSYS_SYSFS " still exists 2 s after the module was removed");
	if (path_exists(ATEMSYS_FILE_NAME))
		st_diag(ATEMSYS_FILE_NAME " still exists (not devtmpfs?)");

	if (marked)
		return log_check(marker, true, "since the rmmod");
	return ST_PASS;
}

#define INIT_SCRIPT	"/etc/init.d/atemsys"
#define MDEV_CONF	"/etc/mdev.conf"
#define HOTPLUG		"/proc/sys/kernel/hotplug"
#define MDEV		"/bin/mdev"
#define MDEV_WAIT_MS	10000	/* for mdev to listen, then to set the node's group; × st_slow */

/* The GID of group "atemsys" in /etc/group, or -1 */
static long atemsys_gid(void)
{
	char *buf = slurp("/etc/group", NULL), *p;
	long gid = -1;

	if (!buf)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "atemsys:", 8)) {
			char *f = strchr(p + 8, ':');

			if (f)
				gid = strtol(f + 1, NULL, 10);
			break;
		}
	free(buf);
	return gid;
}

struct node_want {
	long gid;
	struct stat st;
};

static bool node_has_group(void *arg)
{
	struct node_want *w = arg;

	return !stat(ATEMSYS_FILE_NAME, &w->st) && (long)w->st.st_gid == w->gid;
}

/* Run "INIT_SCRIPT <verb>" with the module file in ATEMSYS_MODULE: its exit status */
static int init_script(const char *verb)
{
	char cmd[128];
	int rc;

	snprintf(cmd, sizeof(cmd), "ATEMSYS_MODULE=/lib/modules/atemsys.ko %s %s >/dev/kmsg 2>&1",
		 INIT_SCRIPT, verb);
	rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/*
 * Start mdev the way BusyBox-init images do (Buildroot's S10mdev): as the
 * kernel's hotplug helper where the kernel has one (CONFIG_UEVENT_HELPER),
 * else as a daemon on the uevent netlink socket (mdev -df; Debian's kernels
 * have no helper). Returns the daemon's pid, 0 for the helper, -1 on error.
 */
/*
 * Has process *@arg bound a NETLINK_KOBJECT_UEVENT socket? /proc/net/netlink
 * lists each socket: "sk Eth Pid ...", Eth the protocol (15), Pid the port,
 * which an unbound socket's autobind sets to the process's pid.
 */
static bool uevent_listener(void *arg)
{
	FILE *f = fopen("/proc/net/netlink", "r");
	unsigned long proto, port;
	bool found = false;
	char line[256];

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %lu %lu", &proto, &port) == 2 &&
			proto == 15 && port == (unsigned long)*(pid_t *)arg;
	fclose(f);
	return found;
}

/*
 * Start mdev the way the image does: as the kernel's hotplug helper, or
 * (kernels without CONFIG_UEVENT_HELPER) as "mdev -df", waited for until it
 * listens for uevents, so a slow kernel's load event is not missed. The
 * helper returns 0 (@old keeps the helper before), the daemon its pid; -1
 * with errno.
 */
static pid_t mdev_start(char *old, size_t len)
{
	pid_t pid;

	if (path_exists(HOTPLUG)) {
		(void)read_sysfs_line(old, len, HOTPLUG);
		return write_sysfs(MDEV, HOTPLUG) ? -1 : 0;
	}
	pid = fork();
	if (pid == 0) {
		execl(MDEV, "mdev", "-df", (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && !poll_until(uevent_listener, &pid, st_slow_ms(MDEV_WAIT_MS))) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		errno = ETIMEDOUT;
		return -1;
	}
	return pid;
}

static void mdev_stop(pid_t pid, const char *old)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	} else if (pid == 0) {
		(void)write_sysfs(old[0] ? old : "\n", HOTPLUG);
	}
}

/*
 * What a BusyBox-init image does at boot (Buildroot's default, Yocto's
 * INIT_MANAGER = "mdev-busybox"): mdev runs, the init script
 * src-kernel/init/atemsys-init loads the module, mdev creates /dev/atemsys
 * by the rule of src-kernel/init/mdev.conf. Runs after rmmod_after_close,
 * on an image that carries both files.
 */
enum st_result test_init_script_mdev(void)
{
	struct node_want w = { 0 };
	char old[256] = "";
	enum st_result res = ST_PASS;
	pid_t mdev;

	if (!path_exists(INIT_SCRIPT) || !path_exists(MDEV_CONF) || !path_exists(MDEV))
		return st_skip("no " INIT_SCRIPT ", " MDEV_CONF " and " MDEV ": not a BusyBox-init image");
	if (path_exists(ATEMSYS_SYSFS))
		return st_skip("atemsys is loaded (rmmod_after_close did not run or failed)");
	w.gid = atemsys_gid();
	EXPECT(w.gid > 0, "/etc/group has no atemsys group");

	mdev = mdev_start(old, sizeof(old));
	EXPECT(mdev >= 0, "start %s (hotplug helper or -df daemon): %s", MDEV, strerror(errno));

	if (init_script("start")) {
		res = st_fail("%s start failed: the module did not load", INIT_SCRIPT);
	} else if (!path_exists(ATEMSYS_SYSFS)) {
		res = st_fail("%s start exited 0 but %s does not exist", INIT_SCRIPT, ATEMSYS_SYSFS);
	} else if (!poll_until(node_has_group, &w, st_slow_ms(MDEV_WAIT_MS))) {
		res = st_fail("%s: group %ld, mode %04o %d s after the load, expected group atemsys (%ld) by the mdev rule",
			      ATEMSYS_FILE_NAME, (long)w.st.st_gid, w.st.st_mode & 07777,
			      st_slow_ms(MDEV_WAIT_MS) / 1000, w.gid);
	} else if ((w.st.st_mode & 07777) != 0660) {
		res = st_fail("%s: mode %04o, expected 0660", ATEMSYS_FILE_NAME, w.st.st_mode & 07777);
	} else if (init_script("status")) {
		res = st_fail("%s status: not loaded", INIT_SCRIPT);
	} else if (init_script("stop") || path_exists(ATEMSYS_SYSFS)) {
		res = st_fail("%s stop did not unload the module", INIT_SCRIPT);
	} else {
		st_diag("%s start: module loaded, %s group %ld mode 0660 by mdev (%s); stop: unloaded",
			INIT_SCRIPT, ATEMSYS_FILE_NAME, w.gid,
			mdev ? "daemon" : "hotplug helper");
	}
	mdev_stop(mdev, old);
	if (path_exists(ATEMSYS_SYSFS))
		(void)delete_atemsys();
	return res;
}

#define MEMBER_UID	1000
#define OUTSIDER_UID	1001

/* What a child of test_device_permissions saw: its exit status */
enum perm_status {
	PERM_OK,
	PERM_SETUID,		/* could not become the user */
	PERM_OPEN,		/* the member could not open the node */
	PERM_USE,		/* the member could not use a free device */
	PERM_RAM,		/* RAM was mappable, or not with EPERM */
	PERM_FOREIGN_BAR,	/* another fd's BAR was mappable */
	PERM_FOREIGN_CONF,	/* another fd's device was configurable */
	PERM_OUTSIDER_OPENED,	/* a user outside the group opened the node */
	PERM_OUTSIDER_ERRNO,	/* ... was refused, but not with EACCES */
};

static const char *const perm_text[] = {
	[PERM_SETUID] = "setgroups/setgid/setuid failed",
	[PERM_OPEN] = "a member of group atemsys could not open " ATEMSYS_FILE_NAME,
	[PERM_USE] = "a member of group atemsys could not CONF the free second edu and map its BAR",
	[PERM_RAM] = "mmap of a System RAM page did not fail with EPERM for a member",
	[PERM_FOREIGN_BAR] = "a member mapped the BAR of the edu another fd holds (expected EPERM)",
	[PERM_FOREIGN_CONF] = "a member's CONF of the edu another fd holds did not fail with EBUSY",
	[PERM_OUTSIDER_OPENED] = "a user outside group atemsys opened " ATEMSYS_FILE_NAME,
	[PERM_OUTSIDER_ERRNO] = "a user outside group atemsys was refused, but not with EACCES",
};

struct perm_case {
	long gid;		/* group atemsys */
	uint64_t ram;		/* a System RAM page */
	const struct st_pci *held;	/* an edu this process holds, or NULL */
	uint64_t held_bar;
	struct st_pci free_edu;	/* present: an edu nobody holds */
};

/* mmap one page at addr on fd: 0 if it mapped, else errno */
static int mmap_errno(int fd, uint64_t addr)
{
	size_t pg = (size_t)page_size();
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)addr);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, pg);
	return 0;
}

/* In a child: uid MEMBER_UID in group atemsys, or OUTSIDER_UID in none */
static enum perm_status perm_child(const struct perm_case *pc, bool member)
{
	uid_t uid = member ? MEMBER_UID : OUTSIDER_UID;
	gid_t gid = (gid_t)pc->gid;
	uint32_t version;
	at_desc d;
	int fd;

	if (setgroups(member ? 1 : 0, &gid) || setgid(uid) || setuid(uid))
		return PERM_SETUID;
	fd = open(ATEMSYS_FILE_NAME, O_RDWR | O_CLOEXEC);
	if (!member)
		return fd >= 0 ? PERM_OUTSIDER_OPENED :
		       errno == EACCES ? PERM_OK : PERM_OUTSIDER_ERRNO;
	if (fd < 0)
		return PERM_OPEN;
	if (ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, &version))
		return PERM_USE;
	if (mmap_errno(fd, pc->ram) != EPERM)
		return PERM_RAM;
	if (pc->held) {
		if (mmap_errno(fd, pc->held_bar) != EPERM)
			return PERM_FOREIGN_BAR;
		if (!at_conf(fd, pc->held, &d) || errno != EBUSY)
			return PERM_FOREIGN_CONF;
	}
	if (pc->free_edu.present) {
		if (at_conf(fd, &pc->free_edu, &d) || mmap_errno(fd, d.bars[0].addr))
			return PERM_USE;
	}
	return PERM_OK;
}

static enum st_result run_perm_child(const struct perm_case *pc, bool member)
{
	int status;
	pid_t pid;

	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		_exit(perm_child(pc, member));
	EXPECT(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	       "the %s child did not exit normally", member ? "member" : "outsider");
	status = WEXITSTATUS(status);
	EXPECT(status == PERM_OK, "%s",
	       status < (int)(sizeof(perm_text) / sizeof(perm_text[0])) && perm_text[status] ?
	       perm_text[status] : "unknown child status");
	return ST_PASS;
}

static enum st_result permissions_body(struct perm_case *pc)
{
	struct edu e;

	EXPECT(!first_ram_page(&pc->ram), "no whole page of System RAM in /proc/iomem");
	if (env.edu.present) {
		EXPECT_PASS(edu_open(&e, false));
		pc->held = &env.edu;
		pc->held_bar = e.desc.bars[0].addr;
		if (pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, 1, &pc->free_edu))
			pc->free_edu.present = false;
	}
	EXPECT_PASS(run_perm_child(pc, true));
	EXPECT_PASS(run_perm_child(pc, false));
	st_diag("uid %d in group atemsys: opens, %s; uid %d outside: EACCES",
		MEMBER_UID, pc->held ?
		"RAM and the held edu's BAR EPERM, its CONF EBUSY, the free edu usable" :
		"RAM EPERM", OUTSIDER_UID);
	return ST_PASS;
}

/*
 * With the mdev rule applied (/dev/atemsys root:atemsys 0660, loaded by the
 * init script as in test_init_script_mdev): a user in group atemsys opens
 * and uses the device, one outside gets EACCES at open; the member can map
 * neither RAM nor the BAR of a device another fd holds.
 */
enum st_result test_device_permissions(void)
{
	struct node_want w = { 0 };
	struct perm_case pc = { 0 };
	enum st_result res;
	char old[256] = "";
	pid_t mdev;

	if (!path_exists(INIT_SCRIPT) || !path_exists(MDEV_CONF) || !path_exists(MDEV))
		return st_skip("no " INIT_SCRIPT ", " MDEV_CONF " and " MDEV ": not a BusyBox-init image");
	if (path_exists(ATEMSYS_SYSFS))
		return st_skip("atemsys is loaded (init_script_mdev did not unload it)");
	pc.gid = w.gid = atemsys_gid();
	EXPECT(w.gid > 0, "/etc/group has no atemsys group");

	mdev = mdev_start(old, sizeof(old));
	EXPECT(mdev >= 0, "start %s (hotplug helper or -df daemon): %s", MDEV, strerror(errno));
	if (init_script("start"))
		res = st_fail("%s start failed: the module did not load", INIT_SCRIPT);
	else if (!poll_until(node_has_group, &w, st_slow_ms(MDEV_WAIT_MS)))
		res = st_fail("%s: not group atemsys %d s after the load", ATEMSYS_FILE_NAME,
			      st_slow_ms(MDEV_WAIT_MS) / 1000);
	else
		res = permissions_body(&pc);
	st_release_all();
	if (init_script("stop") && res == ST_PASS)
		res = st_fail("%s stop did not unload the module", INIT_SCRIPT);
	mdev_stop(mdev, old);
	if (path_exists(ATEMSYS_SYSFS))
		(void)delete_atemsys();
	return res;
}
