// SPDX-License-Identifier: GPL-2.0
/*
 * Small system helpers for the selftests.
 */

#include <ctype.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "ktap.h"
#include "sys.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000u,
		.tv_nsec = (long)(ms % 1000u) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

bool poll_until(bool (*cond)(void *arg), void *arg, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		if (cond(arg))
			return true;
		if (now_ms() >= deadline)
			return cond(arg);
		sleep_ms(10);
	}
}

static int vpath(char *path, size_t len, const char *fmt, va_list ap)
{
	int ret = vsnprintf(path, len, fmt, ap);

	if (ret < 0 || (size_t)ret >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static ssize_t read_path(char *buf, size_t len, const char *path)
{
	ssize_t n, total = 0;
	int fd;

	if (!len) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

ssize_t read_file(char *buf, size_t len, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return -1;
	return read_path(buf, len, path);
}

int read_sysfs_line(char *buf, size_t len, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret || read_path(buf, len, path) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int read_sysfs_ulong(unsigned long *val, const char *fmt, ...)
{
	char path[512], buf[64], *end;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret || read_path(buf, sizeof(buf), path) < 0)
		return -1;
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end && !isspace((unsigned char)*end))) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int write_sysfs(const char *val, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return -1;
	return write_file(path, val);
}

int io_complete(ssize_t n, size_t len, int err)
{
	if (n < 0) {
		errno = err;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

bool path_exists(const char *fmt, ...)
{
	char path[512];
	struct stat st;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return !ret && !lstat(path, &st);
}

#define TRACEFS "/sys/kernel/tracing"

/* Write val to a tracefs file; else what failed into why, -1 */
static int tracefs_write(const char *file, const char *val, char *why,
			 size_t len)
{
	if (!write_sysfs(val, TRACEFS "/%s", file))
		return 0;
	snprintf(why, len, "\"%s\" > %s/%s: %s", val, TRACEFS, file,
		 strerror(errno));
	return -1;
}

/* An empty filter (O_TRUNC): every function */
static int ftrace_filter_clear(char *why, size_t len)
{
	int fd = open(TRACEFS "/set_ftrace_filter",
		      O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "open %s/set_ftrace_filter: %s", TRACEFS,
			 strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int ftrace_start(const char *filter, char *why, size_t len)
{
	if (!path_exists(TRACEFS "/current_tracer") &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		snprintf(why, len, "mount tracefs on %s: %s", TRACEFS,
			 strerror(errno));
		return -1;
	}
	if (!path_exists(TRACEFS "/set_ftrace_filter")) {
		snprintf(why, len, "no %s/set_ftrace_filter", TRACEFS);
		return -1;
	}
	/*
	 * One glob: the filter file takes one word per write() (a short
	 * write), and appends unless opened with O_TRUNC. A new tracer
	 * empties the buffer.
	 */
	if (tracefs_write("tracing_on", "0", why, len) ||
	    tracefs_write("current_tracer", "nop", why, len) ||
	    ftrace_filter_clear(why, len) ||
	    tracefs_write("set_ftrace_filter", filter, why, len) ||
	    tracefs_write("current_tracer", "function", why, len) ||
	    tracefs_write("tracing_on", "1", why, len)) {
		free(ftrace_stop());
		return -1;
	}
	return 0;
}

char *ftrace_stop(void)
{
	char why[128];
	char *trace;

	write_sysfs("0", TRACEFS "/tracing_on");
	trace = slurp(TRACEFS "/trace", NULL);
	write_sysfs("nop", TRACEFS "/current_tracer");
	ftrace_filter_clear(why, sizeof(why));
	write_sysfs("1", TRACEFS "/tracing_on");
	return trace;
}

char *slurp(const char *path, size_t *len)
{
	size_t size = 16384, total = 0;
	char *buf = malloc(size), *tmp;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (total + 1 >= size) {
			size *= 2;
			tmp = realloc(buf, size);
			if (!tmp)
				goto err;
			buf = tmp;
		}
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (!n)
			break;
		total += (size_t)n;
	}
	close(fd);
	buf[total] = '\0';
	if (len)
		*len = total;
	return buf;
err:
	close(fd);
	free(buf);
	return NULL;
}

#define KLOG_READ_ALL		3	/* SYSLOG_ACTION_READ_ALL */
#define KLOG_SIZE_BUFFER	10	/* SYSLOG_ACTION_SIZE_BUFFER */

char *klog_read(void)
{
	int size = klogctl(KLOG_SIZE_BUFFER, NULL, 0), n, err;
	char *buf;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n < 0) {
		err = errno;
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

bool klog_last_line(const char *needle, char *buf, size_t len)
{
	char *log = klog_read(), *line, *next;
	bool found = false;

	if (!log)
		return false;
	for (line = log; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] ? 1 : 0);
		if (!memmem(line, n, needle, strlen(needle)))
			continue;
		snprintf(buf, len, "%.*s", (int)n, line);
		found = true;
	}
	free(log);
	return found;
}

/*
 * A /proc/interrupts line: "  45:   0   3  PCI-MSI 65536-edge  atemsys".
 * The IRQ number is the token before the colon.
 */
static bool proc_line_irq(const char *line, unsigned int *irq)
{
	char *end;
	unsigned long v;

	while (*line == ' ')
		line++;
	if (!isdigit((unsigned char)*line))
		return false;
	v = strtoul(line, &end, 10);
	if (*end != ':')
		return false;
	*irq = (unsigned int)v;
	return true;
}

/* Does the line name handler "name" (a whole word)? */
static bool proc_line_names(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name), i;

	for (i = 0; i + nlen <= len; i++) {
		if (memcmp(line + i, name, nlen))
			continue;
		if (i && !isspace((unsigned char)line[i - 1]) &&
		    line[i - 1] != ',')
			continue;
		if (i + nlen < len && !isspace((unsigned char)line[i + nlen]) &&
		    line[i + nlen] != ',')
			continue;
		return true;
	}
	return false;
}

static int proc_interrupts_scan(int want_irq, const char *name)
{
	char *buf = slurp("/proc/interrupts", NULL), *line, *next;
	unsigned int irq;
	int count = 0;

	if (!buf)
		return -1;
	for (line = buf; *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line + len + (line[len] ? 1 : 0);
		if (want_irq >= 0 &&
		    (!proc_line_irq(line, &irq) || irq != (unsigned int)want_irq))
			continue;
		if (proc_line_names(line, len, name))
			count++;
	}
	free(buf);
	return count;
}

bool proc_irq_line(unsigned int irq, char *buf, size_t len)
{
	char *all = slurp("/proc/interrupts", NULL), *line, *next;
	unsigned int n;
	size_t out = 0;
	bool found = false;

	if (!all || !len)
		goto out;
	for (line = all; *line && !found; line = next) {
		size_t ll = strcspn(line, "\n"), i;

		next = line + ll + (line[ll] ? 1 : 0);
		if (!proc_line_irq(line, &n) || n != irq)
			continue;
		found = true;
		while (*line == ' ')
			line++, ll--;
		for (i = 0; i < ll && out + 1 < len; i++)
			if (line[i] != ' ' || (out && buf[out - 1] != ' '))
				buf[out++] = line[i];
	}
out:
	if (len)
		buf[out] = '\0';
	free(all);
	return found;
}

bool proc_irq_has(unsigned int irq, const char *name)
{
	return proc_interrupts_scan((int)irq, name) > 0;
}

long proc_irq_cpu_count(unsigned int irq, unsigned int col)
{
	char *buf = slurp("/proc/interrupts", NULL), *line, *next;
	long count = -1;
	unsigned int n;

	if (!buf)
		return -1;
	for (line = buf; *line; line = next) {
		size_t len = strcspn(line, "\n");
		char *p, *end;

		next = line + len + (line[len] ? 1 : 0);
		if (!proc_line_irq(line, &n) || n != irq)
			continue;
		line[len] = '\0';
		p = strchr(line, ':');
		for (n = 0; p && n <= col; n++, p = end) {
			unsigned long v = strtoul(p + (n ? 0 : 1), &end, 10);

			if (end == p + (n ? 0 : 1))
				break;
			if (n == col)
				count = (long)v;
		}
		break;
	}
	free(buf);
	return count;
}

int proc_interrupts_count(const char *name)
{
	return proc_interrupts_scan(-1, name);
}

/* Resources of the running test */
#define ST_MAX_FDS	32
#define ST_MAX_MAPS	32

static int st_fds[ST_MAX_FDS];
static unsigned int st_nfds;
static struct {
	void *addr;
	size_t len;
} st_maps[ST_MAX_MAPS];
static unsigned int st_nmaps;

int st_open(const char *path, int flags)
{
	int fd;

	if (st_nfds >= ST_MAX_FDS) {
		errno = EMFILE;
		return -1;
	}
	fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0)
		st_fds[st_nfds++] = fd;
	return fd;
}

int st_close(int fd)
{
	unsigned int i;

	for (i = 0; i < st_nfds; i++) {
		if (st_fds[i] != fd)
			continue;
		st_fds[i] = st_fds[--st_nfds];
		break;
	}
	return close(fd);
}

void *st_mmap(int fd, uint64_t offset, size_t len)
{
	void *p;

	if (st_nmaps >= ST_MAX_MAPS) {
		errno = ENOMEM;
		return NULL;
	}
	if (offset > (uint64_t)INT64_MAX) {
		errno = EOVERFLOW;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)offset);
	if (p == MAP_FAILED)
		return NULL;
	st_maps[st_nmaps].addr = p;
	st_maps[st_nmaps].len = len;
	st_nmaps++;
	return p;
}

int st_munmap(void *addr, size_t len)
{
	unsigned int i;

	for (i = 0; i < st_nmaps; i++) {
		if (st_maps[i].addr != addr)
			continue;
		st_maps[i] = st_maps[--st_nmaps];
		break;
	}
	return munmap(addr, len);
}

void st_release_all(void)
{
	while (st_nmaps) {
		st_nmaps--;
		munmap(st_maps[st_nmaps].addr, st_maps[st_nmaps].len);
	}
	while (st_nfds)
		close(st_fds[--st_nfds]);
}

static volatile sig_atomic_t st_alarm_fired;

static void st_alarm(int sig)
{
	(void)sig;
	st_alarm_fired = 1;
}

ssize_t read_timeout(int fd, void *buf, size_t len, unsigned int timeout_ms)
{
	struct itimerval it = { 0 }, off = { 0 };
	struct sigaction sa = { 0 }, old;
	ssize_t n;
	int err;

	/* no SA_RESTART: the alarm interrupts the blocked read() */
	sa.sa_handler = st_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);

	st_alarm_fired = 0;
	if (!timeout_ms)
		timeout_ms = 1;
	it.it_value.tv_sec = timeout_ms / 1000u;
	it.it_value.tv_usec = (long)(timeout_ms % 1000u) * 1000L;
	/* repeats: an alarm just before read() blocks must not be lost */
	it.it_interval.tv_usec = 50000;
	setitimer(ITIMER_REAL, &it, NULL);

	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR && !st_alarm_fired);
	err = errno;

	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (n < 0 && err == EINTR && st_alarm_fired)
		err = ETIMEDOUT;
	errno = err;
	return n;
}

