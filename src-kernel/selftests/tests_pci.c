// SPDX-License-Identifier: GPL-2.0
/*
 * PCI tests: FIND, CONF, RELEASE, BAR and DMA mappings, the old struct
 * revisions, refusals, the e1000e and the atemsys_pci driver.
 */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atemsys.h>

#include "edu.h"
#include "pci.h"
#include "sys.h"
#include "tests.h"

#define BDF_FMT		"%04x:%02x:%02x.%x"
#define BDF_ARGS(d)	(unsigned int)(d)->domain, (unsigned int)(d)->bus, \
			(unsigned int)(d)->device, (unsigned int)(d)->function

static enum st_result open_fd(int *fd)
{
	*fd = at_open();
	if (*fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	return ST_PASS;
}

/* FIND vendor:device instance and compare with the sysfs scan */
/*
 * FIND's instances 0..n-1 are the n matching devices of sysfs, each once.
 * Their order is the kernel's device list (pci_get_device()), which is
 * B/D/F order at boot but puts a removed and rescanned or hot-plugged
 * device last; sysfs lists by B/D/F.
 */
static enum st_result find_matches_sysfs(int fd, int vendor, int device)
{
	at_desc seen[32];
	struct st_pci p;
	int n, i, k;
	at_desc d;

	n = pci_count_sysfs(vendor, device);
	EXPECT(n > 0 && n <= 32, "%d of %04x:%04x in sysfs", n, (unsigned int)vendor & 0xffff,
	       (unsigned int)device & 0xffff);
	for (i = 0; i < n; i++) {
		EXPECT_OK(at_find(fd, vendor, device, i, &d),
			  "FIND %04x:%04x instance %d", vendor & 0xffff,
			  device & 0xffff, i);
		EXPECT(!pci_by_location(d.domain, d.bus, d.device, d.function, &p) &&
		       (vendor == PCI_ANY || p.vendor == (unsigned int)vendor) &&
		       (device == PCI_ANY || p.device == (unsigned int)device),
		       "FIND %04x:%04x instance %d gave " BDF_FMT ", not such a device in sysfs",
		       vendor & 0xffff, device & 0xffff, i, BDF_ARGS(&d));
		for (k = 0; k < i; k++)
			EXPECT(!at_desc_is(&seen[k], &p),
			       "FIND %04x:%04x instances %d and %d both gave %s",
			       vendor & 0xffff, device & 0xffff, k, i, p.bdf);
		seen[i] = d;
	}
	EXPECT_ERR(at_find(fd, vendor, device, n, &d), ENODEV,
		   "FIND %04x:%04x instance %d (sysfs has %d)", vendor & 0xffff,
		   device & 0xffff, n, n);
	return ST_PASS;
}

enum st_result test_find_by_id(void)
{
	struct st_pci p;
	at_desc d;
	int fd;

	EXPECT_PASS(need_edu());
	EXPECT_PASS(open_fd(&fd));

	/* every edu, in order, then one past the last: ENODEV */
	EXPECT_PASS(find_matches_sysfs(fd, EDU_VENDOR, EDU_DEVICE));
	EXPECT_OK(at_find(fd, EDU_VENDOR, EDU_DEVICE, 0, &d),
		  "FIND 1234:11e8 instance 0");
	EXPECT(at_desc_is(&d, &env.edu),
	       "FIND 1234:11e8 gave " BDF_FMT ", sysfs has the edu at %s",
	       BDF_ARGS(&d), env.edu.bdf);

	/* -1 is a wildcard for the vendor and for the device */
	EXPECT_PASS(find_matches_sysfs(fd, PCI_ANY, EDU_DEVICE));
	EXPECT_PASS(find_matches_sysfs(fd, EDU_VENDOR, PCI_ANY));
	EXPECT_OK(at_find(fd, PCI_ANY, PCI_ANY, 0, &d), "FIND -1:-1 instance 0");
	EXPECT(!pci_by_location(d.domain, d.bus, d.device, d.function, &p),
	       "FIND -1:-1 gave " BDF_FMT ", which is not in sysfs",
	       BDF_ARGS(&d));

	/* nothing has this ID */
	EXPECT_ERR(at_find(fd, 0xdead, 0xbeef, 0, &d), ENODEV,
		   "FIND dead:beef instance 0");
	return ST_PASS;
}

/* A bus number with no device in the edu's domain */
static int unused_bus(void)
{
	int bus;

	for (bus = 0x7f; bus < 0x100; bus++)
		if (!pci_bus_used(env.edu.domain, bus))
			return bus;
	return -1;
}

enum st_result test_conf_by_bdf(void)
{
	struct st_pci bogus;
	at_desc d;
	int fd, fd2, bus;

	EXPECT_PASS(need_edu());
	EXPECT_PASS(open_fd(&fd));

	EXPECT_OK(at_conf(fd, &env.edu, &d), "CONF %s", env.edu.bdf);
	EXPECT(d.bar_count >= 1, "CONF %s: bar_count %d, expected >= 1",
	       env.edu.bdf, d.bar_count);
	EXPECT(d.bars[0].len == EDU_BAR_SIZE,
	       "CONF %s: bars[0].len 0x%x, expected 0x%x (1 MiB)", env.edu.bdf,
	       d.bars[0].len, EDU_BAR_SIZE);
	EXPECT_PASS(check_conf_result(&env.edu, &d));
	st_diag("edu %s: BAR0 0x%" PRIx64 " len 0x%x, irq %u", env.edu.bdf,
		(uint64_t)d.bars[0].addr, d.bars[0].len, d.irq);

	/* B/D/Fs that do not exist */
	EXPECT_PASS(open_fd(&fd2));
	bus = unused_bus();
	EXPECT(bus >= 0, "no unused bus number in domain %04x",
	       (unsigned int)env.edu.domain);
	bogus = env.edu;
	bogus.bus = bus;
	bogus.dev = 0x1f;
	bogus.fn = 7;
	EXPECT_ERR(at_conf(fd2, &bogus, &d), ENODEV,
		   "CONF %04x:%02x:1f.7 (no such device)",
		   (unsigned int)bogus.domain, (unsigned int)bus);
	bogus = env.edu;
	bogus.dev = 0x20;
	EXPECT_ERR(at_conf(fd2, &bogus, &d), ENODEV,
		   "CONF device 0x20 (out of range)");
	bogus = env.edu;
	bogus.fn = 8;
	EXPECT_ERR(at_conf(fd2, &bogus, &d), ENODEV,
		   "CONF function 8 (out of range)");

	/* a failed CONF leaves the fd usable */
	EXPECT_OK(st_close(fd), "close the first fd");
	EXPECT_OK(at_conf(fd2, &env.edu, &d),
		  "CONF %s on an fd whose earlier CONFs failed", env.edu.bdf);
	EXPECT_PASS(check_conf_result(&env.edu, &d));
	return ST_PASS;
}

static bool edu_fact_idle(void *arg)
{
	const struct edu *e = arg;

	return !(edu_read(e, EDU_REG_STATUS) & EDU_STATUS_COMPUTING);
}

static enum st_result edu_factorial(const struct edu *e, uint32_t n,
				    uint32_t want)
{
	uint32_t got;

	EXPECT(poll_until(edu_fact_idle, (void *)e, 2000),
	       "edu status 0x%x: still computing before writing %u",
	       edu_read(e, EDU_REG_STATUS), n);
	edu_write(e, EDU_REG_FACT, n);
	EXPECT(poll_until(edu_fact_idle, (void *)e, 2000),
	       "edu status 0x%x: factorial of %u not done after 2 s",
	       edu_read(e, EDU_REG_STATUS), n);
	got = edu_read(e, EDU_REG_FACT);
	EXPECT(got == want, "edu factorial of %u: read %u, expected %u", n, got,
	       want);
	return ST_PASS;
}

enum st_result test_bar_mmap_edu(void)
{
	const uint32_t live[] = { 0x12345678, 0xa5a5f00f ^ st_seed() };
	volatile void *whole;
	struct edu e;
	uint32_t v;
	size_t i;

