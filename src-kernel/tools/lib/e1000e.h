/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace driver for the Intel 82574L (QEMU's e1000e, 8086:10d3) on
 * atemsys: the NIC's registers mapped, one TX and one RX ring of legacy
 * descriptors in atemsys DMA memory, frames received by polling the RX ring
 * (what a cyclic EtherCAT master does) or by waiting for the NIC's interrupt
 * (MSI-X, MSI or INTx, whichever atemsys connected).
 *
 *	struct e1000e nic;
 *	struct e1000e_config cfg = E1000E_CONFIG_DEFAULT;
 *	atemsys_pci_parse("0000:00:04.0", &cfg.loc);
 *	if (e1000e_open(&nic, &cfg))
 *		fprintf(stderr, "%s\n", nic.err);
 *	e1000e_send(&nic, frame, len);
 *	n = e1000e_recv_wait(&nic, buf, sizeof(buf), 1000);   µs
 *	e1000e_close(&nic);
 *
 * Nothing is allocated after e1000e_open(): send and receive copy between
 * the caller's buffer and preallocated DMA buffers. One thread per NIC.
 * Errors: -1 with errno, and nic->err says what failed and how to fix it.
 */
#ifndef E1000E_H
#define E1000E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e1000e_regs.h"
#include "libatemsys.h"

#define E1000E_VENDOR		0x8086
#define E1000E_DEVICE		0x10d3

#define E1000E_FRAME_MIN	60	/* bytes without FCS; shorter frames are padded */
#define E1000E_FRAME_MAX	1514	/* bytes without FCS (no jumbo frames) */
#define E1000E_BUF_SIZE		2048	/* per descriptor */
#define E1000E_RING_MAX		4096

enum e1000e_irq_mode {
	E1000E_IRQ_NONE,	/* polling only */
	E1000E_IRQ_INTX,
	E1000E_IRQ_MSI,
	E1000E_IRQ_MSIX,
};

/**
 * struct e1000e_stats - counters since e1000e_open()
 * @tx_frames, @tx_bytes:   frames handed to the NIC (bytes before padding)
 * @tx_busy:                sends refused because the TX ring was full
 * @rx_frames, @rx_bytes:   frames delivered to the caller
 * @rx_dropped:             frames dropped here: longer than the caller's
 *                          buffer, or spread over several descriptors
 * @rx_errors:              frames the NIC marked bad (CRC, symbol, ...)
 * @irqs:                   interrupts counted by atemsys
 * @irq_waits:              sleeps in atemsys waiting for one
 * @irq_timeouts:           of those, that ended without one (a frame found
 *                          after such a sleep came without its interrupt)
 * @hw_*:                   the NIC's own statistics registers (datasheet
 *                          10.2.7), accumulated: good frames received and
 *                          sent, all frames received and sent, undersized,
 *                          oversized, missed (no buffer)
 */
struct e1000e_stats {
	uint64_t tx_frames, tx_bytes, tx_busy;
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_errors;
	uint64_t irqs, irq_waits, irq_timeouts;
	uint64_t hw_gprc, hw_gptc, hw_tpr, hw_tpt, hw_ruc, hw_roc, hw_mpc;
};

/**
 * struct e1000e_config - what e1000e_open() sets up
 * @loc:       the NIC (atemsys_pci_parse(), atemsys_pci_find())
 * @rx_count:  RX descriptors, a multiple of 8 from 8 to E1000E_RING_MAX
 * @tx_count:  TX descriptors, the same
 * @irq:       connect the NIC's interrupt (for e1000e_recv_wait() to sleep)
 * @link_timeout_ms: how long e1000e_open() waits for link up (0: not at all)
 */
struct e1000e_config {
	struct atemsys_pci_loc loc;
	unsigned int rx_count;
	unsigned int tx_count;
	bool irq;
	unsigned int link_timeout_ms;
};

#define E1000E_CONFIG_DEFAULT \
	{ .rx_count = 64, .tx_count = 64, .irq = false, .link_timeout_ms = 3000 }

/** struct e1000e - an open NIC; the fields are read-only for the caller */
struct e1000e {
	int fd;				/* /dev/atemsys, holds the NIC */
	char bdf[ATEMSYS_BDF_LEN];
	atemsys_pci_desc desc;
	volatile void *regs;		/* BAR0 */
	size_t regs_len;
	struct atemsys_dma dma;		/* rings and buffers */
	volatile struct e1000e_rx_desc *rx;
	volatile struct e1000e_tx_desc *tx;
	uint8_t *rx_buf, *tx_buf;
	uint64_t rx_buf_bus, tx_buf_bus;
	uint32_t rx_count, tx_count;
	uint32_t rx_next;		/* next RX descriptor to look at */
	uint32_t tx_next;		/* next TX descriptor to fill */
	uint32_t tx_clean;		/* oldest TX descriptor not seen done */
	uint8_t mac[6];			/* from RAL0/RAH0 (the NVM's) */
	enum e1000e_irq_mode irq_mode;
	uint32_t irq;			/* Linux IRQ number, 0 if none */
	struct e1000e_stats stats;
	char err[256];			/* the last failure, for the user */
};

/**
 * e1000e_open() - claim the NIC through atemsys and bring it up: reset,
 * interrupts masked, RX ring filled (promiscuous, broadcast, FCS stripped),
 * TX ring empty, both enabled, optionally the interrupt connected, then wait
 * up to cfg->link_timeout_ms for link.
 * Return: 0, or -1 with errno and nic->err: ENOENT (no /dev/atemsys: load
 * atemsys.ko), ENODEV (no such NIC, or not an 82574L), EBUSY (a kernel driver
 * or another process has it), ENOMEM (no DMA memory), ETIMEDOUT (no link).
 * On failure everything is released.
 */
int e1000e_open(struct e1000e *nic, const struct e1000e_config *cfg);

/**
 * e1000e_close() - stop the NIC (interrupts masked, RX and TX disabled,
 * reset) and release it: atemsys turns bus mastering off and frees the DMA
 * memory. Safe on a NIC whose open failed or that is closed already.
 */
void e1000e_close(struct e1000e *nic);

/**
 * e1000e_send() - queue one Ethernet frame (destination MAC onwards, no
 * FCS; 14 to E1000E_FRAME_MAX bytes; padded with zeros to 60) and hand it
 * to the NIC.
 * Return: 0, or -1 with errno: EMSGSIZE (length), EAGAIN (TX ring full).
 */
int e1000e_send(struct e1000e *nic, const void *frame, size_t len);

/**
 * e1000e_recv() - take the next received frame, if any, without waiting.
 * Return: its length in bytes (copied into @buf), 0 if none is there, or -1
 * with errno EMSGSIZE (longer than @cap: dropped, counted in rx_dropped).
 */
int e1000e_recv(struct e1000e *nic, void *buf, size_t cap);

/**
 * e1000e_recv_wait() - the next frame, waiting up to @timeout_us µs:
 * spinning on the RX ring, or sleeping in atemsys until the NIC's
 * interrupt if the NIC was opened with cfg.irq.
 * Return: the length, 0 on timeout, or -1 with errno (as e1000e_recv(), or
 * the interrupt wait's: EINTR).
 */
int e1000e_recv_wait(struct e1000e *nic, void *buf, size_t cap,
		     uint32_t timeout_us);

/** e1000e_link_up() - STATUS.LU; *@mbps receives the speed if non-NULL */
bool e1000e_link_up(struct e1000e *nic, unsigned int *mbps);

/** e1000e_update_stats() - fold the NIC's statistics registers into stats */
void e1000e_update_stats(struct e1000e *nic);

/** e1000e_irq_mode_name() - "none", "INTx", "MSI" or "MSI-X" */
const char *e1000e_irq_mode_name(enum e1000e_irq_mode mode);

#endif /* E1000E_H */
