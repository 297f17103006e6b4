// SPDX-License-Identifier: GPL-2.0
/*
 * What the dt tests drive on each kind of MAC (struct dt_mac_ops): the
 * station address registers, Clause 22 MDIO frames and an interrupt the
 * tests can raise at will.
 *
 * i.MX FEC (QEMU's imx_fec on imx8mp-evk and sabrelite): MDIO frames end
 * with EIR.MII, which is also the interrupt.
 *
 * Cadence GEM (QEMU's cadence_gem on xlnx-zcu102): MDIO frames end when
 * NWSR says the management logic is idle. QEMU never raises the "management
 * frame sent" interrupt, so the interrupt is "TX used bit read": transmit
 * started on descriptors the CPU owns, in a DMA page of the fd.
 */

#include <stdio.h>
#include <string.h>

#include "dt.h"
#include "sys.h"

#define DT_MDIO_IDLE_TIMEOUT_MS	100u

/* i.MX FEC */
#define FEC_EIR			0x004	/* interrupt events, write 1 to clear */
#define FEC_EIMR		0x008	/* interrupt mask */
#define  FEC_EIR_MII		0x00800000u
#define FEC_MMFR		0x040	/* MII management frame */
#define  FEC_MMFR_ST		(1u << 30)
#define  FEC_MMFR_OP_WRITE	(1u << 28)
#define  FEC_MMFR_OP_READ	(2u << 28)
#define  FEC_MMFR_TA		(2u << 16)
#define FEC_MSCR		0x044	/* MII speed control */
#define  FEC_MSCR_DEFAULT	0x1au
#define FEC_PALR		0x0e4	/* MAC address, bytes 0-3 from bit 31 */
#define FEC_PAUR		0x0e8	/* bytes 4-5 in bits 31:16 */

/* Cadence GEM (Zynq UltraScale+ TRM) */
#define GEM_NWCTRL		0x000	/* network control */
#define  GEM_NWCTRL_TXEN	(1u << 3)
#define  GEM_NWCTRL_MDEN	(1u << 4)	/* management port enable */
#define  GEM_NWCTRL_TSTART	(1u << 9)	/* start transmission */
#define GEM_NWCFG		0x004	/* network configuration */
#define  GEM_NWCFG_MDC_MASK	(7u << 18)
#define  GEM_NWCFG_MDC_DIV224	(7u << 18)	/* slowest MDC: any pclk */
#define GEM_NWSR		0x008	/* network status */
#define  GEM_NWSR_MDIO_IDLE	(1u << 2)
#define GEM_DMACFG		0x010	/* DMA configuration */
#define  GEM_DMACFG_TXBD_EXT	(1u << 29)	/* extended TX descriptors */
#define  GEM_DMACFG_ADDR64	(1u << 30)	/* 64-bit descriptors */
#define GEM_TSR			0x014	/* transmit status, write 1 to clear */
#define  GEM_TSR_UBR		(1u << 0)	/* used bit read */
#define GEM_TXQBASE		0x01c	/* queue 0 TX descriptor base */
#define GEM_ISR			0x024	/* interrupt status */
#define GEM_IER			0x028
#define GEM_IDR			0x02c
#define GEM_IMR			0x030	/* 1: masked */
#define  GEM_INT_TX_USED	(1u << 3)	/* TX used bit read */
#define GEM_PHYMNTNC		0x034	/* PHY maintenance */
#define  GEM_PHYMNTNC_C22	(1u << 30)	/* 31:30 = 01 */
#define  GEM_PHYMNTNC_WRITE	(1u << 28)	/* 29:28 = 01 */
#define  GEM_PHYMNTNC_READ	(2u << 28)	/* 29:28 = 10 */
#define  GEM_PHYMNTNC_TA	(2u << 16)	/* 17:16 = 10 */
#define GEM_SPADDR1L		0x088	/* MAC address bytes 0-3, byte 0 low */
#define GEM_SPADDR1H		0x08c	/* bytes 4-5 in bits 15:0 */
#define GEM_DCFG1		0x280	/* design configuration 1 */
#define  GEM_DCFG1_IRQCOR	(1u << 23)	/* ISR clears on read */
#define GEM_DCFG6		0x294	/* design configuration 6 */
#define  GEM_DCFG6_QUEUES	0xfeu	/* bits 7:1: queues 1-7 exist */
#define GEM_TXQ1BASE		0x440	/* queues 1-7, one word each */
#define GEM_TXD_USED		(1u << 31)	/* TX descriptor word 1 */
#define GEM_TXD_WRAP		(1u << 30)
#define GEM_TXD_STRIDE		64u	/* bytes from one queue's ring to the next */

