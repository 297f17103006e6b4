/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atemsys-bench: latency of atemsys against the kernel's other ways to the
 * same hardware, measured side by side in one guest boot. Each measurement
 * prints one protocol line that `npx orchestrate bench` reads from the
 * serial console (one write() per line, so kernel messages cannot split it):
 *
 *   ATEMSYS-BENCH-BEGIN {"format":1,"kernel":..,"machine":..,"cpus":..,"quick":..}
 *   ATEMSYS-BENCH-GROUP {"group":"irq","title":"..","stat":"p50"}
 *   ATEMSYS-BENCH {"group":"irq","variant":"atemsys-msi","label":"..",
 *                  "baseline":"vfio-msi", <stats of timing.h>, <extra>}
 *   ATEMSYS-BENCH {"group":..,"variant":..,"label":..,"skipped":"why"}
 *   ATEMSYS-BENCH {"group":..,"variant":..,"label":..,"error":"what failed"}
 *   ATEMSYS-BENCH-END {"ok":true|false}
 *
 * "baseline" names the variant of the same group the row is compared
 * with; "stat" which statistic the comparison uses. Times are µs.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timing.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
/* QEMU docs/specs/edu.rst */
#define EDU_REG_ID		0x00
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_ID_VALUE		0x010000edu

#define BENCH_CPU_MASTER	0	/* the measuring thread and the IRQs */
#define BENCH_CPU_PEER		1	/* the slave simulator */
#define BENCH_PRIO		80

/**
 * struct bench_opts - how much to measure
 * @quick:     a functional run (make test): few samples
 * @irq_n:     interrupt round trips per variant
 * @rtt_n:     LRW round trips per variant
 * @cycle_n:   cycles per cyclic run
 * @dma_n:     DMA allocations per size (scaled down for big sizes)
 */
struct bench_opts {
	bool quick;
	unsigned int irq_n;
	unsigned int rtt_n;
	unsigned int cycle_n;
	unsigned int dma_n;
};

/* Protocol lines (bench main.c); each returns nothing and never fails */
void bench_group(const char *group, const char *title, const char *stat);
void bench_row(const char *group, const char *variant, const char *label,
	       const char *baseline, struct samples *s, const char *extra);
void bench_skip(const char *group, const char *variant, const char *label,
		const char *reason);
void bench_error(const char *group, const char *variant, const char *label,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* progress on stderr (kept out of the protocol) */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The groups; each prints its GROUP line and its rows */
void bench_irq(const struct bench_opts *o);
void bench_dma(const struct bench_opts *o);
void bench_ecat(const struct bench_opts *o);

/* Baselines through other kernel interfaces (uio.c, vfio.c) */
struct uio_dev {
	char bdf[16];
	int fd;			/* /dev/uioN */
	int cfg;		/* sysfs config */
	volatile void *bar;	/* sysfs resource0, first page */
	size_t bar_len;
};
int uio_open(struct uio_dev *u, const char *bdf, char *err, size_t errlen);
/* clear the command register's Interrupt Disable bit: INTx on again */
int uio_unmask(struct uio_dev *u);
void uio_close(struct uio_dev *u);

struct vfio_dev {
	char bdf[16];
	int container, group, dev;
	int efd;		/* MSI eventfd */
	volatile void *bar;
	size_t bar_len;
	uint64_t cfg_off;	/* config region offset */
};
/* @msi: connect MSI vector 0 to an eventfd */
int vfio_open(struct vfio_dev *v, const char *bdf, bool msi, char *err,
	      size_t errlen);
/* VFIO_IOMMU_MAP_DMA of [vaddr, +len) at @iova, and the unmap */
int vfio_map_dma(struct vfio_dev *v, void *vaddr, size_t len, uint64_t iova);
int vfio_unmap_dma(struct vfio_dev *v, size_t len, uint64_t iova);
void vfio_close(struct vfio_dev *v);

#endif /* BENCH_H */