	EXPECT_PASS(edu_open(&e, true));

	v = edu_read(&e, EDU_REG_ID);
	EXPECT(v == EDU_ID_VALUE, "edu ID register 0x%08x, expected 0x%08x", v,
	       EDU_ID_VALUE);

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		edu_write(&e, EDU_REG_LIVENESS, live[i]);
		v = edu_read(&e, EDU_REG_LIVENESS);
		EXPECT(v == ~live[i],
		       "edu liveness: wrote 0x%08x, read 0x%08x, expected 0x%08x",
		       live[i], v, ~live[i]);
	}

	/* no interrupt when the factorial is done */
	edu_write(&e, EDU_REG_STATUS, 0);
	EXPECT_PASS(edu_factorial(&e, 5, 120));
	EXPECT_PASS(edu_factorial(&e, 10, 3628800));

	/* the whole BAR maps too, and shows the same registers */
	whole = st_mmap(e.fd, e.desc.bars[0].addr, e.desc.bars[0].len);
	if (!whole)
		return st_fail_ret(-1, errno, 0, "mmap the whole edu BAR0 (0x%x bytes)",
				   e.desc.bars[0].len);
	v = mmio_read32(whole, EDU_REG_ID);
	EXPECT(v == EDU_ID_VALUE,
	       "edu ID through the whole-BAR mapping 0x%08x, expected 0x%08x", v,
	       EDU_ID_VALUE);
	return ST_PASS;
}

/* An fd without a device gets its DMA memory from the fallback device */
static enum st_result dma_without_device(void)
{
	size_t pg = (size_t)page_size();
	volatile uint32_t *words;
	uint32_t addr;
	int fd;

	EXPECT_PASS(open_fd(&fd));
	words = st_mmap(fd, 0, pg);
	if (!words)
		return st_fail_ret(-1, errno, 0,
				   "mmap DMA buffer on an fd without a device");
	addr = words[0];
	EXPECT(addr && !(addr & (pg - 1)),
	       "DMA buffer without a device: bus address 0x%x, expected nonzero and page aligned",
	       addr);
	st_diag("DMA buffer without a device at bus address 0x%x", addr);
	return ST_PASS;
}

enum st_result test_dma_to_device(void)
{
	struct edu e;

	EXPECT_PASS(dma_without_device());
	/* no MOD_SET_API_VERSION: the address is the first 4 bytes */
	EXPECT_PASS(edu_open(&e, true));
	return edu_dma_roundtrip(&e, false);
}

enum st_result test_dma_from_device(void)
{
	const size_t len = 512, guard = 8;
	/* RAM offset -> device address, and back to another RAM offset */
	const struct {
		size_t ram;
		uint32_t dev;
		size_t back;
	} part[2] = {
		{ 256, EDU_DMA_BASE, 3072 },
		{ 768, EDU_DMA_BASE + 0x800, 2048 },
	};
	uint32_t api = ATEMSYS_API_64BIT_DMA, seed = st_seed();
	size_t pg = (size_t)page_size(), i, bad = 0, first = 0;
	uint8_t *b, want = 0, got = 0, *expect;
	uint64_t bus;
	struct edu e;
	void *buf;
	int fd, k;

	EXPECT(pg >= 4096, "page size %zu", pg);
	EXPECT_PASS(open_fd(&fd));
	/* 64-bit form: the address is two native-endian u32, low then high */
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, &api),
		  "MOD_SET_API_VERSION(0x%06x)", api);
	EXPECT_PASS(edu_attach(&e, fd, true));
	EXPECT_PASS(edu_dma_buffer(&e, true, &buf, &bus));
	st_diag("DMA buffer at bus address 0x%" PRIx64 " (8-byte form)", bus);
	b = buf;

	expect = malloc(pg);
	EXPECT(expect, "out of memory");
	memset(expect, 0x3c, pg);
	for (k = 0; k < 2; k++)
		for (i = 0; i < len; i++)
			expect[part[k].ram + i] = expect[part[k].back + i] =
				(uint8_t)((k ? ~seed : seed) + i * 7u + (i >> 3));
	memcpy(b + guard, expect + guard, pg - guard);
	for (k = 0; k < 2; k++)
		memset(b + part[k].back, 0x3c, len);

	for (k = 0; k < 2; k++)
		EXPECT_PASS(edu_dma(&e, bus + part[k].ram, part[k].dev,
				    (uint32_t)len, false));
	/* back in the other order, so a mixed-up offset shows */
	for (k = 1; k >= 0; k--)
		EXPECT_PASS(edu_dma(&e, bus + part[k].back, part[k].dev,
				    (uint32_t)len, true));

	for (i = guard; i < pg; i++) {
		if (b[i] == expect[i])
			continue;
		if (!bad++) {
			first = i;
			want = expect[i];
			got = b[i];
		}
	}
	free(expect);
	EXPECT(!bad,
	       "%zu bytes differ after two DMAs to the edu (0x%x, 0x%x) and back; first at buffer offset %zu: expected 0x%02x, got 0x%02x",
	       bad, part[0].dev, part[1].dev, first, want, got);
	return ST_PASS;
}

/* Bytes after a struct the kernel must not touch */
static enum st_result tail_intact(const uint8_t *raw, size_t size,
				  size_t total, const char *what)
{
	size_t i;

	for (i = size; i < total; i++)
		EXPECT(raw[i] == 0xa5,
		       "%s wrote byte %zu, past its %zu-byte struct", what, i,
		       size);
	return ST_PASS;
}

#define RAW_SIZE 160

enum st_result test_old_struct_revisions(void)
{
	union {
		struct atemsys_pci_select_desc_v1_0_00 v1_0;
		struct atemsys_pci_select_desc_v1_3_05 v1_3;
		struct atemsys_pci_select_desc_v1_4_12 v1_4;
		uint8_t raw[RAW_SIZE];
	} u;
	const struct st_pci *edu = &env.edu;
	uint32_t addr_1_0 = 0, addr_1_3 = 0;
	struct st_bar bars[6];
	bool low, conf_1_0;
	unsigned int irq;
	int fd;

	EXPECT_PASS(need_edu());
	EXPECT(!pci_read_bars(edu, bars) && !pci_read_irq(edu, &irq),
	       "%s: cannot read resource/irq: %s", edu->bdf, strerror(errno));
	low = !(bars[0].start >> 32);
	EXPECT_PASS(open_fd(&fd));

