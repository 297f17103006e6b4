/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP v1 output and the per-test runner: every test runs in a forked child
 * with a timeout, so a test that crashes or hangs cannot take the run down.
 */
#ifndef ST_KTAP_H
#define ST_KTAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

enum st_result {
	ST_PASS,
	ST_FAIL,
	ST_SKIP,
};

/* Where a test sits in the plan, whatever groups are selected */
enum st_phase {
	ST_PHASE_FIRST,		/* before the groups' tests */
	ST_PHASE_GROUP,		/* a group's own tests, in table order */
	ST_PHASE_COMPAT,	/* the 32-bit build's run (64-bit builds) */
	ST_PHASE_LATE,		/* after every group (rmmod refused, log) */
	ST_PHASE_LAST,		/* the very end (rmmod) */
};

struct st_test {
	const char *name;
	const char *group;	/* NULL: part of every group */
	enum st_phase phase;
	enum st_result (*run)(void);
	const char *what;	/* one line for --list */
};

#define ST_REASON_MAX	1024

/* Indent every line: the run is a subtest of another KTAP run */
void ktap_set_subtest(bool subtest);
void ktap_header(unsigned int count);
void ktap_result(unsigned int num, const char *name, enum st_result res,
		 const char *reason);
void ktap_bail_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "# ..." diagnostic line, written at once (safe from any process) */
void st_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Record why the running test failed or was skipped and return the result,
 * so that a test can "return st_fail(...)". The first reason recorded wins:
 * it is the most specific one.
 */
enum st_result st_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
enum st_result st_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/*
 * A device the test needs: ST_PASS if present. If not, the test fails when
 * the run named what it runs (--group, --only), else it is skipped: a run
 * of every group (the default) then works on boards with part of the
 * devices, and each board names its groups so that none is skipped there.
 */
extern bool st_explicit;

/*
 * How much slower than usual this kernel runs (--timeout over the default
 * per-test limit, rounded up; 1 normally): tests stretch their own waits
 * for tools and guests by it
 */
extern unsigned int st_slow;

static inline unsigned int st_slow_ms(unsigned int ms)
{
	return ms * st_slow;
}
enum st_result st_need(bool present, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "<what>: expected <want>, got <ret/errno>" */
enum st_result st_fail_ret(long ret, int err, int want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "EBUSY" for EBUSY, "errno 1234" for what the table does not know */
const char *st_errname(int err);

/* Run one test in a child; returns its result and fills reason */
enum st_result st_run_test(const struct st_test *t, unsigned int timeout_s,
			   char *reason, size_t len);

/*
 * Fail the test unless expr (a syscall-style int/ssize_t result) is >= 0.
 * errno is cleared before expr runs: pass the call itself, not a result
 * saved earlier (its errno would read 0); use st_fail_ret() for those.
 */
#define EXPECT_OK(expr, ...) do {					\
	long __st_r;							\
	errno = 0;							\
	__st_r = (long)(expr);						\
	if (__st_r < 0)							\
		return st_fail_ret(__st_r, errno, 0, __VA_ARGS__);	\
} while (0)

/* Fail the test unless expr returned -1 with errno == want */
#define EXPECT_ERR(expr, want, ...) do {				\
	long __st_r;							\
	errno = 0;							\
	__st_r = (long)(expr);						\
	if (__st_r != -1 || errno != (want))				\
		return st_fail_ret(__st_r, errno, (want), __VA_ARGS__);	\
} while (0)

/* Fail the test with the message unless cond holds */
#define EXPECT(cond, ...) do {						\
	if (!(cond))							\
		return st_fail(__VA_ARGS__);				\
} while (0)

/* Propagate a failed or skipped sub-step */
#define EXPECT_PASS(expr) do {						\
	enum st_result __st_res = (expr);				\
	if (__st_res != ST_PASS)					\
		return __st_res;					\
} while (0)

#endif /* ST_KTAP_H */