int set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

long page_size(void)
{
	static long size;

	if (!size)
		size = sysconf(_SC_PAGESIZE);
	return size;
}

pid_t st_fork_holder(const char *(*hold)(void *arg), void *arg, char *why,
		     size_t len)
{
	const char *msg;
	struct pollfd pfd;
	char word[128] = "";
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (pipe(fds)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (!pid) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		msg = hold(arg);
		if (!msg)
			msg = "ready";
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(fds[0]);
		return -1;
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	n = poll(&pfd, 1, (int)st_slow_ms(5000)) == 1 ?
	    read(fds[0], word, sizeof(word) - 1) : -1;
	close(fds[0]);
	if (n > 0)
		word[n] = '\0';
	if (!strcmp(word, "ready"))
		return pid;
	if (!word[0])
		snprintf(why, len, "no word within %u s", st_slow_ms(5000) / 1000);
	else
		snprintf(why, len, "%s", word);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* The first whole page of the first "System RAM" range in /proc/iomem */
int first_ram_page(uint64_t *addr)
{
	char *iomem = slurp("/proc/iomem", NULL), *line, *next;
	uint64_t pg = (uint64_t)page_size();
	int ret = -1;

	if (!iomem)
		return -1;
	for (line = iomem; *line; line = next) {
		unsigned long long start, end;
		size_t len = strcspn(line, "\n");
		uint64_t a;

		next = line + len + (line[len] ? 1 : 0);
		if (line[0] == ' ' || !memmem(line, len, ": System RAM", 12))
			continue;
		if (sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		a = (start + pg - 1) & ~(pg - 1);
		if (!a)
			a = pg;	/* offset 0 is the DMA allocator */
		if (a + pg - 1 > end)
			continue;
		*addr = a;
		ret = 0;
		break;
	}
	free(iomem);
	return ret;
}

/* A /proc/self/status or /proc/meminfo field in kB, or -1 */
long proc_kb(const char *file, const char *field)
{
	char buf[8192], *p;
	long kb;

	if (read_file(buf, sizeof(buf), "%s", file) < 0)
		return -1;
	p = strstr(buf, field);
	if (!p || sscanf(p + strlen(field), ": %ld kB", &kb) != 1)
		return -1;
	return kb;
}

long dma_kept_kb(void)
{
	unsigned long bytes;

	if (read_sysfs_ulong(&bytes, ATEMSYS_DMA_KEPT))
		return -1;
	return (long)(bytes >> 10);
}

#define DMA_KEPT_CAP	ATEMSYS_PARAM("dma_quarantine_mib")

int dma_kept_uncap(char *old, size_t len)
{
	if (read_sysfs_line(old, len, DMA_KEPT_CAP))
		return -1;
	return write_sysfs("0", DMA_KEPT_CAP);
}

void dma_kept_recap(const char *old)
{
	write_sysfs(old, DMA_KEPT_CAP);
}