	/* 1.0.00: 80 bytes, no domain */
	memset(u.raw, 0xa5, sizeof(u.raw));
	u.v1_0.vendor_id = EDU_VENDOR;
	u.v1_0.device_id = EDU_DEVICE;
	u.v1_0.instance = 0;
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00, &u),
		  "FIND (80-byte struct)");
	EXPECT(u.v1_0.bus == edu->bus && u.v1_0.device == edu->dev &&
	       u.v1_0.function == edu->fn,
	       "FIND (80-byte struct) gave %02x:%02x.%x, the edu is %s",
	       (unsigned int)u.v1_0.bus, (unsigned int)u.v1_0.device,
	       (unsigned int)u.v1_0.function, edu->bdf);
	EXPECT_PASS(tail_intact(u.raw, 80, RAW_SIZE, "FIND (80-byte struct)"));

	conf_1_0 = edu->domain == 0;
	if (!conf_1_0)
		st_diag("edu in domain %04x: the 80-byte struct cannot name it, not CONFing with it",
			(unsigned int)edu->domain);
	if (conf_1_0) {
		memset(u.raw, 0xa5, sizeof(u.raw));
		u.v1_0.bus = edu->bus;
		u.v1_0.device = edu->dev;
		u.v1_0.function = edu->fn;
		if (!low) {
			EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00, &u),
				   ENODEV, "CONF (80-byte struct) of a BAR above 4 GiB");
		} else {
			EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00, &u),
				  "CONF (80-byte struct)");
			addr_1_0 = u.v1_0.bars[0].addr;
			EXPECT(u.v1_0.bar_count >= 1 && addr_1_0 == (uint32_t)bars[0].start &&
			       u.v1_0.bars[0].len == EDU_BAR_SIZE && u.v1_0.irq == irq,
			       "CONF (80-byte struct): bar_count %d, bars[0] 0x%x len 0x%x, irq %u; expected >= 1, 0x%" PRIx64 ", 0x%x, %u",
			       u.v1_0.bar_count, addr_1_0, u.v1_0.bars[0].len,
			       u.v1_0.irq, bars[0].start, EDU_BAR_SIZE, irq);
			EXPECT_PASS(tail_intact(u.raw, 80, RAW_SIZE,
						"CONF (80-byte struct)"));
			EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE),
				  "RELEASE after the 80-byte CONF");
		}
	}

	/* 1.3.05: 84 bytes, FIND writes the domain back */
	memset(u.raw, 0xa5, sizeof(u.raw));
	u.v1_3.vendor_id = EDU_VENDOR;
	u.v1_3.device_id = EDU_DEVICE;
	u.v1_3.instance = 0;
	u.v1_3.domain = 0x5a5a5a5a;
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05, &u),
		  "FIND (84-byte struct)");
	EXPECT(u.v1_3.domain == edu->domain && u.v1_3.bus == edu->bus &&
	       u.v1_3.device == edu->dev && u.v1_3.function == edu->fn,
	       "FIND (84-byte struct) gave %04x:%02x:%02x.%x, the edu is %s",
	       (unsigned int)u.v1_3.domain, (unsigned int)u.v1_3.bus,
	       (unsigned int)u.v1_3.device, (unsigned int)u.v1_3.function,
	       edu->bdf);
	EXPECT_PASS(tail_intact(u.raw, 84, RAW_SIZE, "FIND (84-byte struct)"));

	memset(u.raw, 0xa5, sizeof(u.raw));
	u.v1_3.domain = edu->domain;
	u.v1_3.bus = edu->bus;
	u.v1_3.device = edu->dev;
	u.v1_3.function = edu->fn;
	if (!low) {
		EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05, &u),
			   ENODEV, "CONF (84-byte struct) of a BAR above 4 GiB");
	} else {
		EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05, &u),
			  "CONF (84-byte struct)");
		addr_1_3 = u.v1_3.bars[0].addr;
		EXPECT(u.v1_3.bar_count >= 1 && addr_1_3 == (uint32_t)bars[0].start &&
		       u.v1_3.bars[0].len == EDU_BAR_SIZE && u.v1_3.irq == irq,
		       "CONF (84-byte struct): bar_count %d, bars[0] 0x%x len 0x%x, irq %u; expected >= 1, 0x%" PRIx64 ", 0x%x, %u",
		       u.v1_3.bar_count, addr_1_3, u.v1_3.bars[0].len, u.v1_3.irq,
		       bars[0].start, EDU_BAR_SIZE, irq);
		EXPECT_PASS(tail_intact(u.raw, 84, RAW_SIZE,
					"CONF (84-byte struct)"));
		EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE),
			  "RELEASE after the 84-byte CONF");
	}

	/* 1.4.12: 108 bytes, 64-bit BAR addresses: the same BAR */
	memset(u.raw, 0xa5, sizeof(u.raw));
	u.v1_4.domain = edu->domain;
	u.v1_4.bus = edu->bus;
	u.v1_4.device = edu->dev;
	u.v1_4.function = edu->fn;
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12, &u),
		  "CONF (108-byte struct)");
	EXPECT(u.v1_4.bars[0].addr == bars[0].start,
	       "CONF (108-byte struct): bars[0] 0x%" PRIx64 ", sysfs 0x%" PRIx64,
	       (uint64_t)u.v1_4.bars[0].addr, bars[0].start);
	EXPECT_PASS(tail_intact(u.raw, 108, RAW_SIZE, "CONF (108-byte struct)"));
	if (low) {
		EXPECT(!conf_1_0 || addr_1_0 == (uint32_t)u.v1_4.bars[0].addr,
		       "80-byte CONF BAR 0x%x != 108-byte CONF BAR 0x%" PRIx64,
		       addr_1_0, (uint64_t)u.v1_4.bars[0].addr);
		EXPECT(addr_1_3 == (uint32_t)u.v1_4.bars[0].addr,
		       "84-byte CONF BAR 0x%x != 108-byte CONF BAR 0x%" PRIx64,
		       addr_1_3, (uint64_t)u.v1_4.bars[0].addr);
	}
	return ST_PASS;
}

enum st_result test_release_and_reconf(void)
{
	size_t pg = (size_t)page_size();
	void *bar, *dma, *nic_bar;
	at_desc d, nic;
	int fd, fd2, bm;
	struct edu e;

	EXPECT_PASS(need_edu());
	EXPECT_PASS(need_nic());
	EXPECT_PASS(edu_open(&e, false));
	fd = e.fd;

	bar = st_mmap(fd, e.desc.bars[0].addr, pg);
	if (!bar)
		return st_fail_ret(-1, errno, 0, "mmap edu BAR0");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE), EBUSY,
		   "RELEASE while the BAR is mapped");
	EXPECT_OK(st_munmap(bar, pg), "munmap BAR");

	dma = st_mmap(fd, 0, pg);
	if (!dma)
		return st_fail_ret(-1, errno, 0, "mmap DMA buffer");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE), EBUSY,
		   "RELEASE while a DMA buffer is mapped");
	EXPECT_OK(st_munmap(dma, pg), "munmap DMA buffer");

	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE),
		  "RELEASE with nothing mapped");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE), ENODEV,
		   "RELEASE again");

	/* really released: bus mastering off, regions free for another fd */
	bm = pci_bus_master(&env.edu);
	EXPECT(bm == 0, "edu bus mastering %s after RELEASE",
	       bm < 0 ? strerror(errno) : "still on");
	EXPECT_PASS(open_fd(&fd2));
	EXPECT_OK(at_conf(fd2, &env.edu, &d),
		  "CONF the edu on another fd after RELEASE");
	EXPECT_OK(st_close(fd2), "close the other fd");

	/* the first fd can configure another device */
	EXPECT_OK(at_conf(fd, &env.nic, &nic), "CONF e1000e %s after RELEASE",
		  env.nic.bdf);
	EXPECT(!st_mmap(fd, e.desc.bars[0].addr, pg),
	       "mmap of the edu BAR succeeded on the fd that released it");
	EXPECT(errno == EPERM,
	       "mmap of the released edu BAR: expected EPERM, got %s",
	       st_errname(errno));
	nic_bar = st_mmap(fd, nic.bars[0].addr, pg);
	if (!nic_bar)
		return st_fail_ret(-1, errno, 0, "mmap e1000e BAR0 on the same fd");
	return ST_PASS;
}

static enum st_result expect_mmap_eperm(int fd, uint64_t addr, size_t len,
					const char *what)
{
	void *p = st_mmap(fd, addr, len);

	EXPECT(!p, "mmap of %s (0x%" PRIx64 ", 0x%zx bytes) succeeded", what,
	       addr, len);
	EXPECT(errno == EPERM,
	       "mmap of %s (0x%" PRIx64 ", 0x%zx bytes): expected EPERM, got %s (%s)",
	       what, addr, len, st_errname(errno), strerror(errno));
	return ST_PASS;
}

enum st_result test_negative(void)
{
	void *bad = (void *)8;
	size_t pg = (size_t)page_size();
	uint64_t ram, edu_bar, edu_len;
	struct st_bar nic_bars[6], edu_bars[6];
	struct st_pci bridge;
	at_desc d;
	int fd, fd2;
	struct edu e;

	EXPECT_PASS(need_edu());
	EXPECT_PASS(need_nic());
	EXPECT_PASS(open_fd(&fd));

