// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt round trip on QEMU's edu: the measuring thread writes the
 * edu's "raise interrupt" register, sleeps until its interrupt wakes it in
 * userspace, and acknowledges it in the device (plus, for UIO, unmasks
 * INTx in config space, which uio_pci_generic leaves to userspace). One
 * sample is the time of that whole loop: what handling one interrupt costs.
 * Variants: atemsys MSI and INTx (its pci_irq_mode parameter), UIO INTx,
 * VFIO type1 MSI through an eventfd (boards with an IOMMU).
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"
#include "io.h"
#include "libatemsys.h"

#define GROUP		"irq"
#define WARMUP		10
#define WAIT_MS		1000
#define IRQ_MODE	"/sys/module/atemsys/parameters/pci_irq_mode"

struct variant {
	const char *id, *label, *baseline;
};

static const struct variant v_msi = { "atemsys-msi", "atemsys MSI (read)", "vfio-msi" };
static const struct variant v_intx = { "atemsys-intx", "atemsys INTx (read)", "uio-intx" };
static const struct variant v_uio = { "uio-intx", "uio_pci_generic INTx (read + config unmask)", NULL };
static const struct variant v_vfio = { "vfio-msi", "VFIO type1 MSI (eventfd)", NULL };

static int edu_bdf(char *bdf)
{
	struct atemsys_pci_loc loc;

	if (pci_find_id(EDU_VENDOR, EDU_DEVICE, 0, &loc))
		return -1;
	atemsys_pci_format(&loc, bdf, ATEMSYS_BDF_LEN);
	return 0;
}

/* One loop: raise, wait (@wait returns 1 on the interrupt), ack, extra */
static int loop(volatile void *bar, unsigned int n, struct samples *s,
		int (*wait)(void *ctx), int (*after)(void *ctx), void *ctx,
		char *err, size_t errlen)
{
	unsigned int i;

	reg_write32(bar, EDU_REG_IRQ_ACK, 0xffffffffu);
	for (i = 0; i < n + WARMUP; i++) {
		uint64_t t0 = now_ns();
		int r;

		reg_write32(bar, EDU_REG_IRQ_RAISE, 1);
		r = wait(ctx);
		reg_write32(bar, EDU_REG_IRQ_ACK, 1);
		if (after && after(ctx)) {
			snprintf(err, errlen, "unmask after interrupt %u: %s", i,
				 strerror(errno));
			return -1;
		}
		if (r <= 0) {
			snprintf(err, errlen, "interrupt %u: %s", i,
				 r ? strerror(errno) : "none within 1000 ms");
			return -1;
		}
		if (i >= WARMUP)
			samples_add(s, now_ns() - t0);
	}
	return 0;
}

static int atemsys_wait(void *ctx)
{
	uint32_t count;

	return atemsys_irq_wait(*(int *)ctx, WAIT_MS, &count);
}

static void run_atemsys(const struct bench_opts *o, const char *bdf,
			const char *mode, const struct variant *v)
{
	struct atemsys_pci_loc loc;
	atemsys_pci_desc desc;
	volatile void *bar = NULL;
	struct samples s = { 0 };
	char err[256] = "";
	cpu_set_t cpus;
	int fd = -1;

	CPU_ZERO(&cpus);
	CPU_SET(BENCH_CPU_MASTER, &cpus);
	if (write_file(IRQ_MODE, mode)) {
		bench_error(GROUP, v->id, v->label, "write %s to " IRQ_MODE ": %s",
			    mode, strerror(errno));
		return;
	}
	fd = atemsys_open();
	if (fd < 0 || atemsys_pci_parse(bdf, &loc) ||
	    atemsys_pci_conf(fd, &loc, &desc) ||
	    !(bar = atemsys_map_io(fd, desc.bars[0].addr, 4096)) ||
	    atemsys_irq_connect(fd, ATEMSYS_USE_PCI_INT)) {
		snprintf(err, sizeof(err), "open/CONF/map/INT_CONNECT %s: %s", bdf,
			 strerror(errno));
	} else {
		(void)atemsys_irq_affinity(fd, &cpus);
		if (samples_init(&s, o->irq_n) == 0)
			loop(bar, o->irq_n, &s, atemsys_wait, NULL, &fd, err,
			     sizeof(err));
	}
	if (bar)
		atemsys_unmap_io(bar, 4096);
	if (fd >= 0)
		close(fd);
	write_file(IRQ_MODE, "auto");
	if (err[0])
		bench_error(GROUP, v->id, v->label, "%s", err);
	else
		bench_row(GROUP, v->id, v->label, v->baseline, &s, NULL);
	samples_free(&s);
}

