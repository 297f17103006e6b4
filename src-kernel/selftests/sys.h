/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small system helpers: time, sysfs and procfs files, fds and mappings a
 * test owns (released when it ends), reads with a timeout, MMIO accessors.
 */
#ifndef ST_SYS_H
#define ST_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ATEMSYS_SYSFS	"/sys/module/atemsys"
#define ATEMSYS_PARAM(name)	ATEMSYS_SYSFS "/parameters/" name
/* bytes of DMA memory kept for devices not stopped on release */
#define ATEMSYS_DMA_KEPT	"/sys/class/atemsys/atemsys/dma_quarantine_bytes"

/* time */
uint64_t now_ms(void);
uint64_t now_us(void);
void sleep_ms(unsigned int ms);
/* Calls cond(arg) until it returns true or timeout_ms pass */
bool poll_until(bool (*cond)(void *arg), void *arg, unsigned int timeout_ms);

/*
 * Fork a child that runs hold(arg) and, when it returns NULL, stays alive
 * holding what it took until killed (also when this process dies). Returns
 * the child's pid once it holds, or -1 with why filled in: hold()'s error
 * message, or "no word within 5 s" (the child is then killed and reaped).
 */
pid_t st_fork_holder(const char *(*hold)(void *arg), void *arg, char *why,
		     size_t len);

/* files; paths are printf formats. Return -1 with errno on failure. */
ssize_t read_file(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* First line, without its newline */
int read_sysfs_line(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int read_sysfs_ulong(unsigned long *val, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes val exactly (one write()); 0 or -1 with errno */
int write_sysfs(const char *val, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 0 if a read/write of len bytes returned n; else -1 with errno (err, or EIO if short) */
int io_complete(ssize_t n, size_t len, int err);
bool path_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whole file into a malloc'ed NUL-terminated buffer, or NULL */
char *slurp(const char *path, size_t *len);

/*
 * The function tracer (Documentation/trace/ftrace.rst), for tests that
 * must see a kernel function run. ftrace_start() mounts tracefs at
 * /sys/kernel/tracing if needed and traces only the functions matching the
 * glob filter (one glob: "*assert"): 0, or -1 with what failed in why (no function
 * tracer, nothing matches the filter). ftrace_stop() turns it off, clears
 * the filter and returns what was traced (malloc'ed, lines
 * "task-pid [cpu] flags time: func <-parent"), or NULL.
 */
int ftrace_start(const char *filter, char *why, size_t len);
char *ftrace_stop(void);

/* The kernel log (klogctl), malloc'ed and NUL-terminated, or NULL */
char *klog_read(void);
/* A /proc/self/status or /proc/meminfo field in kB ("VmPin", "MemAvailable"), or -1 */
long proc_kb(const char *file, const char *field);
/* kB of DMA memory atemsys keeps for devices it could not stop, or -1 */
long dma_kept_kb(void);
/*
 * Lift dma_quarantine_mib (0: no cap) so that what a test lets go is kept
 * whole, not traded for older memory at the cap; the old value into @old.
 * 0, or -1 with errno. dma_kept_recap() puts it back.
 */
int dma_kept_uncap(char *old, size_t len);
void dma_kept_recap(const char *old);
/* Last kernel log line containing needle, into buf; false if none */
bool klog_last_line(const char *needle, char *buf, size_t len);

/* The first whole page of the first "System RAM" range in /proc/iomem (root) */
int first_ram_page(uint64_t *addr);

/* /proc/interrupts: does the line of irq name handler "name"? */
bool proc_irq_has(unsigned int irq, const char *name);
/* /proc/interrupts: count of irq in column col (CPU col when all are online), or -1 */
long proc_irq_cpu_count(unsigned int irq, unsigned int col);
/* The /proc/interrupts line of irq, spaces squeezed, into buf; false if none */
bool proc_irq_line(unsigned int irq, char *buf, size_t len);
/* Lines of /proc/interrupts naming "name" */
int proc_interrupts_count(const char *name);

/*
 * fds and mappings owned by the running test. st_release_all() unmaps and
 * closes whatever is left; the runner calls it when a test returns, tests
 * that must give a device back before cleaning up call it themselves.
 */
int st_open(const char *path, int flags);
int st_close(int fd);
/* NULL with errno on failure (not MAP_FAILED) */
void *st_mmap(int fd, uint64_t offset, size_t len);
int st_munmap(void *addr, size_t len);
void st_release_all(void);

/*
 * read() that gives up after timeout_ms: -1 with errno ETIMEDOUT. Uses
 * SIGALRM: call it from the test's main thread only.
 */
ssize_t read_timeout(int fd, void *buf, size_t len, unsigned int timeout_ms);

int set_nonblock(int fd, bool on);
long page_size(void);

/* MMIO through an uncached user mapping */
static inline uint32_t mmio_read32(volatile void *base, unsigned int off)
{
	return *(volatile uint32_t *)((uintptr_t)base + off);
}

static inline void mmio_write32(volatile void *base, unsigned int off,
				uint32_t val)
{
	*(volatile uint32_t *)((uintptr_t)base + off) = val;
}

/* Order normal memory (DMA buffers) against device accesses */
static inline void dma_barrier(void)
{
#if defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("dsb sy" ::: "memory");
#else
	__sync_synchronize();
#endif
}

#endif /* ST_SYS_H */