/* saved[] of the GEM's interrupt source */
enum {
	GEM_SAVED_NWCTRL,
	GEM_SAVED_DMACFG,
	GEM_SAVED_TXQBASE,
	GEM_SAVED_IMR,
	GEM_SAVED_QUEUES,	/* bitmap of queues 1-7, as DCFG6 */
	GEM_SAVED_TXQ1BASE,	/* .. + 6 */
};

static void fec_mac_get(volatile void *regs, uint8_t mac[6])
{
	uint32_t lo = mmio_read32(regs, FEC_PALR);
	uint32_t hi = mmio_read32(regs, FEC_PAUR);

	mac[0] = lo >> 24;
	mac[1] = lo >> 16;
	mac[2] = lo >> 8;
	mac[3] = lo;
	mac[4] = hi >> 24;
	mac[5] = hi >> 16;
}

static void fec_mac_set(volatile void *regs, const uint8_t mac[6])
{
	uint32_t type = mmio_read32(regs, FEC_PAUR) & 0xffff;

	mmio_write32(regs, FEC_PALR, (uint32_t)mac[0] << 24 |
		     (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3]);
	mmio_write32(regs, FEC_PAUR, (uint32_t)mac[4] << 24 |
		     (uint32_t)mac[5] << 16 | type);
}

/* EIR.MII is cleared first: it flags this frame's end */
static void fec_mdio_start(volatile void *regs, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val)
{
	if (!mmio_read32(regs, FEC_MSCR))
		mmio_write32(regs, FEC_MSCR, FEC_MSCR_DEFAULT);
	mmio_write32(regs, FEC_EIR, FEC_EIR_MII);
	mmio_write32(regs, FEC_MMFR,
		     FEC_MMFR_ST |
		     (write ? FEC_MMFR_OP_WRITE : FEC_MMFR_OP_READ) |
		     (phy & 0x1f) << 23 | (reg & 0x1f) << 18 | FEC_MMFR_TA |
		     (write ? val : 0));
}

static bool fec_mdio_done(volatile void *regs, uint16_t *val)
{
	if (!(mmio_read32(regs, FEC_EIR) & FEC_EIR_MII))
		return false;
	mmio_write32(regs, FEC_EIR, FEC_EIR_MII);
	*val = mmio_read32(regs, FEC_MMFR) & 0xffff;
	return true;
}

/* Only the MII event unmasked */
static enum st_result fec_irq_setup(struct dt_mac *m)
{
	m->saved[0] = mmio_read32(m->regs, FEC_EIMR);
	mmio_write32(m->regs, FEC_EIR, 0xffffffffu);
	mmio_write32(m->regs, FEC_EIMR, FEC_EIR_MII);
	return ST_PASS;
}

/* A read frame to any address ends with the MII event */
static void fec_irq_raise(struct dt_mac *m)
{
	fec_mdio_start(m->regs, false, 0, 2, 0);
}

static bool fec_irq_pending(struct dt_mac *m)
{
	return mmio_read32(m->regs, FEC_EIR) & FEC_EIR_MII;
}

static void fec_irq_ack(struct dt_mac *m)
{
	mmio_write32(m->regs, FEC_EIR, FEC_EIR_MII);
}

static void fec_irq_restore(struct dt_mac *m)
{
	mmio_write32(m->regs, FEC_EIMR, m->saved[0]);
	mmio_write32(m->regs, FEC_EIR, 0xffffffffu);
}

static void gem_mac_get(volatile void *regs, uint8_t mac[6])
{
	uint32_t lo = mmio_read32(regs, GEM_SPADDR1L);
	uint32_t hi = mmio_read32(regs, GEM_SPADDR1H);

	mac[0] = lo;
	mac[1] = lo >> 8;
	mac[2] = lo >> 16;
	mac[3] = lo >> 24;
	mac[4] = hi;
	mac[5] = hi >> 8;
}

