// SPDX-License-Identifier: GPL-2.0
/*
 * The i.MX FEC/ENET MAC (atemsys-Ident "FslFec": i.MX6, i.MX8M) in
 * userspace; see dtmac.h.
 *
 * Registers and buffer descriptors from the i.MX 6Dual/6Quad and i.MX 8M
 * Plus reference manuals, chapter "10/100/1000-Mbps Ethernet MAC (ENET)":
 * the legacy 8-byte descriptors (ECR.EN1588 clear), ECR.DBSWP set so that
 * they are little-endian, RX buffers of EMRBR bytes (a multiple of 16),
 * RX frames with their FCS (RCR.CRCFWD clear: 4 bytes dropped here), TX
 * frames padded here to 60 bytes. RDAR is written after every descriptor
 * given back: the MAC stops receiving when it meets a full ring and starts
 * again only then.
 *
 * Facts about QEMU's model (hw/net/imx_fec.c, the imx.enet of sabrelite and
 * imx8mp-evk) that a datasheet does not promise: it filters no addresses
 * (RCR.PROM is moot), does not pad what it sends, completes an MDIO frame
 * at once, and raises EIR.RXF/TXF for legacy descriptors unconditionally.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dtmac.h"
#include "io.h"
#include "timing.h"

#define FEC_EIR			0x004	/* interrupt events, write 1 to clear */
#define FEC_EIMR		0x008	/* interrupt mask, 1: enabled */
#define  FEC_INT_TXF		(1u << 27)
#define  FEC_INT_RXF		(1u << 25)
#define  FEC_INT_MII		(1u << 23)
#define FEC_RDAR		0x010	/* receive descriptor active */
#define FEC_TDAR		0x014	/* transmit descriptor active */
#define  FEC_DAR_ACTIVE		(1u << 24)
#define FEC_ECR			0x024	/* Ethernet control */
#define  FEC_ECR_RESET		(1u << 0)
#define  FEC_ECR_ETHEREN	(1u << 1)
#define  FEC_ECR_SPEED		(1u << 5)	/* 1000 Mbit/s */
#define  FEC_ECR_DBSWP		(1u << 8)	/* little-endian descriptors */
#define FEC_MMFR		0x040	/* MII management frame */
#define  FEC_MMFR_ST		(1u << 30)
#define  FEC_MMFR_OP_WRITE	(1u << 28)
#define  FEC_MMFR_OP_READ	(2u << 28)
#define  FEC_MMFR_TA		(2u << 16)
#define FEC_MSCR		0x044	/* MII speed control */
/* MII_SPEED 63, HOLDTIME 7: MDC at most 2.5 MHz from any module clock up to 320 MHz */
#define  FEC_MSCR_SLOWEST	(0x3fu << 1 | 7u << 8)
#define FEC_RCR			0x084	/* receive control */
#define  FEC_RCR_MII_MODE	(1u << 2)	/* must be set */
#define  FEC_RCR_PROM		(1u << 3)
#define  FEC_RCR_RGMII_EN	(1u << 6)
#define  FEC_RCR_RMII_MODE	(1u << 8)
#define  FEC_RCR_RMII_10T	(1u << 9)
#define  FEC_RCR_MAX_FL(n)	((uint32_t)(n) << 16)
#define FEC_TCR			0x0c4	/* transmit control */
#define  FEC_TCR_FDEN		(1u << 2)
#define FEC_PALR		0x0e4	/* MAC address bytes 0-3, byte 0 at 31:24 */
#define FEC_PAUR		0x0e8	/* bytes 4-5 at 31:16, type 0x8808 at 15:0 */
#define  FEC_PAUR_TYPE		0x8808u
#define FEC_TFWR		0x144	/* transmit FIFO watermark */
#define  FEC_TFWR_STRFWD	(1u << 8)	/* store and forward */
#define FEC_ERDSR		0x180	/* RX descriptor ring start */
#define FEC_ETDSR		0x184	/* TX descriptor ring start */
#define FEC_EMRBR		0x188	/* RX buffer size, multiple of 16 */

#define FEC_RX_BUF_LEN		1536u	/* >= 1518 + FCS: one descriptor per frame */
#define FEC_MAX_FL		1522u
#define FEC_FCS_LEN		4u
#define FEC_RESET_TIMEOUT_NS	(10 * NSEC_PER_MSEC)

/* Legacy buffer descriptor, little-endian (ECR.DBSWP) */
struct fec_bd {
	uint16_t len;
	uint16_t sc;
	uint32_t buf;
};