/* poll() @fd up to WAIT_MS, then read its @len-byte counter: 1, 0, -1 */
static int wait_counter(int fd, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t count;
	int r = poll(&p, 1, WAIT_MS);

	if (r <= 0)
		return r;
	return read(fd, &count, len) == (ssize_t)len ? 1 : -1;
}

static int uio_wait(void *ctx)
{
	/* uio: a 4-byte interrupt count */
	return wait_counter(((struct uio_dev *)ctx)->fd, sizeof(uint32_t));
}

static int uio_after(void *ctx)
{
	return uio_unmask(ctx);
}

static void run_uio(const struct bench_opts *o, const char *bdf)
{
	struct samples s = { 0 };
	char err[256] = "";
	struct uio_dev u;

	if (uio_open(&u, bdf, err, sizeof(err))) {
		if (errno == ENOENT)
			bench_skip(GROUP, v_uio.id, v_uio.label,
				   "uio_pci_generic is not in this guest (board modules-available)");
		else
			bench_error(GROUP, v_uio.id, v_uio.label, "%s", err);
		return;
	}
	pci_route_irqs(bdf, BENCH_CPU_MASTER);
	if (uio_unmask(&u))
		snprintf(err, sizeof(err), "unmask INTx of %s: %s", bdf,
			 strerror(errno));
	else if (!samples_init(&s, o->irq_n))
		loop(u.bar, o->irq_n, &s, uio_wait, uio_after, &u, err,
		     sizeof(err));
	uio_close(&u);
	if (err[0])
		bench_error(GROUP, v_uio.id, v_uio.label, "%s", err);
	else
		bench_row(GROUP, v_uio.id, v_uio.label, NULL, &s, NULL);
	samples_free(&s);
}

static int vfio_wait(void *ctx)
{
	/* eventfd: an 8-byte counter */
	return wait_counter(((struct vfio_dev *)ctx)->efd, sizeof(uint64_t));
}

static void run_vfio(const struct bench_opts *o, const char *bdf)
{
	struct samples s = { 0 };
	char err[256] = "";
	struct vfio_dev v;

	if (vfio_open(&v, bdf, true, err, sizeof(err))) {
		if (!v.bdf[0] || errno == ENOENT)
			bench_skip(GROUP, v_vfio.id, v_vfio.label, err);
		else
			bench_error(GROUP, v_vfio.id, v_vfio.label, "%s", err);
		return;
	}
	pci_route_irqs(bdf, BENCH_CPU_MASTER);
	if (!samples_init(&s, o->irq_n))
		loop(v.bar, o->irq_n, &s, vfio_wait, NULL, &v, err, sizeof(err));
	vfio_close(&v);
	if (err[0])
		bench_error(GROUP, v_vfio.id, v_vfio.label, "%s", err);
	else
		bench_row(GROUP, v_vfio.id, v_vfio.label, NULL, &s, NULL);
	samples_free(&s);
}

void bench_irq(const struct bench_opts *o)
{
	char bdf[ATEMSYS_BDF_LEN];

	bench_group(GROUP, "interrupt round trip on edu: raise, wake in userspace, acknowledge",
		    "p50");
	if (edu_bdf(bdf)) {
		bench_error(GROUP, v_msi.id, v_msi.label,
			    "no edu (1234:11e8): QEMU needs -device edu");
		return;
	}
	if (rt_setup(BENCH_CPU_MASTER, BENCH_PRIO))
		bench_note("CPU %d / SCHED_FIFO %d: %s", BENCH_CPU_MASTER,
			   BENCH_PRIO, strerror(errno));
	run_uio(o, bdf);
	run_vfio(o, bdf);
	run_atemsys(o, bdf, "intx", &v_intx);
	run_atemsys(o, bdf, "msi", &v_msi);
}