/* The high word last: writing it enables the address filter again */
static void gem_mac_set(volatile void *regs, const uint8_t mac[6])
{
	mmio_write32(regs, GEM_SPADDR1L, mac[0] | (uint32_t)mac[1] << 8 |
		     (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
	mmio_write32(regs, GEM_SPADDR1H, mac[4] | (uint32_t)mac[5] << 8);
}

static bool gem_mdio_idle(volatile void *regs)
{
	return mmio_read32(regs, GEM_NWSR) & GEM_NWSR_MDIO_IDLE;
}

/*
 * Waits (bounded) for the previous frame; a port nobody enabled yet gets
 * the slowest MDC first, which is within 2.5 MHz whatever pclk is.
 */
static void gem_mdio_start(volatile void *regs, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val)
{
	uint64_t deadline = now_ms() + DT_MDIO_IDLE_TIMEOUT_MS;
	uint32_t ctrl;

	while (!gem_mdio_idle(regs) && now_ms() <= deadline)
		;
	ctrl = mmio_read32(regs, GEM_NWCTRL);
	if (!(ctrl & GEM_NWCTRL_MDEN)) {
		mmio_write32(regs, GEM_NWCFG,
			     (mmio_read32(regs, GEM_NWCFG) & ~GEM_NWCFG_MDC_MASK) |
			     GEM_NWCFG_MDC_DIV224);
		mmio_write32(regs, GEM_NWCTRL, ctrl | GEM_NWCTRL_MDEN);
	}
	mmio_write32(regs, GEM_PHYMNTNC,
		     GEM_PHYMNTNC_C22 |
		     (write ? GEM_PHYMNTNC_WRITE : GEM_PHYMNTNC_READ) |
		     (phy & 0x1f) << 23 | (reg & 0x1f) << 18 |
		     GEM_PHYMNTNC_TA | (write ? val : 0));
}

static bool gem_mdio_done(volatile void *regs, uint16_t *val)
{
	if (!gem_mdio_idle(regs))
		return false;
	*val = mmio_read32(regs, GEM_PHYMNTNC) & 0xffff;
	return true;
}

/* ISR clears on read, or (DCFG1 says so) by writing 1s */
static void gem_isr_clear(volatile void *regs)
{
	uint32_t isr = mmio_read32(regs, GEM_ISR);

	if (!(mmio_read32(regs, GEM_DCFG1) & GEM_DCFG1_IRQCOR))
		mmio_write32(regs, GEM_ISR, isr);
}

/* The queues besides queue 0, one bit each (1-7) */
static uint32_t gem_queues(volatile void *regs)
{
	return mmio_read32(regs, GEM_DCFG6) & GEM_DCFG6_QUEUES;
}

/*
 * Every queue's ring is one descriptor the CPU owns (used, wrap), in a
 * DMA page; 32-bit descriptors; only "TX used bit read" unmasked; TX on.
 */
static enum st_result gem_irq_setup(struct dt_mac *m)
{
	volatile void *r = m->regs;
	uint32_t q, queues;
	long pg = page_size();

	m->dma = st_mmap(m->fd, 0, pg);
	EXPECT(m->dma, "mmap of a DMA page for the TX descriptors: %s",
	       strerror(errno));
	m->dma_bus = m->dma[0];
	EXPECT(m->dma_bus && !(m->dma_bus % pg),
	       "DMA page bus address %#x: not a page address", m->dma_bus);

	queues = gem_queues(r);
	m->saved[GEM_SAVED_NWCTRL] = mmio_read32(r, GEM_NWCTRL);
	m->saved[GEM_SAVED_DMACFG] = mmio_read32(r, GEM_DMACFG);
	m->saved[GEM_SAVED_TXQBASE] = mmio_read32(r, GEM_TXQBASE);
	m->saved[GEM_SAVED_IMR] = mmio_read32(r, GEM_IMR);
	m->saved[GEM_SAVED_QUEUES] = queues;
	for (q = 1; q < 8; q++)
		if (queues & 1u << q)
			m->saved[GEM_SAVED_TXQ1BASE + q - 1] =
				mmio_read32(r, GEM_TXQ1BASE + 4 * (q - 1));

	/* TX off while the rings move */
	mmio_write32(r, GEM_NWCTRL,
		     m->saved[GEM_SAVED_NWCTRL] & ~GEM_NWCTRL_TXEN);
	memset((void *)m->dma, 0, pg);
	for (q = 0; q < 8; q++)
		m->dma[q * GEM_TXD_STRIDE / 4 + 1] = GEM_TXD_USED | GEM_TXD_WRAP;
	dma_barrier();
	mmio_write32(r, GEM_DMACFG, m->saved[GEM_SAVED_DMACFG] &
		     ~(GEM_DMACFG_ADDR64 | GEM_DMACFG_TXBD_EXT));
	mmio_write32(r, GEM_TXQBASE, m->dma_bus);
	for (q = 1; q < 8; q++)
		if (queues & 1u << q)
			mmio_write32(r, GEM_TXQ1BASE + 4 * (q - 1),
				     m->dma_bus + q * GEM_TXD_STRIDE);

	mmio_write32(r, GEM_IDR, 0xffffffffu);
	gem_isr_clear(r);
	mmio_write32(r, GEM_TSR, GEM_TSR_UBR);
	mmio_write32(r, GEM_IER, GEM_INT_TX_USED);
	st_diag("GEM DCFG1 %#x: ISR clears on %s; DCFG6: TX queues 0%s",
		mmio_read32(r, GEM_DCFG1),
		mmio_read32(r, GEM_DCFG1) & GEM_DCFG1_IRQCOR ? "read" :
		"writing 1s", queues ? " and more" : " only");
	mmio_write32(r, GEM_NWCTRL,
		     m->saved[GEM_SAVED_NWCTRL] | GEM_NWCTRL_TXEN);
	return ST_PASS;
}

/* Start transmission: the first descriptor is the CPU's */
static void gem_irq_raise(struct dt_mac *m)
{
	mmio_write32(m->regs, GEM_TSR, GEM_TSR_UBR);
	mmio_write32(m->regs, GEM_NWCTRL,
		     mmio_read32(m->regs, GEM_NWCTRL) | GEM_NWCTRL_TSTART);
}

/* Reading ISR may clear it (DCFG1.IRQCOR) */
static bool gem_irq_pending(struct dt_mac *m)
{
	return mmio_read32(m->regs, GEM_ISR) & GEM_INT_TX_USED;
}

static void gem_irq_ack(struct dt_mac *m)
{
	gem_isr_clear(m->regs);
	mmio_write32(m->regs, GEM_TSR, GEM_TSR_UBR);
}

static void gem_irq_restore(struct dt_mac *m)
{
	volatile void *r = m->regs;
	uint32_t q, queues = m->saved[GEM_SAVED_QUEUES];

	mmio_write32(r, GEM_IDR, 0xffffffffu);
	mmio_write32(r, GEM_NWCTRL,
		     m->saved[GEM_SAVED_NWCTRL] & ~GEM_NWCTRL_TXEN);
	mmio_write32(r, GEM_TXQBASE, m->saved[GEM_SAVED_TXQBASE]);
	for (q = 1; q < 8; q++)
		if (queues & 1u << q)
			mmio_write32(r, GEM_TXQ1BASE + 4 * (q - 1),
				     m->saved[GEM_SAVED_TXQ1BASE + q - 1]);
	mmio_write32(r, GEM_DMACFG, m->saved[GEM_SAVED_DMACFG]);
	gem_irq_ack(m);
	mmio_write32(r, GEM_IER, ~m->saved[GEM_SAVED_IMR]);
	mmio_write32(r, GEM_NWCTRL, m->saved[GEM_SAVED_NWCTRL]);
	st_munmap((void *)m->dma, page_size());
	m->dma = NULL;
}

static const struct dt_mac_ops dt_mac_ops_table[] = {
	{
		.ident = "FslFec",
		.name = "i.MX FEC",
		/* QEMU's imx_fec: an SMSC LAN911x internal PHY */
		.qemu_phy_id = 0x0007c0d1u,
		.mac_lo = FEC_PALR,
		.mac_get = fec_mac_get,
		.mac_set = fec_mac_set,
		.mdio_start = fec_mdio_start,
		.mdio_done = fec_mdio_done,
		.irq_event = "MII event",
		.irq_setup = fec_irq_setup,
		.irq_raise = fec_irq_raise,
		.irq_pending = fec_irq_pending,
		.irq_ack = fec_irq_ack,
		.irq_restore = fec_irq_restore,
	},
	{
		.ident = "GEM",
		.name = "Cadence GEM",
		/* QEMU's cadence_gem: a Marvell 88E1111 */
		.qemu_phy_id = 0x01410cc2u,
		.mac_lo = GEM_SPADDR1L,
		.mac_get = gem_mac_get,
		.mac_set = gem_mac_set,
		.mdio_start = gem_mdio_start,
		.mdio_done = gem_mdio_done,
		.irq_event = "TX used bit read",
		.irq_setup = gem_irq_setup,
		.irq_raise = gem_irq_raise,
		.irq_pending = gem_irq_pending,
		.irq_ack = gem_irq_ack,
		.irq_restore = gem_irq_restore,
	},
};

const struct dt_mac_ops *dt_mac_ops_find(const char *ident)
{
	size_t i;

	for (i = 0; i < sizeof(dt_mac_ops_table) / sizeof(dt_mac_ops_table[0]);
	     i++)
		if (!strcmp(dt_mac_ops_table[i].ident, ident))
			return &dt_mac_ops_table[i];
	return NULL;
}
