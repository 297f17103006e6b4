// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's "edu" device driven through an atemsys fd.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "edu.h"
#include "sys.h"

uint32_t st_seed(void)
{
	uint32_t seed = (uint32_t)now_ms() ^ ((uint32_t)getpid() * 2654435761u);

	return seed ? seed : 0x5eed;
}

enum st_result edu_attach(struct edu *e, int fd, bool map_bar)
{
	EXPECT_PASS(need_edu());
	return edu_attach_dev(e, fd, &env.edu, map_bar);
}

enum st_result edu_attach_dev(struct edu *e, int fd, const struct st_pci *p,
			      bool map_bar)
{
	void *bar;

	e->fd = fd;
	e->bar = NULL;
	EXPECT_OK(at_conf(fd, p, &e->desc), "CONF edu %s", p->bdf);
	EXPECT(e->desc.bar_count >= 1, "CONF edu: bar_count %d, expected >= 1",
	       e->desc.bar_count);
	if (!map_bar)
		return ST_PASS;

	bar = st_mmap(fd, e->desc.bars[0].addr, (size_t)page_size());
	if (!bar)
		return st_fail_ret(-1, errno, 0, "mmap edu BAR0 at 0x%" PRIx64,
				   (uint64_t)e->desc.bars[0].addr);
	e->bar = bar;
	return ST_PASS;
}

enum st_result edu_open(struct edu *e, bool map_bar)
{
	int fd;

	EXPECT_PASS(need_edu());
	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	return edu_attach(e, fd, map_bar);
}

static enum st_result edu_dma_wait(const struct edu *e, const char *what)
{
	uint64_t deadline = now_ms() + EDU_DMA_TIMEOUT_MS;
	uint32_t cmd;

	for (;;) {
		cmd = edu_read(e, EDU_REG_DMA_CMD);
		if (!(cmd & EDU_DMA_RUN))
			break;
		if (now_ms() >= deadline)
			return st_fail("%s: edu DMA still running after %u ms (cmd 0x%x)",
				       what, EDU_DMA_TIMEOUT_MS, cmd);
		sleep_ms(1);
	}
	dma_barrier();
	return ST_PASS;
}

enum st_result edu_dma(const struct edu *e, uint64_t bus_addr, uint32_t dev,
		       uint32_t count, bool to_ram)
{
	char what[96];

	snprintf(what, sizeof(what), "DMA %s 0x%" PRIx64 " %s device 0x%x, %u bytes",
		 to_ram ? "to" : "from", bus_addr, to_ram ? "<-" : "->", dev,
		 count);
	/* out of range aborts QEMU: refuse it here */
	if (dev < EDU_DMA_BASE || !count ||
	    dev + count >= EDU_DMA_BASE + EDU_DMA_SIZE)
		return st_fail("%s: outside the edu's buffer (test bug)", what);
	EXPECT(!(bus_addr >> 32),
	       "%s: bus address above 4 GiB, but CONF sets a 32-bit DMA mask and the edu's dma_mask is 32 bit",
	       what);

	/* a transfer left running by someone else */
	EXPECT_PASS(edu_dma_wait(e, what));

	dma_barrier();
	edu_write(e, EDU_REG_DMA_SRC, to_ram ? dev : (uint32_t)bus_addr);
	edu_write(e, EDU_REG_DMA_DST, to_ram ? (uint32_t)bus_addr : dev);
	edu_write(e, EDU_REG_DMA_CNT, count);
	edu_write(e, EDU_REG_DMA_CMD,
		  EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
	return edu_dma_wait(e, what);
}

enum st_result edu_dma_buffer(const struct edu *e, bool api64, void **buf,
			      uint64_t *bus_addr)
{
	size_t pg = (size_t)page_size();
	volatile uint32_t *words;
	uint64_t addr;

	*buf = st_mmap(e->fd, 0, pg);
	if (!*buf)
		return st_fail_ret(-1, errno, 0, "mmap DMA buffer (offset 0, %zu bytes)",
				   pg);
	words = *buf;
	addr = words[0];
	if (api64)
		addr |= (uint64_t)words[1] << 32;
	*bus_addr = addr;

	EXPECT(addr, "DMA buffer: bus address in its first %d bytes is 0",
	       api64 ? 8 : 4);
	EXPECT(!(addr & (pg - 1)),
	       "DMA buffer: bus address 0x%" PRIx64 " is not page aligned",
	       addr);
	return ST_PASS;
}

static uint8_t pattern(uint32_t seed, size_t i)
{
	return (uint8_t)((seed >> ((i % 4) * 8)) + i * 131u + (i >> 8));
}

enum st_result edu_dma_roundtrip(const struct edu *e, bool api64)
{
	const size_t src = 256, dst = 1024, len = 512, guard = 8;
	size_t pg = (size_t)page_size(), i, bad = 0, first = 0;
	uint8_t *b, want = 0, got = 0;
	uint32_t seed = st_seed();
	uint64_t bus;
	void *buf;

	EXPECT_PASS(edu_dma_buffer(e, api64, &buf, &bus));
	st_diag("DMA buffer at bus address 0x%" PRIx64 " (%s form)", bus,
		api64 ? "8-byte" : "4-byte");
	b = buf;

	/* the address words are ours now; keep them out of the check */
	memset(b + guard, 0xc3, pg - guard);
	for (i = 0; i < len; i++)
		b[src + i] = pattern(seed, i);

	EXPECT_PASS(edu_dma(e, bus + src, EDU_DMA_BASE, (uint32_t)len, false));
	EXPECT_PASS(edu_dma(e, bus + dst, EDU_DMA_BASE, (uint32_t)len, true));

	for (i = guard; i < pg; i++) {
		uint8_t w;

		if (i >= src && i < src + len)
			w = pattern(seed, i - src);
		else if (i >= dst && i < dst + len)
			w = pattern(seed, i - dst);
		else
			w = 0xc3;
		if (b[i] == w)
			continue;
		if (!bad++) {
			first = i;
			want = w;
			got = b[i];
		}
	}
	EXPECT(!bad,
	       "%zu bytes differ after RAM->edu->RAM; first at buffer offset %zu: expected 0x%02x, got 0x%02x (source at %zu, copy at %zu, %zu bytes)",
	       bad, first, want, got, src, dst, len);
	return ST_PASS;
}

enum st_result edu_irq_roundtrip(const struct edu *e, uint32_t val,
				 unsigned int timeout_ms, uint32_t *count)
{
	uint32_t n = 0;
	ssize_t ret;

	edu_write(e, EDU_REG_IRQ_RAISE, val);
	ret = read_timeout(e->fd, &n, sizeof(n), timeout_ms);
	edu_write(e, EDU_REG_IRQ_ACK, val);
	if (ret < 0 && errno == ETIMEDOUT)
		return st_fail("raised edu interrupt 0x%x: read() got nothing within %u ms",
			       val, timeout_ms);
	EXPECT(ret == (ssize_t)sizeof(n),
	       "read() after raising the edu interrupt: expected 4, got %zd (%s)",
	       ret, ret < 0 ? st_errname(errno) : "short");
	EXPECT(n >= 1, "read() after raising the edu interrupt: count %u, expected >= 1",
	       n);
	if (count)
		*count = n;
	return ST_PASS;
}
