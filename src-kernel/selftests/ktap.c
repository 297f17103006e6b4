// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP v1 output and the per-test runner.
 *
 * stdout goes to a serial console read by the orchestrator: every line is
 * written with one write() so lines of the runner and of test children never
 * interleave, and nothing sits in a stdio buffer when a child dies.
 */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "sys.h"

/* Shared between the runner and the test child it forks */
struct st_shared {
	int result;		/* enum st_result, -1 until the test returns */
	char reason[ST_REASON_MAX];
};

static struct st_shared *st_shared;
static const char *st_indent = "";

void ktap_set_subtest(bool subtest)
{
	st_indent = subtest ? "    " : "";
}

static void st_write_line(const char *prefix, const char *fmt, va_list ap)
{
	char line[ST_REASON_MAX + 128];
	size_t len, off = 0;
	ssize_t n;
	int ret;

	ret = snprintf(line, sizeof(line), "%s%s", st_indent, prefix);
	len = ret > 0 ? (size_t)ret : 0;
	ret = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (ret > 0)
		len += (size_t)ret;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	/* one line per call: fold embedded newlines */
	for (off = 0; off < len; off++)
		if (line[off] == '\n')
			line[off] = ' ';
	line[len++] = '\n';

	for (off = 0; off < len; off += (size_t)n) {
		n = write(STDOUT_FILENO, line + off, len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
}

static void st_line(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void st_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_write_line("", fmt, ap);
	va_end(ap);
}

void st_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_write_line("# ", fmt, ap);
	va_end(ap);
}

void ktap_header(unsigned int count)
{
	st_line("KTAP version 1");
	st_line("1..%u", count);
}

void ktap_bail_out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_write_line("Bail out! ", fmt, ap);
	va_end(ap);
}

void ktap_result(unsigned int num, const char *name, enum st_result res,
		 const char *reason)
{
	switch (res) {
	case ST_PASS:
		st_line("ok %u %s", num, name);
		break;
	case ST_SKIP:
		st_line("ok %u %s # SKIP %s", num, name,
			reason && *reason ? reason : "no reason given");
		break;
	default:
		if (reason && *reason)
			st_line("not ok %u %s # %s", num, name, reason);
		else
			st_line("not ok %u %s", num, name);
		break;
	}
}

static void st_set_reason(const char *fmt, va_list ap)
{
	/* outside a test child (never expected) there is nowhere to put it */
	if (!st_shared || st_shared->reason[0])
		return;
	vsnprintf(st_shared->reason, sizeof(st_shared->reason), fmt, ap);
}

enum st_result st_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_set_reason(fmt, ap);
	va_end(ap);
	return ST_FAIL;
}

enum st_result st_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_set_reason(fmt, ap);
	va_end(ap);
	return ST_SKIP;
}

bool st_explicit;
unsigned int st_slow = 1;

enum st_result st_need(bool present, const char *fmt, ...)
{
	char what[ST_REASON_MAX / 2];
	va_list ap;

	if (present)
		return ST_PASS;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (st_explicit)
		return st_fail("%s", what);
	return st_skip("%s (not on this board; --group makes it a failure)",
		       what);
}

static const struct {
	int err;
	const char *name;
} st_errnames[] = {
#define E(x) { x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT),
	E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR),
	E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG), E(ENOSPC),
	E(ESPIPE), E(EROFS), E(EPIPE), E(ERANGE), E(EDEADLK), E(ENOSYS),
	E(ENOTCONN), E(EOPNOTSUPP), E(ETIMEDOUT), E(EOVERFLOW), E(ENOTSUP),
	E(ENOKEY), E(ENOEXEC), E(ENOTBLK), E(EALREADY), E(EINPROGRESS),
#undef E
};

