// SPDX-License-Identifier: GPL-2.0
/*
 * The Cadence GEM MAC (atemsys-Ident "GEM": Zynq-7000, ZynqMP) in
 * userspace; see dtmac.h.
 *
 * Registers and descriptors from the Zynq UltraScale+ Device TRM (UG1085),
 * chapter "Gigabit Ethernet Controller", and its register reference:
 * 32-bit descriptors of two words (DMACFG.ADDR64 and the extended-descriptor
 * bits clear), RX buffers of DMACFG.RXBS x 64 bytes (one frame each), the
 * FCS removed by the MAC (NWCFG.FCSREM), TX frames padded here to 60 bytes
 * and their FCS added by the MAC. Transmission starts with NWCTRL.TSTART
 * after descriptors are handed over and stops at the first descriptor whose
 * USED bit is set (every TX descriptor starts that way). Every queue but
 * queue 0 is parked on a descriptor that software owns, so that neither
 * the receive nor the transmit DMA ever walks an unset queue pointer.
 *
 * Facts about QEMU's model (hw/net/cadence_gem.c on xlnx-zcu102) that the
 * TRM does not promise: ISR always clears on read (DCFG1.IRQCOR is honoured
 * here for real silicon), an event that occurs masked is lost, and RX stops
 * for good on a full ring until NWCTRL is written with RE set.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dtmac.h"
#include "io.h"

#define GEM_NWCTRL		0x000	/* network control */
#define  GEM_NWCTRL_RE		(1u << 2)
#define  GEM_NWCTRL_TE		(1u << 3)
#define  GEM_NWCTRL_MDEN	(1u << 4)	/* management port enable */
#define  GEM_NWCTRL_TSTART	(1u << 9)
#define GEM_NWCFG		0x004	/* network configuration */
#define  GEM_NWCFG_SPD100	(1u << 0)
#define  GEM_NWCFG_FD		(1u << 1)
#define  GEM_NWCFG_CAF		(1u << 4)	/* copy all frames */
#define  GEM_NWCFG_GIGE		(1u << 10)
#define  GEM_NWCFG_FCSREM	(1u << 17)
#define  GEM_NWCFG_MDC_DIV224	(7u << 18)	/* MDC <= 2.5 MHz up to 560 MHz */
#define  GEM_NWCFG_DBW(n)	((uint32_t)(n) << 21)
#define GEM_NWSR		0x008	/* network status */
#define  GEM_NWSR_MDIO_IDLE	(1u << 2)
#define GEM_DMACFG		0x010	/* DMA configuration */
#define  GEM_DMACFG_ENDIA_DESC	(1u << 6)	/* big-endian descriptors */
#define  GEM_DMACFG_ENDIA_PKT	(1u << 7)
#define  GEM_DMACFG_RXBS(n)	((uint32_t)(n) << 16)	/* x 64 bytes */
#define  GEM_DMACFG_RXBS_MASK	(0xffu << 16)
#define  GEM_DMACFG_RXEXT	(1u << 28)
#define  GEM_DMACFG_TXEXT	(1u << 29)
#define  GEM_DMACFG_ADDR64	(1u << 30)
#define GEM_TSR			0x014	/* transmit status, write 1 to clear */
#define GEM_RXQBASE		0x018
#define GEM_TXQBASE		0x01c
#define GEM_RSR			0x020	/* receive status, write 1 to clear */
#define  GEM_RSR_BNA		(1u << 0)	/* buffer not available */
#define GEM_ISR			0x024	/* interrupt status */
#define GEM_IER			0x028
#define GEM_IDR			0x02c
#define  GEM_INT_RCOMP		(1u << 1)	/* frame received */
#define GEM_PHYMNTNC		0x034	/* PHY maintenance */
#define  GEM_PHYMNTNC_C22	(1u << 30)
#define  GEM_PHYMNTNC_WRITE	(1u << 28)
#define  GEM_PHYMNTNC_READ	(2u << 28)
#define  GEM_PHYMNTNC_TA	(2u << 16)
#define GEM_SPADDR1L		0x088	/* MAC address bytes 0-3, byte 0 low */
#define GEM_SPADDR1H		0x08c	/* bytes 4-5; writing it enables the match */
#define GEM_DCFG1		0x280	/* design configuration 1 */
#define  GEM_DCFG1_IRQCOR	(1u << 23)	/* ISR clears on read */
#define  GEM_DCFG1_DBWDEF(v)	(((v) >> 25) & 7u)	/* 1: 32, 2: 64, 4: 128 bit */
#define GEM_DCFG6		0x294
#define  GEM_DCFG6_QUEUES	0xfeu		/* bits 1-7: queues 1-7 exist */
#define GEM_TXQ1BASE		0x440	/* queue n at + 4 * (n - 1) */
#define GEM_RXQ1BASE		0x480

/* Descriptor words */
#define RXD_USED		(1u << 0)	/* word 0: software owns it */
#define RXD_WRAP		(1u << 1)
#define RXD_ADDR_MASK		0xfffffffcu
#define RXD_LEN_MASK		0x1fffu		/* word 1 */
#define RXD_SOF			(1u << 14)
#define RXD_EOF			(1u << 15)
#define TXD_LAST		(1u << 15)	/* word 1 */
#define TXD_WRAP		(1u << 30)
#define TXD_USED		(1u << 31)