	/* bad pointers */
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, bad), EFAULT,
		   "MOD_GETVERSION to (void *)8");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, bad), EFAULT,
		   "MOD_SET_API_VERSION from (void *)8");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12, bad), EFAULT,
		   "FIND with (void *)8");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00, bad), EFAULT,
		   "FIND (80-byte struct) with (void *)8");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12, bad), EFAULT,
		   "CONF with (void *)8");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_INT_INFO, bad), EFAULT,
		   "INT_INFO to (void *)8");

	/* unknown commands */
	EXPECT_ERR(ioctl(fd, _IO(ATEMSYS_IOCTL_TYPE, 99)), ENOTTY,
		   "_IO(101, 99)");
	EXPECT_ERR(ioctl(fd, _IO('x', 1)), ENOTTY, "_IO('x', 1)");

	/* no device configured */
	EXPECT_ERR(at_connect(fd), ENODEV, "INT_CONNECT without a device");
	EXPECT_ERR(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE), ENODEV,
		   "RELEASE without a device");
	EXPECT(!pci_read_bars(&env.edu, edu_bars), "%s/resource: %s",
	       env.edu.bdf, strerror(errno));
	edu_bar = edu_bars[0].start;
	edu_len = edu_bars[0].len;
	EXPECT_PASS(expect_mmap_eperm(fd, edu_bar, pg,
				      "the edu BAR on an fd without a device"));

	/* one device per fd, one fd per device */
	EXPECT_PASS(edu_attach(&e, fd, false));
	EXPECT_ERR(at_conf(fd, &env.edu, &d), EBUSY,
		   "second CONF on a configured fd");
	EXPECT_ERR(at_conf(fd, &env.nic, &d), EBUSY,
		   "CONF of the e1000e on an fd that has the edu");
	EXPECT_PASS(open_fd(&fd2));
	EXPECT_ERR(at_conf(fd2, &env.edu, &d), EBUSY,
		   "CONF of the edu held by another fd");

	EXPECT_OK(at_connect(fd), "INT_CONNECT");
	EXPECT_ERR(at_connect(fd), EBUSY, "INT_CONNECT twice");
	EXPECT_OK(at_disconnect(fd), "INT_DISCONNECT");

	/* endpoints only: the host bridge (no driver holds it) is refused */
	if (!pci_find_unbound_class(0x06, &bridge))
		EXPECT_ERR(at_conf(fd2, &bridge, &d), EPERM,
			   "CONF of the bridge %s", bridge.bdf);
	else
		st_diag("no bridge without a driver: CONF of a bridge not tried");

	/* mappings outside what the fd owns */
	EXPECT(!first_ram_page(&ram), "no whole page of System RAM in /proc/iomem");
	EXPECT_PASS(expect_mmap_eperm(fd, ram, pg, "a System RAM page"));
	EXPECT(!pci_read_bars(&env.nic, nic_bars), "%s/resource: %s",
	       env.nic.bdf, strerror(errno));
	EXPECT_PASS(expect_mmap_eperm(fd, nic_bars[0].start, pg,
				      "the e1000e BAR (only the edu is configured)"));
	EXPECT_PASS(expect_mmap_eperm(fd, edu_bar + edu_len - pg, 2 * pg,
				      "a range running past the end of the edu BAR"));
	if (edu_bar >= pg)
		EXPECT_PASS(expect_mmap_eperm(fd, edu_bar - pg, 2 * pg,
					      "a range starting before the edu BAR"));
	/* ...while the BAR's own last page maps */
	EXPECT(st_mmap(fd, edu_bar + edu_len - pg, pg),
	       "mmap of the last page of the edu BAR: %s", st_errname(errno));
	return ST_PASS;
}

#define UNCLAIMED_PARAM		ATEMSYS_PARAM("allow_unclaimed_mmio")

static enum st_result unclaimed_mmio_body(void)
{
	size_t pg = (size_t)page_size();
	struct st_bar nic_bars[6];
	volatile void *regs;
	uint32_t status;
	uint64_t ram;
	char val[8];
	struct edu e;
	int fd;

	EXPECT_OK(read_sysfs_line(val, sizeof(val), UNCLAIMED_PARAM),
		  "read " UNCLAIMED_PARAM);
	EXPECT(!strcmp(val, "N"), UNCLAIMED_PARAM " reads \"%s\", expected \"N\" (off by default)",
	       val);
	EXPECT(!pci_read_bars(&env.nic, nic_bars), "%s/resource: %s",
	       env.nic.bdf, strerror(errno));
	EXPECT(!first_ram_page(&ram), "no whole page of System RAM in /proc/iomem");
	EXPECT_PASS(open_fd(&fd));
	EXPECT_PASS(expect_mmap_eperm(fd, nic_bars[0].start, pg,
				      "the unclaimed e1000e BAR (parameter off)"));

	EXPECT_OK(write_sysfs("1", UNCLAIMED_PARAM), "write 1 to " UNCLAIMED_PARAM);
	regs = st_mmap(fd, nic_bars[0].start, pg);
	if (!regs)
		return st_fail_ret(-1, errno, 0,
				   "mmap of the unclaimed e1000e BAR with allow_unclaimed_mmio=1");
	status = mmio_read32(regs, 0x8);	/* e1000e STATUS */
	EXPECT(status != 0xffffffff && status != 0,
	       "e1000e STATUS through the unclaimed mapping reads 0x%08x", status);
	EXPECT_PASS(expect_mmap_eperm(fd, ram, pg,
				      "a System RAM page (allow_unclaimed_mmio=1)"));
	/* the edu's regions are claimed by the fd that configured it */
	EXPECT_PASS(edu_open(&e, false));
	EXPECT_PASS(expect_mmap_eperm(fd, e.desc.bars[0].addr, pg,
				      "the edu BAR held by another fd (allow_unclaimed_mmio=1)"));

	EXPECT_OK(write_sysfs("0", UNCLAIMED_PARAM), "write 0 to " UNCLAIMED_PARAM);
	EXPECT_PASS(expect_mmap_eperm(fd, nic_bars[0].start, pg,
				      "the unclaimed e1000e BAR (parameter off again)"));
	return ST_PASS;
}

enum st_result test_unclaimed_mmio(void)
{
	enum st_result res;

	EXPECT_PASS(need_edu());
	EXPECT_PASS(need_nic());
	res = unclaimed_mmio_body();
	if (write_sysfs("0", UNCLAIMED_PARAM) && res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "restore 0 in " UNCLAIMED_PARAM);
	return res;
}

/* 82574L registers (Intel 82574 GbE controller datasheet) */
#define E1000_CTRL		0x0000
#define E1000_STATUS		0x0008
#define E1000_EECD		0x0010
#define  E1000_EECD_PRES	0x00000100	/* NVM present */
#define  E1000_EECD_AUTO_RD	0x00000200	/* NVM auto-read done */
#define E1000_EERD		0x0014
#define  E1000_EERD_START	0x00000001
#define  E1000_EERD_DONE	0x00000002
#define  E1000_EERD_ADDR_SHIFT	2
#define  E1000_EERD_DATA_SHIFT	16
#define E1000_RAL0		0x5400
#define E1000_RAH0		0x5404
#define  E1000_RAH_AV		0x80000000	/* address valid */
#define E1000_BAR0_SIZE		0x20000		/* 128 KiB CSR space */
#define NVM_WORDS		0x40		/* checksummed words */
#define NVM_SUM			0xbaba
#define NVM_DEVICE_ID		0x0d

