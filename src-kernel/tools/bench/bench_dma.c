// SPDX-License-Identifier: GPL-2.0
/*
 * What one DMA buffer costs to get: allocated, mapped into the process and
 * its bus address known. atemsys: mmap(offset 0) on an fd holding the edu
 * (so the buffer is the device's, IOMMU-mapped where there is one); VFIO:
 * anonymous memory, populated, then VFIO_IOMMU_MAP_DMA; and plain locked
 * anonymous memory as the floor (not usable for DMA without an IOMMU).
 * atemsys frees its buffers only when the device is released (never while
 * the device may write to them), so the memory of a size's run is given
 * back by closing the fd after it.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"
#include "libatemsys.h"

#define GROUP		"dma"
#define VFIO_IOVA	0x10000000ull

static int edu_loc(struct atemsys_pci_loc *loc, char *bdf)
{
	if (pci_find_id(EDU_VENDOR, EDU_DEVICE, 0, loc))
		return -1;
	atemsys_pci_format(loc, bdf, ATEMSYS_BDF_LEN);
	return 0;
}

static void run_atemsys(const struct bench_opts *o, size_t size,
			const char *id, const char *label, const char *baseline)
{
	unsigned int n = size >= (1u << 20) ? o->dma_n / 4 : o->dma_n, i;
	char bdf[ATEMSYS_BDF_LEN], err[256] = "";
	struct atemsys_pci_loc loc;
	atemsys_pci_desc desc;
	struct samples s;
	int fd;

	if (edu_loc(&loc, bdf)) {
		bench_error(GROUP, id, label, "no edu (1234:11e8)");
		return;
	}
	if (samples_init(&s, n))
		return;
	fd = atemsys_open();
	if (fd < 0 || atemsys_pci_conf(fd, &loc, &desc)) {
		snprintf(err, sizeof(err), "open/CONF %s: %s", bdf, strerror(errno));
	} else {
		for (i = 0; i < n; i++) {
			struct atemsys_dma d;
			uint64_t t0 = now_ns();

			if (atemsys_dma_alloc(fd, size, &d)) {
				snprintf(err, sizeof(err),
					 "buffer %u of %zu bytes: %s", i, size,
					 strerror(errno));
				break;
			}
			samples_add(&s, now_ns() - t0);
			if (!d.bus)
				snprintf(err, sizeof(err), "buffer %u: bus address 0", i);
			atemsys_dma_free(&d);
		}
	}
	if (fd >= 0)
		close(fd);
	if (err[0])
		bench_error(GROUP, id, label, "%s", err);
	else
		bench_row(GROUP, id, label, baseline, &s, NULL);
	samples_free(&s);
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void run_anon(const struct bench_opts *o, size_t size)
{
	const char *id = "anon-64k", *label = "anonymous mmap, populated and locked (no DMA: the floor)";
	struct samples s;
	unsigned int i;

	if (samples_init(&s, o->dma_n))
		return;
	for (i = 0; i < o->dma_n; i++) {
		uint64_t t0 = now_ns();
		void *p = anon(size);

		if (!p) {
			bench_error(GROUP, id, label, "mmap of %zu bytes: %s", size,
				    strerror(errno));
			samples_free(&s);
			return;
		}
		samples_add(&s, now_ns() - t0);
		munmap(p, size);
	}
	bench_row(GROUP, id, label, NULL, &s, NULL);
	samples_free(&s);
}

/* Returns true if it measured (and so is the baseline) */
static bool run_vfio(const struct bench_opts *o, size_t size)
{
	const char *id = "vfio-64k", *label = "VFIO: anonymous mmap + VFIO_IOMMU_MAP_DMA";
	struct atemsys_pci_loc loc;
	char bdf[ATEMSYS_BDF_LEN], err[256] = "";
	struct vfio_dev v;
	struct samples s;
	unsigned int i;

	if (edu_loc(&loc, bdf) || samples_init(&s, o->dma_n))
		return false;
	if (vfio_open(&v, bdf, false, err, sizeof(err))) {
		if (!v.bdf[0] || errno == ENOENT)
			bench_skip(GROUP, id, label, err);
		else
			bench_error(GROUP, id, label, "%s", err);
		samples_free(&s);
		return false;
	}
	for (i = 0; i < o->dma_n && !err[0]; i++) {
		uint64_t t0 = now_ns();
		void *p = anon(size);

		if (!p || vfio_map_dma(&v, p, size, VFIO_IOVA)) {
			snprintf(err, sizeof(err), "buffer %u: %s", i, strerror(errno));
		} else {
			samples_add(&s, now_ns() - t0);
			vfio_unmap_dma(&v, size, VFIO_IOVA);
		}
		if (p)
			munmap(p, size);
	}
	vfio_close(&v);
	if (err[0])
		bench_error(GROUP, id, label, "%s", err);
	else
		bench_row(GROUP, id, label, NULL, &s, NULL);
	samples_free(&s);
	return !err[0];
}

void bench_dma(const struct bench_opts *o)
{
	bool vfio;

	bench_group(GROUP, "DMA buffer: allocate, map into the process, know its bus address",
		    "p50");
	run_anon(o, 64 << 10);
	vfio = run_vfio(o, 64 << 10);
	run_atemsys(o, 4 << 10, "atemsys-4k", "atemsys mmap(offset 0), 4 KiB", NULL);
	run_atemsys(o, 64 << 10, "atemsys-64k", "atemsys mmap(offset 0), 64 KiB",
		    vfio ? "vfio-64k" : "anon-64k");
	run_atemsys(o, 1 << 20, "atemsys-1m", "atemsys mmap(offset 0), 1 MiB", NULL);
}