#define BD_E_R			0x8000u	/* RX: empty (MAC's); TX: ready (MAC's) */
#define BD_W			0x2000u	/* last in the ring */
#define BD_L			0x0800u	/* last of the frame */
#define BD_TX_TC		0x0400u	/* append the FCS */
#define BD_RX_LG		0x0020u	/* longer than RCR.MAX_FL */
#define BD_RX_NO		0x0010u	/* not octet-aligned */
#define BD_RX_CR		0x0004u	/* CRC error */
#define BD_RX_OV		0x0002u	/* FIFO overrun */
#define BD_RX_TR		0x0001u	/* truncated */
#define BD_RX_ERRORS		(BD_RX_LG | BD_RX_NO | BD_RX_CR | BD_RX_OV | BD_RX_TR)

static inline uint32_t rd(struct dtmac *m, unsigned int reg)
{
	return reg_read32(m->regs, reg);
}

static inline void wr(struct dtmac *m, unsigned int reg, uint32_t val)
{
	reg_write32(m->regs, reg, val);
}

static volatile struct fec_bd *rx_bd(struct dtmac *m, uint32_t i)
{
	return (volatile struct fec_bd *)m->rx_ring + i;
}

static volatile struct fec_bd *tx_bd(struct dtmac *m, uint32_t i)
{
	return (volatile struct fec_bd *)m->tx_ring + i;
}

static void fec_mac_get(struct dtmac *m, uint8_t mac[6])
{
	uint32_t lo = rd(m, FEC_PALR), hi = rd(m, FEC_PAUR);

	mac[0] = (uint8_t)(lo >> 24);
	mac[1] = (uint8_t)(lo >> 16);
	mac[2] = (uint8_t)(lo >> 8);
	mac[3] = (uint8_t)lo;
	mac[4] = (uint8_t)(hi >> 24);
	mac[5] = (uint8_t)(hi >> 16);
}