static enum st_result nvm_read(volatile void *regs, unsigned int word,
			       uint16_t *val)
{
	uint64_t deadline = now_ms() + 100;
	uint32_t v;

	mmio_write32(regs, E1000_EERD,
		     (word << E1000_EERD_ADDR_SHIFT) | E1000_EERD_START);
	for (;;) {
		v = mmio_read32(regs, E1000_EERD);
		if (v & E1000_EERD_DONE)
			break;
		EXPECT(now_ms() < deadline,
		       "e1000e EERD: NVM word 0x%02x not done after 100 ms (EERD 0x%08x)",
		       word, v);
	}
	*val = (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
	return ST_PASS;
}

enum st_result test_e1000e_status(void)
{
	uint32_t ctrl, status, eecd, ral, rah;
	uint16_t nvm[NVM_WORDS], sum = 0;
	volatile void *regs;
	unsigned int i;
	at_desc d;
	int fd;

	EXPECT_PASS(need_nic());
	EXPECT_PASS(open_fd(&fd));

	EXPECT_OK(at_find(fd, NIC_VENDOR, NIC_DEVICE, 0, &d),
		  "FIND 8086:10d3 instance 0");
	EXPECT(at_desc_is(&d, &env.nic),
	       "FIND 8086:10d3 gave " BDF_FMT ", sysfs has %s", BDF_ARGS(&d),
	       env.nic.bdf);
	EXPECT_OK(at_conf(fd, &env.nic, &d), "CONF e1000e %s", env.nic.bdf);
	EXPECT_PASS(check_conf_result(&env.nic, &d));
	EXPECT(d.bars[0].len == E1000_BAR0_SIZE,
	       "e1000e bars[0].len 0x%x, expected 0x%x (128 KiB of CSRs)",
	       d.bars[0].len, E1000_BAR0_SIZE);

	regs = st_mmap(fd, d.bars[0].addr, E1000_BAR0_SIZE);
	if (!regs)
		return st_fail_ret(-1, errno, 0, "mmap e1000e BAR0 at 0x%" PRIx64,
				   (uint64_t)d.bars[0].addr);

	ctrl = mmio_read32(regs, E1000_CTRL);
	status = mmio_read32(regs, E1000_STATUS);
	eecd = mmio_read32(regs, E1000_EECD);
	st_diag("e1000e %s: CTRL 0x%08x STATUS 0x%08x EECD 0x%08x", env.nic.bdf,
		ctrl, status, eecd);
	EXPECT(status != 0xffffffff && status != 0,
	       "e1000e STATUS reads 0x%08x: the device does not answer", status);
	EXPECT((eecd & (E1000_EECD_PRES | E1000_EECD_AUTO_RD)) ==
	       (E1000_EECD_PRES | E1000_EECD_AUTO_RD),
	       "e1000e EECD 0x%08x: NVM present and auto-read done bits (0x300) not both set",
	       eecd);

	/* NVM words 0x00-0x3f sum to 0xbaba; word 0x0d is the device ID */
	for (i = 0; i < NVM_WORDS; i++) {
		EXPECT_PASS(nvm_read(regs, i, &nvm[i]));
		sum = (uint16_t)(sum + nvm[i]);
	}
	EXPECT(sum == NVM_SUM, "e1000e NVM words 0x00-0x3f sum to 0x%04x, expected 0x%04x",
	       sum, NVM_SUM);
	EXPECT(nvm[NVM_DEVICE_ID] == NIC_DEVICE,
	       "e1000e NVM device ID word 0x%04x, expected 0x%04x",
	       nvm[NVM_DEVICE_ID], NIC_DEVICE);

	/* receive address 0 holds the NVM's MAC address and is valid */
	ral = mmio_read32(regs, E1000_RAL0);
	rah = mmio_read32(regs, E1000_RAH0);
	st_diag("e1000e MAC %02x:%02x:%02x:%02x:%02x:%02x (NVM), RAL0 0x%08x RAH0 0x%08x",
		nvm[0] & 0xff, nvm[0] >> 8, nvm[1] & 0xff, nvm[1] >> 8,
		nvm[2] & 0xff, nvm[2] >> 8, ral, rah);
	EXPECT(ral == ((uint32_t)nvm[0] | (uint32_t)nvm[1] << 16) &&
	       (rah & 0xffff) == nvm[2],
	       "e1000e RAL0/RAH0 0x%08x/0x%08x do not hold the NVM MAC %04x %04x %04x",
	       ral, rah, nvm[0], nvm[1], nvm[2]);
	EXPECT(rah & E1000_RAH_AV, "e1000e RAH0 0x%08x: address valid bit clear",
	       rah);
	return ST_PASS;
}

/*
 * A NIC left programmed by its holder comes back reset. RAL0 (receive
 * address 0, 0x5400 on the 82574 and the 82576) is loaded from the NVM by a
 * reset: a changed RAL0 that reads the NVM's value again shows the reset.
 */
struct nic_probe {
	const struct st_pci *p;
	uint32_t ral0;		/* the value a reset gives */
};

/* The NIC's RAL0, through BAR0 in sysfs (nobody holds it) */
static enum st_result unheld_ral0(const struct st_pci *p, uint32_t *ral0)
{
	volatile void *regs;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/resource0", p->bdf);
	fd = st_open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open %s", path);
	regs = st_mmap(fd, 0, E1000_RAL0 + 4);
	EXPECT(regs, "mmap %s: %s", path, strerror(errno));
	*ral0 = mmio_read32(regs, E1000_RAL0);
	st_munmap((void *)regs, E1000_RAL0 + 4);
	st_close(fd);
	return ST_PASS;
}

/*
 * CONF the NIC on fd and change RAL0: NULL, or what went wrong. With
 * learn, np->ral0 is first set to what RAL0 reads after CONF (a reset
 * device; sysfs reads of a device no driver has enabled give all ones on
 * platforms whose firmware leaves memory decoding off).
 */
static const char *nic_program(int fd, struct nic_probe *np, bool learn)
{
	volatile void *regs;
	at_desc d;

	if (at_conf(fd, np->p, &d))
		return "CONF failed";
	regs = st_mmap(fd, d.bars[0].addr, E1000_RAL0 + 4);
	if (!regs)
		return "BAR0 mmap failed";
	if (learn)
		np->ral0 = mmio_read32(regs, E1000_RAL0);
	mmio_write32(regs, E1000_RAL0, ~np->ral0);
	if (mmio_read32(regs, E1000_RAL0) != ~np->ral0)
		return "RAL0 does not read back what was written";
	st_munmap((void *)regs, E1000_RAL0 + 4);
	return NULL;
}

/* In the child of test_release_resets_function: the NIC, programmed */
static const char *hold_nic_programmed(void *arg)
{
	int fd = at_open();

	if (fd < 0)
		return "open " ATEMSYS_FILE_NAME " failed";
	return nic_program(fd, arg, false);
}

static enum st_result expect_reset(const struct nic_probe *np, const char *after)
{
	uint32_t ral0;

	EXPECT_PASS(unheld_ral0(np->p, &ral0));
	EXPECT(ral0 == np->ral0,
	       "%s RAL0 0x%08x after %s, not the NVM's 0x%08x: the function was not reset",
	       np->p->bdf, ral0, after, np->ral0);
	EXPECT(pci_bus_master(np->p) == 0 && pci_intx_disabled(np->p) == 1,
	       "%s command register after %s: bus master %d, INTx Disable %d; expected 0, 1",
	       np->p->bdf, after, pci_bus_master(np->p), pci_intx_disabled(np->p));
	return ST_PASS;
}

/*
 * PCI_RELEASE_DEVICE and a SIGKILLed holder leave the NIC reset, bus
 * mastering and INTx off. It needs a NIC whose function reset QEMU carries
 * out: the igb (82576) has FLR; the e1000e offers only a PM reset, which
 * QEMU does not act on.
 */
enum st_result test_release_resets_function(void)
{
	struct nic_probe np;
	struct st_pci igb;
	char why[128];
	const char *err;
	int fd, status;
	pid_t pid;

	if (pci_find_sysfs(NIC_VENDOR, IGB_DEVICE, 0, &igb))
		return st_skip("no igb (8086:%04x; QEMU -device igb): no NIC whose function reset QEMU carries out",
			       IGB_DEVICE);
	EXPECT(path_exists(PCI_SYSFS "/%s/reset", igb.bdf),
	       "igb %s has no reset in sysfs: the kernel found no function reset (FLR)",
	       igb.bdf);
	np.p = &igb;
	EXPECT_PASS(open_fd(&fd));
	err = nic_program(fd, &np, true);
	EXPECT(!err, "igb %s: %s", igb.bdf, err);
	EXPECT_OK(ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE), "RELEASE igb");
	EXPECT_PASS(expect_reset(&np, "PCI_RELEASE_DEVICE"));
	st_release_all();

	pid = st_fork_holder(hold_nic_programmed, &np, why, sizeof(why));
	EXPECT(pid > 0, "the child could not take the igb: %s", why);
	EXPECT_OK(kill(pid, SIGKILL), "kill the holder");
	EXPECT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	       "waitpid: the holder did not die of SIGKILL");
	return expect_reset(&np, "its holder was killed");
}