#define GEM_QUEUES_MAX		8

static inline uint32_t rd(struct dtmac *m, unsigned int reg)
{
	return reg_read32(m->regs, reg);
}

static inline void wr(struct dtmac *m, unsigned int reg, uint32_t val)
{
	reg_write32(m->regs, reg, val);
}

static volatile uint32_t *rx_d(struct dtmac *m, uint32_t i)
{
	return (volatile uint32_t *)m->rx_ring + 2 * i;
}

static volatile uint32_t *tx_d(struct dtmac *m, uint32_t i)
{
	return (volatile uint32_t *)m->tx_ring + 2 * i;
}

/* RE and TE always together: a write with TE clear rewinds TX */
static uint32_t running(void)
{
	return GEM_NWCTRL_MDEN | GEM_NWCTRL_RE | GEM_NWCTRL_TE;
}

static void gem_mac_get(struct dtmac *m, uint8_t mac[6])
{
	uint32_t lo = rd(m, GEM_SPADDR1L), hi = rd(m, GEM_SPADDR1H);

	mac[0] = (uint8_t)lo;
	mac[1] = (uint8_t)(lo >> 8);
	mac[2] = (uint8_t)(lo >> 16);
	mac[3] = (uint8_t)(lo >> 24);
	mac[4] = (uint8_t)hi;
	mac[5] = (uint8_t)(hi >> 8);
}

static void gem_mdio_start(struct dtmac *m, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val)
{
	if (!(rd(m, GEM_NWCTRL) & GEM_NWCTRL_MDEN)) {
		wr(m, GEM_NWCFG, (rd(m, GEM_NWCFG) & ~(7u << 18)) |
		   GEM_NWCFG_MDC_DIV224);
		wr(m, GEM_NWCTRL, rd(m, GEM_NWCTRL) | GEM_NWCTRL_MDEN);
	}
	wr(m, GEM_PHYMNTNC, GEM_PHYMNTNC_C22 |
	   (write ? GEM_PHYMNTNC_WRITE : GEM_PHYMNTNC_READ) |
	   (phy & 0x1f) << 23 | (reg & 0x1f) << 18 | GEM_PHYMNTNC_TA |
	   (write ? val : 0));
}

static bool gem_mdio_done(struct dtmac *m, uint16_t *val)
{
	if (!(rd(m, GEM_NWSR) & GEM_NWSR_MDIO_IDLE))
		return false;
	*val = (uint16_t)rd(m, GEM_PHYMNTNC);
	return true;
}

/* Read ISR; write the bits back where it does not clear on read */
static void isr_clear(struct dtmac *m)
{
	uint32_t isr = rd(m, GEM_ISR);

	if (isr && !(rd(m, GEM_DCFG1) & GEM_DCFG1_IRQCOR))
		wr(m, GEM_ISR, isr);
}

/* Everything off but the management port, every event masked and clear */
static void gem_quiesce(struct dtmac *m)
{
	wr(m, GEM_IDR, 0xffffffffu);
	wr(m, GEM_NWCTRL, GEM_NWCTRL_MDEN);
	isr_clear(m);
	wr(m, GEM_TSR, 0xffffffffu);
	wr(m, GEM_RSR, 0xffffffffu);
}

/*
 * Queues 1-7 that exist: RX and TX pointed at one descriptor each that
 * software owns (after the TX ring's descriptors, in the ring area).
 */
static void park_queues(struct dtmac *m)
{
	uint32_t queues = rd(m, GEM_DCFG6) & GEM_DCFG6_QUEUES, q;
	volatile uint32_t *park = tx_d(m, m->tx_count);
	uint32_t bus = m->tx_ring_bus + m->tx_count * 8;

	park[0] = RXD_USED | RXD_WRAP;	/* as an RX descriptor */
	park[1] = 0;
	park[2] = 0;			/* as a TX descriptor */
	park[3] = TXD_USED | TXD_WRAP;
	dma_wmb();
	for (q = 1; q < GEM_QUEUES_MAX; q++) {
		if (!(queues & 1u << q))
			continue;
		wr(m, GEM_RXQ1BASE + 4 * (q - 1), bus);
		wr(m, GEM_TXQ1BASE + 4 * (q - 1), bus + 8);
	}
}

static void gem_rings(struct dtmac *m)
{
	uint32_t i;

	for (i = 0; i < m->rx_count; i++) {
		volatile uint32_t *d = rx_d(m, i);

		d[1] = 0;
		d[0] = ((m->rx_buf_bus + i * DTMAC_BUF_SIZE) & RXD_ADDR_MASK) |
		       (i == m->rx_count - 1 ? RXD_WRAP : 0);
	}
	for (i = 0; i < m->tx_count; i++) {
		volatile uint32_t *d = tx_d(m, i);

		d[0] = m->tx_buf_bus + i * DTMAC_BUF_SIZE;
		d[1] = TXD_USED | (i == m->tx_count - 1 ? TXD_WRAP : 0);
	}
	m->rx_next = 0;
	m->tx_next = 0;
	m->tx_clean = 0;
	park_queues(m);
	wr(m, GEM_RXQBASE, m->rx_ring_bus);
	wr(m, GEM_TXQBASE, m->tx_ring_bus);
}

