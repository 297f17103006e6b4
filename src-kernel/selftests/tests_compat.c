// SPDX-License-Identifier: GPL-2.0
/*
 * 32-bit clients on a 64-bit kernel (compat_ioctl): run the 32-bit build of
 * this program, shipped beside it as "<this program>32", as a KTAP subtest
 * with this run's --group/--only selection. Its results appear nested under
 * this test's result line.
 */

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"

enum st_result test_compat32(void)
{
	char self[PATH_MAX], path[PATH_MAX + 2];
	const char *argv[16];
	int status;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return st_fail("readlink /proc/self/exe: %s", st_errname(errno));
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s32", self);
	if (access(path, X_OK))
		return st_fail("%s: %s (the 32-bit build must ship beside the 64-bit one)",
			       path, st_errname(errno));

	pid = fork();
	if (pid < 0)
		return st_fail("fork: %s", st_errname(errno));
	if (!pid) {
		argv[0] = path;
		st_subtest_args(argv + 1, sizeof(argv) / sizeof(argv[0]) - 1);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return st_fail("waitpid: %s", st_errname(errno));

	if (WIFSIGNALED(status))
		return st_fail("32-bit run killed by signal %d (%s)",
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
	switch (WEXITSTATUS(status)) {
	case 0:
		return ST_PASS;
	case 127:
		return st_fail("cannot execute %s (no 32-bit support in this kernel?)",
			       path);
	default:
		return st_fail("32-bit run exited with %d: see the compat32 subtests above",
			       WEXITSTATUS(status));
	}
}
