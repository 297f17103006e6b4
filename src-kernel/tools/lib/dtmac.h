/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace drivers for device-tree MACs on atemsys: the i.MX FEC/ENET
 * (atemsys-Ident "FslFec", fec.c) and the Cadence GEM ("GEM", gem.c).
 *
 * What they share is here: the node bound with GET_MAC_INFO, its "reg"
 * range mapped, one DMA buffer on the MAC's device for both descriptor
 * rings and their frame buffers, the PHY that Linux phylib manages through
 * atemsys' MDIO proxy (this driver serves phylib's MDIO orders through the
 * MAC's management port, and reads link, speed and duplex back with
 * GET_PHY_INFO), and the MAC's interrupt (INT_CONNECT(index)).
 *
 *	struct dtmac m;
 *	struct dtmac_config cfg = DTMAC_CONFIG_DEFAULT;
 *	cfg.ident = "FslFec"; cfg.instance = 1;
 *	if (dtmac_open(&m, &cfg))
 *		fprintf(stderr, "%s\n", m.err);
 *	dtmac_send(&m, frame, len);
 *	n = dtmac_recv_wait(&m, buf, sizeof(buf), 1000);     µs
 *	dtmac_close(&m);
 *
 * phylib's MDIO orders are served from dtmac_send(), dtmac_recv() and
 * dtmac_recv_wait() (at most every DTMAC_SERVICE_NS), so a user must call
 * one of them, or dtmac_service(), more often than the module's
 * mdio_timeout_ms (default 1000 ms); phylib polls the PHY once a second.
 * Nothing is allocated after dtmac_open(). One thread per MAC. Errors: -1
 * with errno, and m->err says what failed and how to fix it.
 */
#ifndef DTMAC_H
#define DTMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libatemsys.h"

#define DTMAC_FRAME_MIN		60	/* bytes without FCS; shorter is padded */
#define DTMAC_FRAME_MAX		1514	/* bytes without FCS (no jumbo frames) */
#define DTMAC_BUF_SIZE		2048	/* per descriptor */
#define DTMAC_RING_MAX		512
#define DTMAC_SERVICE_NS	500000u	/* MDIO orders looked for at most this often */
#define DTMAC_IRQ_SLICE_MS	20	/* an interrupt sleep is cut into these */

/**
 * struct dtmac_stats - counters since dtmac_open()
 * @tx_frames, @tx_bytes:   frames handed to the MAC (bytes before padding)
 * @tx_busy:                sends refused: TX ring full
 * @rx_frames, @rx_bytes:   frames delivered to the caller
 * @rx_dropped:             frames dropped here (longer than the caller's
 *                          buffer, or over several descriptors)
 * @rx_errors:              frames the MAC marked bad
 * @rx_restarts:            the MAC's RX had stopped on a full ring
 * @rx_stale:               frames waiting when RX came on, dropped
 * @irqs, @irq_waits, @irq_timeouts: as in e1000e.h
 * @mdio_orders:            phylib MDIO orders served
 */
struct dtmac_stats {
	uint64_t tx_frames, tx_bytes, tx_busy;
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_errors, rx_restarts;
	uint64_t rx_stale;
	uint64_t irqs, irq_waits, irq_timeouts;
	uint64_t mdio_orders;
};

/**
 * struct dtmac_config - what dtmac_open() sets up
 * @ident, @instance: the node's atemsys-Ident and atemsys-Instance
 * @rx_count, @tx_count: descriptors, 4 to DTMAC_RING_MAX each
 * @irq:       connect the node's interrupt @irq_index (dtmac_recv_wait()
 *             then sleeps until a frame comes instead of spinning)
 * @link_timeout_ms: how long dtmac_open() waits for phylib to report link
 *             (0: not at all)
 */
struct dtmac_config {
	const char *ident;
	uint32_t instance;
	unsigned int rx_count;
	unsigned int tx_count;
	bool irq;
	uint32_t irq_index;
	unsigned int link_timeout_ms;
};

#define DTMAC_CONFIG_DEFAULT \
	{ .rx_count = 64, .tx_count = 64, .link_timeout_ms = 10000 }

struct dtmac;

/*
 * One kind of MAC. Rings are arrays of 8-byte descriptors in m->dma, one
 * DTMAC_BUF_SIZE buffer each; dtmac.c keeps the ring indexes and copies
 * frames, the MAC's code knows the descriptors' format and its registers.
 */