static uint32_t bus_width(struct dtmac *m)
{
	uint32_t dbw = GEM_DCFG1_DBWDEF(rd(m, GEM_DCFG1));

	return dbw & 4 ? 2 : dbw & 2 ? 1 : 0;
}

static int gem_start(struct dtmac *m)
{
	uint32_t cfg = GEM_NWCFG_FD | GEM_NWCFG_CAF | GEM_NWCFG_FCSREM |
		       GEM_NWCFG_MDC_DIV224 | GEM_NWCFG_DBW(bus_width(m));
	uint32_t dma = rd(m, GEM_DMACFG);

	if (!m->full_duplex)
		cfg &= ~GEM_NWCFG_FD;
	if (m->speed == 1000)
		cfg |= GEM_NWCFG_GIGE;
	else if (m->speed == 100)
		cfg |= GEM_NWCFG_SPD100;
	gem_quiesce(m);
	gem_rings(m);
	dma &= ~(GEM_DMACFG_ADDR64 | GEM_DMACFG_RXEXT | GEM_DMACFG_TXEXT |
		 GEM_DMACFG_RXBS_MASK | GEM_DMACFG_ENDIA_DESC |
		 GEM_DMACFG_ENDIA_PKT);
	wr(m, GEM_DMACFG, dma | GEM_DMACFG_RXBS(DTMAC_BUF_SIZE / 64));
	wr(m, GEM_NWCFG, cfg);
	/* the high word last: it turns the address match on */
	wr(m, GEM_SPADDR1L, m->mac[0] | (uint32_t)m->mac[1] << 8 |
	   (uint32_t)m->mac[2] << 16 | (uint32_t)m->mac[3] << 24);
	wr(m, GEM_SPADDR1H, m->mac[4] | (uint32_t)m->mac[5] << 8);
	wr(m, GEM_IER, GEM_INT_RCOMP);
	wr(m, GEM_NWCTRL, running());
	return 0;
}

static void gem_stop(struct dtmac *m)
{
	gem_quiesce(m);
}

/* Has the MAC sent descriptor i? (it sets USED in a frame's first one) */
static bool gem_tx_done(struct dtmac *m, uint32_t i)
{
	return tx_d(m, i)[1] & TXD_USED;
}

/* Descriptor i (its buffer filled) to the MAC, and TX started */
static void gem_tx_hand(struct dtmac *m, uint32_t i, size_t wire)
{
	volatile uint32_t *d = tx_d(m, i);

	d[0] = m->tx_buf_bus + i * DTMAC_BUF_SIZE;
	dma_wmb();
	d[1] = (uint32_t)wire | TXD_LAST | (i == m->tx_count - 1 ? TXD_WRAP : 0);
	dma_wmb();
	wr(m, GEM_NWCTRL, running() | GEM_NWCTRL_TSTART);
}

/* Descriptor i back to the MAC; RX restarted if it stopped on a full ring */
static void gem_rx_refill(struct dtmac *m, uint32_t i)
{
	volatile uint32_t *d = rx_d(m, i);

	d[1] = 0;
	dma_wmb();
	d[0] = ((m->rx_buf_bus + i * DTMAC_BUF_SIZE) & RXD_ADDR_MASK) |
	       (i == m->rx_count - 1 ? RXD_WRAP : 0);
	dma_wmb();
	if (rd(m, GEM_RSR) & GEM_RSR_BNA) {
		m->stats.rx_restarts++;
		wr(m, GEM_RSR, GEM_RSR_BNA);
		wr(m, GEM_NWCTRL, running());
	}
}

/* Descriptor i: 0 still the MAC's, 1 a frame of *len bytes, -1 a bad one */
static int gem_rx_frame(struct dtmac *m, uint32_t i, uint16_t *len)
{
	volatile uint32_t *d = rx_d(m, i);
	uint32_t w1;

	if (!(d[0] & RXD_USED))
		return 0;
	dma_rmb();
	w1 = d[1];
	*len = (uint16_t)(w1 & RXD_LEN_MASK);
	if ((w1 & (RXD_SOF | RXD_EOF)) != (RXD_SOF | RXD_EOF)) {
		m->stats.rx_dropped++;
		return -1;
	}
	return 1;
}

static void gem_irq_ack(struct dtmac *m)
{
	isr_clear(m);
}

const struct dtmac_ops dtmac_gem_ops = {
	.ident = "GEM",
	.name = "Cadence GEM",
	.mac_get = gem_mac_get,
	.start = gem_start,
	.stop = gem_stop,
	.tx_done = gem_tx_done,
	.tx_hand = gem_tx_hand,
	.rx_frame = gem_rx_frame,
	.rx_refill = gem_rx_refill,
	.irq_ack = gem_irq_ack,
	.mdio_start = gem_mdio_start,
	.mdio_done = gem_mdio_done,
};