const char *st_errname(int err)
{
	static char buf[32];
	size_t i;

	if (!err)
		return "success";
	for (i = 0; i < sizeof(st_errnames) / sizeof(st_errnames[0]); i++)
		if (st_errnames[i].err == err)
			return st_errnames[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

enum st_result st_fail_ret(long ret, int err, int want, const char *fmt, ...)
{
	char what[ST_REASON_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (ret == -1)
		return st_fail("%s: expected %s, got -1 %s (%s)", what,
			       want ? st_errname(want) : "success",
			       st_errname(err), strerror(err));
	return st_fail("%s: expected %s, got %ld", what,
		       want ? st_errname(want) : "success", ret);
}

static void st_child(const struct st_test *t, pid_t runner)
{
	enum st_result res;

	/* own process group, so a timeout kills its helpers too */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runner)
		_exit(1);

	res = t->run();
	/* recorded first: releasing can hang if the test found a bug */
	st_shared->result = res;
	/* leave no fd or mapping behind, whatever the test did */
	st_release_all();
	_exit(0);
}

/*
 * Where a timed-out child is, before it is killed: its state and wait
 * channel (/proc/<pid>/stat, wchan) into where, its kernel stack
 * (/proc/<pid>/stack, root only) as diagnostics, so a hang names the
 * kernel function it waits in and whether the test body had returned.
 */
static void st_where(pid_t pid, char *where, size_t len)
{
	char stat[512], wchan[128] = "", *p, state = '?';
	char *stack;
	char path[64];

	if (read_file(stat, sizeof(stat), "/proc/%d/stat", (int)pid) > 0) {
		p = strrchr(stat, ')');
		if (p && p[1] == ' ')
			state = p[2];
	}
	if (read_file(wchan, sizeof(wchan), "/proc/%d/wchan", (int)pid) < 0)
		wchan[0] = '\0';
	snprintf(where, len, "%s, state %c%s%s",
		 st_shared->result >= 0 ?
		 "the test had returned: stuck releasing what it held" :
		 "still in the test",
		 state, wchan[0] && strcmp(wchan, "0") ? ", wchan " : "",
		 wchan[0] && strcmp(wchan, "0") ? wchan : "");
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	stack = slurp(path, NULL);
	if (!stack)
		return;
	for (p = strtok(stack, "\n"); p; p = strtok(NULL, "\n"))
		st_diag("timed-out pid %d: %s", (int)pid, p);
	free(stack);
}

/* Wait for the child up to timeout_ms; true if it was reaped */
static bool st_reap(pid_t pid, int *status, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return true;
		if (ret < 0 && errno != EINTR)
			return true;	/* nothing left to wait for */
		if (now_ms() >= deadline)
			return false;
		sleep_ms(5);
	}
}

enum st_result st_run_test(const struct st_test *t, unsigned int timeout_s,
			   char *reason, size_t len)
{
	pid_t pid, runner = getpid();
	int status = 0, res;

	if (!st_shared) {
		st_shared = mmap(NULL, sizeof(*st_shared),
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (st_shared == MAP_FAILED) {
			st_shared = NULL;
			snprintf(reason, len, "runner: mmap: %s",
				 strerror(errno));
			return ST_FAIL;
		}
	}
	st_shared->result = -1;
	st_shared->reason[0] = '\0';

	pid = fork();
	if (pid < 0) {
		snprintf(reason, len, "runner: fork: %s", strerror(errno));
		return ST_FAIL;
	}
	if (!pid)
		st_child(t, runner);
	setpgid(pid, pid);	/* also here: no race with the child's own */

	if (!st_reap(pid, &status, timeout_s * 1000u)) {
		char where[192];

		st_where(pid, where, sizeof(where));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		if (!st_reap(pid, &status, 10000))
			snprintf(reason, len,
				 "timed out after %u s (%s), and still alive 10 s after SIGKILL (stuck in the kernel)",
				 timeout_s, where);
		else
			snprintf(reason, len, "timed out after %u s (%s)%s%s",
				 timeout_s, where,
				 st_shared->reason[0] ? ": " : "",
				 st_shared->reason);
		/* its helpers, if any are left */
		kill(-pid, SIGKILL);
		return ST_FAIL;
	}
	/* helpers the test left running */
	kill(-pid, SIGKILL);

	if (WIFSIGNALED(status)) {
		snprintf(reason, len, "crashed: signal %d (%s)%s%s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 st_shared->reason[0] ? ": " : "", st_shared->reason);
		return ST_FAIL;
	}
	res = st_shared->result;
	if (res != ST_PASS && res != ST_FAIL && res != ST_SKIP) {
		snprintf(reason, len, "exited with status %d without a result",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return ST_FAIL;
	}
	snprintf(reason, len, "%s", st_shared->reason);
	return (enum st_result)res;
}