struct dtmac_ops {
	const char *ident;	/* atemsys-Ident */
	const char *name;	/* "i.MX FEC", "Cadence GEM" */
	/* the station address the MAC has now (left by firmware or QEMU) */
	void (*mac_get)(struct dtmac *m, uint8_t mac[6]);
	/* reset and start: rings, address, speed/duplex; RX interrupt unmasked */
	int (*start)(struct dtmac *m);
	/* stop RX and TX, mask interrupts, reset */
	void (*stop)(struct dtmac *m);
	/* has the MAC sent TX descriptor i? */
	bool (*tx_done)(struct dtmac *m, uint32_t i);
	/* TX descriptor i to the MAC (its buffer holds @wire bytes), TX started */
	void (*tx_hand)(struct dtmac *m, uint32_t i, size_t wire);
	/* RX descriptor i: 0 still the MAC's, 1 a frame of *len bytes, -1 a bad one */
	int (*rx_frame)(struct dtmac *m, uint32_t i, uint16_t *len);
	/* RX descriptor i back to the MAC (RX restarted if it stopped) */
	void (*rx_refill)(struct dtmac *m, uint32_t i);
	/* clear the RX event before sleeping for the next one */
	void (*irq_ack)(struct dtmac *m);
	/* a Clause 22 MDIO frame: start it; is it over (then *val) */
	void (*mdio_start)(struct dtmac *m, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val);
	bool (*mdio_done)(struct dtmac *m, uint16_t *val);
};

/** struct dtmac - an open MAC; the fields are read-only for the caller */
struct dtmac {
	int fd;				/* /dev/atemsys, holds the node */
	const struct dtmac_ops *ops;
	struct atemsys_mac_info mi;	/* GET_MAC_INFO's answer */
	char name[48];			/* "FslFec:1 (i.MX FEC at 0x30be0000)" */
	volatile void *regs;		/* the node's first reg range */
	size_t regs_len;
	struct atemsys_dma dma;		/* rings and buffers */
	volatile void *rx_ring, *tx_ring;
	uint8_t *rx_buf, *tx_buf;
	uint32_t rx_buf_bus, tx_buf_bus, rx_ring_bus, tx_ring_bus;
	uint32_t rx_count, tx_count;
	uint32_t rx_next, tx_next, tx_clean;
	uint8_t mac[6];
	bool phy;			/* a PHY started through the proxy */
	unsigned int speed;		/* Mbit/s at start, 0 unknown */
	bool full_duplex;
	uint32_t irq;			/* Linux IRQ number, 0 if none */
	uint64_t next_service_ns;
	struct dtmac_stats stats;
	char err[256];
};

/**
 * dtmac_open() - bind the node (GET_MAC_INFO), map its registers, start
 * its PHY through the MDIO proxy and wait for link, then reset and start
 * the MAC: RX ring full, TX ring empty, every frame received (promiscuous),
 * optionally the interrupt connected.
 * Return: 0, or -1 with errno and m->err: ENOENT (no /dev/atemsys, or no
 * node with that Ident and Instance), EBUSY (another process holds it),
 * EOPNOTSUPP (no driver here for that Ident, or a kernel without DT
 * mode), ENOMEM (no DMA memory), ETIMEDOUT (no link). On failure
 * everything is released.
 */
int dtmac_open(struct dtmac *m, const struct dtmac_config *cfg);

/**
 * dtmac_close() - stop the MAC, stop the PHY, release the node (atemsys
 * frees the DMA memory, masks the interrupt and pulses the node's resets).
 * Safe on a MAC whose open failed or that is closed already.
 */
void dtmac_close(struct dtmac *m);

/**
 * dtmac_send() - queue one frame (14 to DTMAC_FRAME_MAX bytes, no FCS;
 * padded to 60). Return: 0, or -1 with errno EMSGSIZE or EAGAIN (ring full).
 */
int dtmac_send(struct dtmac *m, const void *frame, size_t len);

/**
 * dtmac_recv() - the next received frame, without waiting: its length,
 * 0 if none, -1 with errno EMSGSIZE (longer than @cap: dropped).
 */
int dtmac_recv(struct dtmac *m, void *buf, size_t cap);

/**
 * dtmac_recv_wait() - the next frame within @timeout_us µs, spinning or
 * (opened with cfg.irq) sleeping on the interrupt. Serves MDIO orders.
 * Return: the length, 0 on timeout, -1 with errno.
 */
int dtmac_recv_wait(struct dtmac *m, void *buf, size_t cap,
		    uint32_t timeout_us);

/**
 * dtmac_service() - serve phylib's pending MDIO order, if any (only every
 * DTMAC_SERVICE_NS unless @now). Return: 0, or -1 with errno (the fd).
 */
int dtmac_service(struct dtmac *m, bool now);

/**
 * dtmac_link() - the link as phylib last saw it (GET_PHY_INFO): 1 up,
 * 0 down; 1 for a MAC without a PHY (fixed link). *@mbps gets the speed.
 */
int dtmac_link(struct dtmac *m, unsigned int *mbps);

/* For the MACs' code: the ops by Ident, NULL if there is no driver */
const struct dtmac_ops *dtmac_ops_find(const char *ident);
extern const struct dtmac_ops dtmac_fec_ops;
extern const struct dtmac_ops dtmac_gem_ops;

#endif /* DTMAC_H */