#define PCI_DRIVERS		"/sys/bus/pci/drivers"
#define ATEMSYS_PCI_DRIVER	"atemsys_pci"

static enum st_result pci_driver_body(void)
{
	char drv[64];
	struct edu e;
	at_desc d;
	int fd2;

	EXPECT_OK(write_sysfs(ATEMSYS_PCI_DRIVER, PCI_SYSFS "/%s/driver_override",
			      env.edu.bdf),
		  "write " ATEMSYS_PCI_DRIVER " to %s/driver_override", env.edu.bdf);
	if (write_sysfs(env.edu.bdf, "/sys/bus/pci/drivers_probe")) {
		int err = errno;
		char line[256] = "";

		klog_last_line(env.edu.bdf, line, sizeof(line));
		return st_fail("write %s to /sys/bus/pci/drivers_probe: %s (%s); last log line: %s",
			       env.edu.bdf, st_errname(err), strerror(err),
			       line[0] ? line : "none");
	}
	EXPECT(!pci_driver(&env.edu, drv, sizeof(drv)), "%s/driver: %s",
	       env.edu.bdf, strerror(errno));
	EXPECT(!strcmp(drv, ATEMSYS_PCI_DRIVER),
	       "%s/driver is \"%s\" after drivers_probe, expected " ATEMSYS_PCI_DRIVER,
	       env.edu.bdf, drv);

	/* CONF attaches the fd to the bound device; one fd at a time */
	EXPECT_PASS(edu_open(&e, true));
	EXPECT_PASS(check_conf_result(&env.edu, &e.desc));
	fd2 = at_open();
	if (fd2 < 0)
		return st_fail_ret(-1, errno, 0, "open a second fd");
	EXPECT_ERR(at_conf(fd2, &env.edu, &d), EBUSY,
		   "CONF on a second fd of the edu bound to " ATEMSYS_PCI_DRIVER);

	/* DMA on the real device, and its interrupt */
	EXPECT_PASS(edu_dma_roundtrip(&e, false));
	edu_write(&e, EDU_REG_IRQ_ACK, 0xffffffff);
	EXPECT_OK(at_connect(e.fd), "INT_CONNECT on the bound edu");
	EXPECT_PASS(edu_irq_roundtrip(&e, 0x1, 2000, NULL));
	EXPECT_OK(at_disconnect(e.fd), "INT_DISCONNECT");
	return ST_PASS;
}

enum st_result test_atemsys_pci_driver(void)
{
	enum st_result res = ST_PASS;
	char drv[64] = "", allowed[256];
	at_desc d;
	int fd;

	EXPECT_PASS(need_edu());
	if (!path_exists(PCI_DRIVERS "/" ATEMSYS_PCI_DRIVER)) {
		if (!read_sysfs_line(allowed, sizeof(allowed),
				     ATEMSYS_PARAM("AllowedPciDevices")) &&
		    !allowed[0])
			return st_skip("AllowedPciDevices is empty: the " ATEMSYS_PCI_DRIVER " driver is disabled");
		return st_fail(PCI_DRIVERS "/" ATEMSYS_PCI_DRIVER " does not exist");
	}
	EXPECT(!pci_driver(&env.edu, drv, sizeof(drv)), "%s/driver: %s",
	       env.edu.bdf, strerror(errno));
	EXPECT(!drv[0], "the edu is already bound to %s", drv);

	res = pci_driver_body();

	/* give the device back first: unbind waits for its fd */
	st_release_all();
	if (!pci_driver(&env.edu, drv, sizeof(drv)) && drv[0] &&
	    write_sysfs(env.edu.bdf, PCI_DRIVERS "/%s/unbind", drv) &&
	    res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "unbind %s from %s", env.edu.bdf,
				  drv);
	if (write_sysfs("\n", PCI_SYSFS "/%s/driver_override", env.edu.bdf) &&
	    res == ST_PASS)
		res = st_fail_ret(-1, errno, 0, "clear %s/driver_override",
				  env.edu.bdf);
	if (res != ST_PASS)
		return res;

	EXPECT(!pci_driver(&env.edu, drv, sizeof(drv)) && !drv[0],
	       "%s still bound to \"%s\" after unbind", env.edu.bdf, drv);
	/* the driver gave the regions back */
	EXPECT_PASS(open_fd(&fd));
	EXPECT_OK(at_conf(fd, &env.edu, &d), "CONF the edu after unbinding it");
	return ST_PASS;
}

#define PCI_RESCAN	"/sys/bus/pci/rescan"

struct held_edu {
	struct edu e;
	const struct st_pci *p;
};

/* In the child of test_hot_remove_waits: the second edu, BAR mapped, IRQ on */
static const char *hold_edu2(void *arg)
{
	struct held_edu *h = arg;
	int fd = at_open();

	if (fd < 0)
		return "open " ATEMSYS_FILE_NAME " failed";
	if (edu_attach_dev(&h->e, fd, h->p, true) != ST_PASS)
		return "CONF or BAR mmap failed";
	if (at_connect(fd))
		return "INT_CONNECT failed";
	return NULL;
}

/* In a child: echo 1 > <dev>/remove (it blocks while the device is held) */
static pid_t start_remove(const struct st_pci *p)
{
	pid_t pid = fork();

	if (!pid)
		_exit(write_sysfs("1", PCI_SYSFS "/%s/remove", p->bdf) ? 1 : 0);
	return pid;
}

static bool bdf_gone(void *arg)
{
	const struct st_pci *p = arg;

	return !pci_bdf_exists(p->domain, p->bus, p->dev, p->fn);
}

static bool bdf_back(void *arg)
{
	return !bdf_gone(arg);
}

/*
 * Hot-unplug of a held device (its sysfs remove: the PCI core's removal, as
 * pciehp's): the removal waits while a process holds the device mapped
 * with its interrupt on, also once the remover is SIGKILLed (going on
 * would free the device under the holder), and goes on once the holder
 * dies; a rescan brings the device back and the next process configures it.
 */
enum st_result test_hot_remove_waits(void)
{
	struct held_edu h = { .p = NULL };
	struct st_pci p2;
	char why[128];
	pid_t holder, remover;
	int status, fd;

	EXPECT_PASS(need_edu());
	if (pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, 1, &p2))
		return st_fail("needs a second edu (QEMU: -device edu,addr=6)");
	h.p = &p2;
	holder = st_fork_holder(hold_edu2, &h, why, sizeof(why));
	EXPECT(holder > 0, "the child could not take the second edu: %s", why);

	remover = start_remove(&p2);
	if (remover < 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		return st_fail("fork: %s", strerror(errno));
	}
	sleep_ms(1000);
	if (waitpid(remover, &status, WNOHANG) != 0 || bdf_gone(&p2)) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		if (waitpid(remover, NULL, 0) == remover && bdf_gone(&p2))
			(void)write_sysfs("1", PCI_RESCAN);
		return st_fail("the removal of %s went on while a process held it (mapped, IRQ connected)",
			       p2.bdf);
	}

	/* killed, the removal still waits: it must not go on under the holder */
	kill(remover, SIGKILL);
	sleep_ms(1000);
	if (waitpid(remover, &status, WNOHANG) != 0 || bdf_gone(&p2)) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		if (bdf_gone(&p2))
			(void)write_sysfs("1", PCI_RESCAN);
		return st_fail("the SIGKILLed removal of %s went on while a process held it",
			       p2.bdf);
	}

	EXPECT_OK(kill(holder, SIGKILL), "kill the holder");
	EXPECT(waitpid(holder, NULL, 0) == holder, "waitpid of the holder");
	EXPECT(waitpid(remover, &status, 0) == remover && WIFSIGNALED(status),
	       "the SIGKILLed echo 1 > %s/remove did not end once the holder died",
	       p2.bdf);
	EXPECT(poll_until(bdf_gone, &p2, 3000), "%s still there 3 s after its removal returned",
	       p2.bdf);

	EXPECT_OK(write_sysfs("1", PCI_RESCAN), "echo 1 > " PCI_RESCAN);
	EXPECT(poll_until(bdf_back, &p2, 3000), "%s not back 3 s after a rescan", p2.bdf);
	fd = at_open();
	if (fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	EXPECT_PASS(edu_attach_dev(&h.e, fd, &p2, true));
	EXPECT(edu_read(&h.e, EDU_REG_ID) >> 16 == 0x0100,
	       "edu identification reads 0x%08x after the rescan",
	       edu_read(&h.e, EDU_REG_ID));
	return ST_PASS;
}

