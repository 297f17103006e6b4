/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's "edu" teaching device (docs/specs/edu.rst): registers, DMA engine
 * and interrupt, driven through an atemsys fd.
 */
#ifndef ST_EDU_H
#define ST_EDU_H

#include <stdbool.h>
#include <stdint.h>

#include "ktap.h"
#include "pci.h"
#include "sys.h"

#define EDU_BAR_SIZE		0x100000u	/* BAR0: 1 MiB MMIO */
#define EDU_ID_VALUE		0x010000edu

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04	/* reads ~written */
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define  EDU_STATUS_COMPUTING	0x01
#define  EDU_STATUS_IRQFACT	0x80
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		0x01
#define  EDU_DMA_TO_RAM		0x02	/* direction: device -> RAM */
#define  EDU_DMA_IRQ		0x04

/*
 * The device's DMA buffer. Older QEMUs reject a transfer that ends exactly
 * at its end, so transfers here stay strictly inside it.
 */
#define EDU_DMA_BASE		0x40000u
#define EDU_DMA_SIZE		0x1000u

#define EDU_DMA_TIMEOUT_MS	5000u	/* QEMU runs a DMA after 100 ms */

/* An fd with the edu configured and, optionally, its BAR mapped */
struct edu {
	int fd;
	at_desc desc;
	volatile void *bar;	/* first page of BAR0, or NULL */
};

/* open /dev/atemsys, CONF the edu, map the first page of BAR0 */
enum st_result edu_open(struct edu *e, bool map_bar);
/* CONF the edu on an open fd and map the first page of BAR0 */
enum st_result edu_attach(struct edu *e, int fd, bool map_bar);
/* The same for a given edu (there may be several) */
enum st_result edu_attach_dev(struct edu *e, int fd, const struct st_pci *p,
			      bool map_bar);

static inline uint32_t edu_read(const struct edu *e, unsigned int reg)
{
	return mmio_read32(e->bar, reg);
}

static inline void edu_write(const struct edu *e, unsigned int reg,
			     uint32_t val)
{
	mmio_write32(e->bar, reg, val);
}

/* One DMA transfer, waited for; dev is an address in the edu's buffer */
enum st_result edu_dma(const struct edu *e, uint64_t bus_addr, uint32_t dev,
		       uint32_t count, bool to_ram);

/*
 * mmap a DMA buffer (offset 0) on the fd and read its bus address: 4 bytes,
 * or 8 (low, high) if the fd declared API >= 1.4.15.
 */
enum st_result edu_dma_buffer(const struct edu *e, bool api64, void **buf,
			      uint64_t *bus_addr);

/* RAM -> device -> RAM through the edu, checked byte for byte */
enum st_result edu_dma_roundtrip(const struct edu *e, bool api64);

/* Raise an interrupt and read() it back within timeout_ms: count >= 1 */
enum st_result edu_irq_roundtrip(const struct edu *e, uint32_t val,
				 unsigned int timeout_ms, uint32_t *count);

/* A seed that differs between runs, so stale buffers cannot pass a test */
uint32_t st_seed(void);

#endif /* ST_EDU_H */