static void fec_mac_set(struct dtmac *m, const uint8_t mac[6])
{
	wr(m, FEC_PALR, (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 |
	   (uint32_t)mac[2] << 8 | mac[3]);
	wr(m, FEC_PAUR, (uint32_t)mac[4] << 24 | (uint32_t)mac[5] << 16 |
	   FEC_PAUR_TYPE);
}

static void fec_mdio_start(struct dtmac *m, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val)
{
	wr(m, FEC_EIR, FEC_INT_MII);
	wr(m, FEC_MMFR, FEC_MMFR_ST | (write ? FEC_MMFR_OP_WRITE : FEC_MMFR_OP_READ) |
	   (phy & 0x1f) << 23 | (reg & 0x1f) << 18 | FEC_MMFR_TA |
	   (write ? val : 0));
}

static bool fec_mdio_done(struct dtmac *m, uint16_t *val)
{
	if (!(rd(m, FEC_EIR) & FEC_INT_MII))
		return false;
	wr(m, FEC_EIR, FEC_INT_MII);
	*val = (uint16_t)rd(m, FEC_MMFR);
	return true;
}

/* ECR.RESET: the MAC stops and its registers (the address too) reset */
static int fec_reset(struct dtmac *m)
{
	uint64_t deadline = now_ns() + FEC_RESET_TIMEOUT_NS;

	wr(m, FEC_EIMR, 0);
	wr(m, FEC_ECR, FEC_ECR_RESET);
	while (rd(m, FEC_ECR) & FEC_ECR_RESET) {
		if (now_ns() > deadline) {
			snprintf(m->err, sizeof(m->err),
				 "%s: ECR.RESET did not clear within 10 ms (ECR 0x%08x)",
				 m->name, rd(m, FEC_ECR));
			errno = EIO;
			return -1;
		}
		usleep(10);
	}
	wr(m, FEC_EIR, 0xffffffffu);
	/* the management port again, for phylib's orders */
	wr(m, FEC_MSCR, FEC_MSCR_SLOWEST);
	return 0;
}

static void fec_rings(struct dtmac *m)
{
	uint32_t i;

	for (i = 0; i < m->rx_count; i++) {
		volatile struct fec_bd *d = rx_bd(m, i);

		d->buf = m->rx_buf_bus + i * DTMAC_BUF_SIZE;
		d->len = 0;
		d->sc = (uint16_t)(BD_E_R | (i == m->rx_count - 1 ? BD_W : 0));
	}
	for (i = 0; i < m->tx_count; i++) {
		volatile struct fec_bd *d = tx_bd(m, i);

		d->buf = m->tx_buf_bus + i * DTMAC_BUF_SIZE;
		d->len = 0;
		d->sc = (uint16_t)(i == m->tx_count - 1 ? BD_W : 0);
	}
	m->rx_next = 0;
	m->tx_next = 0;
	m->tx_clean = 0;
	dma_wmb();
	wr(m, FEC_ERDSR, m->rx_ring_bus);
	wr(m, FEC_ETDSR, m->tx_ring_bus);
	wr(m, FEC_EMRBR, FEC_RX_BUF_LEN);
}

static int fec_start(struct dtmac *m)
{
	uint32_t rcr = FEC_RCR_MAX_FL(FEC_MAX_FL) | FEC_RCR_MII_MODE |
		       FEC_RCR_PROM;
	uint32_t ecr = FEC_ECR_ETHEREN | FEC_ECR_DBSWP;
	uint8_t mac[6];

	memcpy(mac, m->mac, 6);
	if (fec_reset(m))
		return -1;
	fec_mac_set(m, mac);
	if (m->mi.phy_mode & ATEMSYS_PHY_RGMII)
		rcr |= FEC_RCR_RGMII_EN;
	else if (m->mi.phy_mode & (ATEMSYS_PHY_RMII | ATEMSYS_PHY_RMII_50MHZ))
		rcr |= FEC_RCR_RMII_MODE | (m->speed == 10 ? FEC_RCR_RMII_10T : 0);
	if (m->speed == 1000)
		ecr |= FEC_ECR_SPEED;
	wr(m, FEC_RCR, rcr);
	wr(m, FEC_TCR, m->full_duplex ? FEC_TCR_FDEN : 0);
	wr(m, FEC_TFWR, FEC_TFWR_STRFWD);
	fec_rings(m);
	wr(m, FEC_EIMR, FEC_INT_RXF);
	wr(m, FEC_ECR, ecr);
	wr(m, FEC_RDAR, FEC_DAR_ACTIVE);
	return 0;
}

static void fec_stop(struct dtmac *m)
{
	wr(m, FEC_EIMR, 0);
	wr(m, FEC_ECR, rd(m, FEC_ECR) & ~FEC_ECR_ETHEREN);
	wr(m, FEC_EIR, 0xffffffffu);
	(void)fec_reset(m);
}

/* Has the MAC sent descriptor i? */
static bool fec_tx_done(struct dtmac *m, uint32_t i)
{
	return !(tx_bd(m, i)->sc & BD_E_R);
}

/* Descriptor i (its buffer filled) to the MAC, and TX started */
static void fec_tx_hand(struct dtmac *m, uint32_t i, size_t wire)
{
	volatile struct fec_bd *d = tx_bd(m, i);

	d->len = (uint16_t)wire;
	dma_wmb();
	d->sc = (uint16_t)(BD_E_R | BD_L | BD_TX_TC |
			   (i == m->tx_count - 1 ? BD_W : 0));
	dma_wmb();
	wr(m, FEC_TDAR, FEC_DAR_ACTIVE);
}

/* Descriptor i back to the MAC, and RX on again if it had stopped */
static void fec_rx_refill(struct dtmac *m, uint32_t i)
{
	volatile struct fec_bd *d = rx_bd(m, i);

	d->len = 0;
	dma_wmb();
	d->sc = (uint16_t)(BD_E_R | (i == m->rx_count - 1 ? BD_W : 0));
	dma_wmb();
	if (!(rd(m, FEC_RDAR) & FEC_DAR_ACTIVE)) {
		m->stats.rx_restarts++;
		wr(m, FEC_RDAR, FEC_DAR_ACTIVE);
	}
}

/* Descriptor i: 0 still the MAC's, 1 a frame of *len bytes (FCS off), -1 a bad one */
static int fec_rx_frame(struct dtmac *m, uint32_t i, uint16_t *len)
{
	volatile struct fec_bd *d = rx_bd(m, i);
	uint16_t sc = d->sc;

	if (sc & BD_E_R)
		return 0;
	dma_rmb();
	*len = d->len;
	if (!(sc & BD_L) || (sc & BD_RX_ERRORS) || *len < FEC_FCS_LEN) {
		if (sc & BD_L)
			m->stats.rx_errors++;
		else
			m->stats.rx_dropped++;
		return -1;
	}
	*len -= FEC_FCS_LEN;
	return 1;
}

static void fec_irq_ack(struct dtmac *m)
{
	wr(m, FEC_EIR, FEC_INT_RXF | FEC_INT_TXF);
}

const struct dtmac_ops dtmac_fec_ops = {
	.ident = "FslFec",
	.name = "i.MX FEC",
	.mac_get = fec_mac_get,
	.start = fec_start,
	.stop = fec_stop,
	.tx_done = fec_tx_done,
	.tx_hand = fec_tx_hand,
	.rx_frame = fec_rx_frame,
	.rx_refill = fec_rx_refill,
	.irq_ack = fec_irq_ack,
	.mdio_start = fec_mdio_start,
	.mdio_done = fec_mdio_done,
};