#define PCI_SLOTS	"/sys/bus/pci/slots"
#define HOTPLUG_WAIT_MS	60000	/* pciehp's 5 s attention-button delay, under TCG */
#define HOTPLUG_POLL_MS	5	/* often: a step of the PCI core's hot-add is short */

/* Is @p in a hot-plug slot (ACPI or PCIe native: /sys/bus/pci/slots/<n>/address dddd:bb:dd)? */
static bool in_hotplug_slot(const struct st_pci *p)
{
	struct dirent *de;
	bool found = false;
	char addr[32];
	DIR *dir;

	dir = opendir(PCI_SLOTS);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = de->d_name[0] != '.' &&
			!read_sysfs_line(addr, sizeof(addr), PCI_SLOTS "/%s/address", de->d_name) &&
			strlen(p->bdf) == strlen(addr) + 2 && !strncmp(addr, p->bdf, strlen(addr));
	closedir(dir);
	return found;
}

/*
 * An edu in a hot-plug slot: 0 with the device and the address of the port
 * above it (the sysfs parent: ".../0000:00:08.0/0000:01:00.0"), by which
 * the host knows which device to unplug; -1 if there is none.
 */
static int hotplug_edu(struct st_pci *p, char *port, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;
	unsigned int k;

	for (k = 0; !pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, k, p); k++) {
		snprintf(path, sizeof(path), PCI_SYSFS "/%s", p->bdf);
		if (!in_hotplug_slot(p) || !realpath(path, real))
			continue;
		slash = strrchr(real, '/');
		if (!slash)
			continue;
		*slash = '\0';
		slash = strrchr(real, '/');
		if (slash && strlen(slash + 1) == strlen(p->bdf) && strlen(p->bdf) < len) {
			memcpy(port, slash + 1, strlen(p->bdf) + 1);
			return 0;
		}
	}
	return -1;
}

/*
 * The host's part (npx orchestrate smoke does it, over QMP): on this line
 * it unplugs ("device_del") or plugs back ("device_add") the profile's
 * hot-plug device behind the root port at @port.
 */
static void hotplug_ask(const char *what, const char *port)
{
	st_diag("atemsys-hotplug: %s %s", what, port);
}

/*
 * In the holder of test_hot_unplug_qmp, once the device is going away:
 * what the fd does now. NULL when it tells the holder as it should.
 */
static const char *unplugged_fd_errors(struct edu *e, void *dma)
{
	struct pollfd pfd = { .fd = e->fd, .events = POLLIN };
	void *more;

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLHUP))
		return "poll() did not report POLLHUP";
	more = mmap(NULL, (size_t)page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	if (more != MAP_FAILED || errno != ENODEV)
		return "mmap of a DMA buffer did not fail with ENODEV";
	if (edu_read(e, EDU_REG_ID) >> 16 != 0x0100)
		return "the BAR mapping no longer reads the edu's identification";
	if (munmap(dma, (size_t)page_size()) || munmap((void *)e->bar, (size_t)page_size()))
		return "munmap failed";
	if (ioctl(e->fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE) != 0)
		return "PCI_RELEASE_DEVICE failed after unmapping";
	return NULL;
}

/*
 * The holder: the edu configured, BAR and DMA buffer mapped, its interrupt
 * connected and seen once, then blocked in read() until the unplug wakes
 * it. Reports on @out, exits 0 if every call behaved.
 */
static void hotplug_holder(const struct st_pci *p, int out)
{
	const char *msg = "ready";
	struct edu e = { .fd = -1 };
	uint64_t bus;
	uint32_t n;
	void *dma;
	ssize_t r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	e.fd = at_open();
	if (e.fd < 0 || edu_attach_dev(&e, e.fd, p, true) != ST_PASS ||
	    edu_dma_buffer(&e, false, &dma, &bus) != ST_PASS || at_connect(e.fd) ||
	    edu_irq_roundtrip(&e, 0x10, 5000, NULL) != ST_PASS)
		msg = "could not configure, map, connect and see an interrupt";
	(void)!write(out, msg, strlen(msg) + 1);
	if (strcmp(msg, "ready"))
		_exit(1);

	r = read(e.fd, &n, sizeof(n));
	if (r >= 0 || errno != ENODEV)
		msg = r >= 0 ? "read() returned an interrupt count, not ENODEV" :
		      "read() failed, but not with ENODEV";
	else
		msg = unplugged_fd_errors(&e, dma);
	if (!msg)
		msg = "ok";
	(void)!write(out, msg, strlen(msg) + 1);
	close(e.fd);
	_exit(strcmp(msg, "ok") ? 1 : 0);
}

/* A NUL-terminated word from the holder within @ms, or "" */
static void holder_word(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = poll(&pfd, 1, ms) == 1 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Hot-unplug as the hardware does it: QEMU's device_del presses the slot's
 * attention button and pciehp removes the device (or, where the firmware
 * owns hot-plug, as on q35, ACPI notifies acpiphp, which removes it and
 * ejects the slot). A process holds it with BAR
 * and DMA buffer mapped and its interrupt connected, blocked in read(): it
 * is woken with ENODEV (poll POLLHUP, mmap ENODEV), its BAR mapping still
 * reads, it releases and closes, then the removal completes. device_add
 * plugs it back and the next process configures it and sees its interrupt.
 */
enum st_result test_hot_unplug_qmp(void)
{
	char port[64], word[128];
	struct st_pci p;
	struct edu e;
	int pipefd[2], status;
	pid_t holder;
	uint64_t t0;
	int ret;

	if (hotplug_edu(&p, port, sizeof(port)))
		return st_skip("no edu in a hot-plug slot (QEMU: -device pcie-root-port,id=hp,addr=8 -device edu,bus=hp; the board profile's qemu.hotplug)");
	EXPECT_OK(pipe(pipefd), "pipe");
	holder = fork();
	if (!holder) {
		close(pipefd[0]);
		hotplug_holder(&p, pipefd[1]);
	}
	close(pipefd[1]);
	EXPECT(holder > 0, "fork: %s", strerror(errno));
	holder_word(pipefd[0], word, sizeof(word), 10000);
	if (strcmp(word, "ready")) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		close(pipefd[0]);
		return st_fail("holder of %s: %s", p.bdf, word[0] ? word : "no word within 10 s");
	}

	hotplug_ask("unplug", port);
	holder_word(pipefd[0], word, sizeof(word), HOTPLUG_WAIT_MS);
	close(pipefd[0]);
	if (!word[0])
		kill(holder, SIGKILL);
	waitpid(holder, &status, 0);
	EXPECT(word[0], "the holder of %s was not woken within %d s of asking the host to unplug it (it must answer \"atemsys-hotplug: unplug %s\" with QMP device_del)",
	       p.bdf, HOTPLUG_WAIT_MS / 1000, port);
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "holder of %s, unplugged: %s",
	       p.bdf, word);
	EXPECT(poll_until(bdf_gone, &p, HOTPLUG_WAIT_MS),
	       "%s still there %d s after its holder closed", p.bdf, HOTPLUG_WAIT_MS / 1000);

	hotplug_ask("plug", port);
	EXPECT(poll_until(bdf_back, &p, HOTPLUG_WAIT_MS),
	       "%s not back %d s after asking the host to plug it behind %s", p.bdf,
	       HOTPLUG_WAIT_MS / 1000, port);
	e.fd = at_open();
	if (e.fd < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	/*
	 * The PCI core adds it in steps, and CONF says which one it is at:
	 * listed in sysfs before the bus lists it (ENODEV), then its BARs are
	 * assigned and it is set up (EAGAIN until it is released to drivers),
	 * then the drivers are tried on it under the device lock (EBUSY).
	 */
	t0 = now_ms();
	while ((ret = at_conf(e.fd, &p, &e.desc)) &&
	       (errno == ENODEV || errno == EAGAIN || errno == EBUSY) &&
	       now_ms() - t0 < 10000)
		sleep_ms(HOTPLUG_POLL_MS);
	if (ret)
		return st_fail_ret(ret, errno, 0, "CONF the plugged-back %s", p.bdf);
	EXPECT(e.desc.bar_count >= 1, "CONF of the plugged-back %s: bar_count %d, expected >= 1",
	       p.bdf, e.desc.bar_count);
	e.bar = st_mmap(e.fd, e.desc.bars[0].addr, (size_t)page_size());
	EXPECT(e.bar, "mmap BAR0 of the plugged-back %s at 0x%" PRIx64 ": %s", p.bdf,
	       (uint64_t)e.desc.bars[0].addr, strerror(errno));
	/* a config space restored from before the core wrote the BAR reads ~0 */
	EXPECT(edu_read(&e, EDU_REG_ID) >> 16 == 0x0100,
	       "BAR0 of the plugged-back %s does not read the edu's identification (0x%08x)",
	       p.bdf, edu_read(&e, EDU_REG_ID));
	/* the drivers may still be being tried on it */
	t0 = now_ms();
	while ((ret = at_connect(e.fd)) && errno == EBUSY && now_ms() - t0 < 10000)
		sleep_ms(HOTPLUG_POLL_MS);
	EXPECT_OK(ret, "INT_CONNECT on the plugged-back %s", p.bdf);
	if (edu_irq_roundtrip(&e, 0x20, 5000, NULL) != ST_PASS) {
		char state[512];
		unsigned int irq = 0;

		(void)at_irq(e.fd, &irq);
		pci_irq_state(&p, irq, state, sizeof(state));
		st_diag("%s: %s", p.bdf, state);
		return ST_FAIL;
	}
	return ST_PASS;
}

#define RACE_MS		3000

/*
 * One racer of test_unbind_rmmod_race: until @deadline (ms), open, CONF
 * the edu (bound to atemsys_pci or not, whichever it is now), map BAR0,
 * read, close. Exits 0; a crash shows as a signal.
 */
static void race_user(const struct st_pci *p, uint64_t deadline)
{
	size_t pg = (size_t)page_size();
	uint32_t n;
	at_desc d;
	void *bar;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (now_ms() < deadline) {
		fd = open(ATEMSYS_FILE_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		if (!at_conf(fd, p, &d)) {
			bar = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				   (off_t)d.bars[0].addr);
			/*
			 * No interrupt: MSI keeps devres on the device, and a
			 * bind while a driverless fd holds it fails with a
			 * critical "Resources present before probing" (the
			 * driver core refuses, rightly, but loudly). Connecting
			 * against a probe is covered by the device lock.
			 */
			(void)!read(fd, &n, sizeof(n));
			if (bar != MAP_FAILED)
				munmap(bar, pg);
		}
		close(fd);
	}
	_exit(0);
}

/* Reap @pid within @ms; else print its kernel stack and return false */
static bool racer_reaped(pid_t pid, int *status, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	char path[64], line[256];
	FILE *f;

	while (now_ms() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		sleep_ms(20);
	}
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		st_diag("racer pid %d: %s", (int)pid, line);
	}
	if (f)
		fclose(f);
	return false;
}

/*
 * Binding and unbinding the atemsys_pci driver, and rmmod, racing fds
 * that open, CONF, map, read and close the same edu: for 3 s two
 * children loop over that while the parent binds and unbinds the driver
 * and tries to unload the module (an fd stays open, so it must refuse).
 * Nothing may crash or warn (kernel_log_clean); afterwards the module is
 * loaded, no atemsys interrupt is left and the edu is configurable.
 */
enum st_result test_unbind_rmmod_race(void)
{
	unsigned int binds = 0, refused = 0, i;
	struct st_pci p2;
	pid_t users[2];
	uint64_t deadline;
	char drv[64];
	int guard, status;
	enum st_result res = ST_PASS;
	struct edu e;

	if (!path_exists(PCI_DRIVERS "/" ATEMSYS_PCI_DRIVER))
		return st_skip("no " ATEMSYS_PCI_DRIVER " driver (AllowedPciDevices is empty)");
	if (pci_find_sysfs(EDU_VENDOR, EDU_DEVICE, 1, &p2))
		return st_fail("needs a second edu (QEMU: -device edu,addr=6)");
	guard = at_open();
	if (guard < 0)
		return st_fail_ret(-1, errno, 0, "open " ATEMSYS_FILE_NAME);
	EXPECT_OK(write_sysfs(ATEMSYS_PCI_DRIVER, PCI_SYSFS "/%s/driver_override", p2.bdf),
		  "write " ATEMSYS_PCI_DRIVER " to %s/driver_override", p2.bdf);

	deadline = now_ms() + RACE_MS;
	for (i = 0; i < 2; i++) {
		users[i] = fork();
		if (!users[i])
			race_user(&p2, deadline);
	}
	while (now_ms() < deadline) {
		/* refused (quietly) while a racer holds it without the driver */
		if (!write_sysfs(p2.bdf, "/sys/bus/pci/drivers_probe"))
			binds++;
		sleep_ms(5);
		if (!pci_driver(&p2, drv, sizeof(drv)) && drv[0])
			(void)write_sysfs(p2.bdf, PCI_DRIVERS "/%s/unbind", drv);
		errno = 0;
		if (syscall(__NR_delete_module, "atemsys", O_NONBLOCK) == 0) {
			res = st_fail("delete_module succeeded with %s open", ATEMSYS_FILE_NAME);
			break;
		}
		if (errno != EWOULDBLOCK && errno != EBUSY) {
			res = st_fail_ret(-1, errno, 0, "delete_module with %s open: expected EWOULDBLOCK or EBUSY",
					  ATEMSYS_FILE_NAME);
			break;
		}
		refused++;
	}
	for (i = 0; i < 2; i++) {
		if (users[i] <= 0)
			continue;
		if (!racer_reaped(users[i], &status, 5000)) {
			if (res == ST_PASS)
				res = st_fail("racer %u (pid %d) still running 5 s after the race: stuck in the kernel (its stack above)",
					      i, (int)users[i]);
			kill(users[i], SIGKILL);
			waitpid(users[i], NULL, 0);
		} else if (!(WIFEXITED(status) && !WEXITSTATUS(status)) && res == ST_PASS) {
			res = st_fail("racer %u ended with status 0x%x (a signal: it crashed)", i, status);
		}
	}
	if (res != ST_PASS)
		return res;
	if (!pci_driver(&p2, drv, sizeof(drv)) && drv[0])
		(void)write_sysfs(p2.bdf, PCI_DRIVERS "/%s/unbind", drv);
	EXPECT_OK(write_sysfs("\n", PCI_SYSFS "/%s/driver_override", p2.bdf),
		  "clear %s/driver_override", p2.bdf);
	st_diag("%u binds, %u refused rmmods in %d ms", binds, refused, RACE_MS);
	EXPECT(binds > 0, "the driver never bound %s in %d ms", p2.bdf, RACE_MS);
	EXPECT(refused > 0, "no rmmod was tried in %d ms", RACE_MS);
	EXPECT(path_exists(ATEMSYS_SYSFS), "atemsys is no longer loaded");
	EXPECT(proc_interrupts_count("atemsys") == 0, "/proc/interrupts still names atemsys");
	EXPECT_PASS(edu_attach_dev(&e, guard, &p2, true));
	EXPECT(edu_read(&e, EDU_REG_ID) >> 16 == 0x0100, "edu identification reads 0x%08x after the race",
	       edu_read(&e, EDU_REG_ID));
	return ST_PASS;
}
