// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace Intel 82574L (e1000e) driver on atemsys; see e1000e.h.
 *
 * Register sequences follow the 82574 datasheet: software reset (10.2.2.1
 * CTRL.RST), receive initialization (7.1.1: ring base/length/head/tail, then
 * RCTL), transmit initialization (7.2.1: ring, TIPG, TCTL). Facts about the
 * emulated device that the datasheet does not promise, from QEMU's model:
 * the link is up right after reset; RX needs PCI bus mastering (atemsys
 * turns it on); TX needs TARC0's enable bit, which reset sets; interrupts are
 * throttled to one per 128 µs per vector whatever ITR says.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e1000e.h"
#include "io.h"
#include "timing.h"

static int fail(struct e1000e *nic, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct e1000e *nic, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nic->err, sizeof(nic->err), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

static inline uint32_t rd(struct e1000e *nic, unsigned int reg)
{
	return reg_read32(nic->regs, reg);
}

static inline void wr(struct e1000e *nic, unsigned int reg, uint32_t val)
{
	reg_write32(nic->regs, reg, val);
}

const char *e1000e_irq_mode_name(enum e1000e_irq_mode mode)
{
	switch (mode) {
	case E1000E_IRQ_INTX:
		return "INTx";
	case E1000E_IRQ_MSI:
		return "MSI";
	case E1000E_IRQ_MSIX:
		return "MSI-X";
	default:
		return "none";
	}
}

/* A sysfs attribute of the PCI function as an unsigned number */
static int sysfs_pci_ulong(const char *bdf, const char *attr,
			   unsigned long *val)
{
	char path[128], buf[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*val = strtoul(buf, NULL, 0);
	return 0;
}

/* MSI-X or MSI: sysfs names the kind in msi_irqs/<irq>; else INTx */
static enum e1000e_irq_mode irq_mode_of(const char *bdf, uint32_t irq)
{
	char path[128], kind[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs/%u",
		 bdf, irq);
	f = fopen(path, "re");
	if (!f)
		return E1000E_IRQ_INTX;
	if (!fgets(kind, sizeof(kind), f))
		kind[0] = '\0';
	fclose(f);
	return strncmp(kind, "msix", 4) ? E1000E_IRQ_MSI : E1000E_IRQ_MSIX;
}

static int claim(struct e1000e *nic, const struct e1000e_config *cfg)
{
	unsigned long vendor, device;
	int err;

	atemsys_pci_format(&cfg->loc, nic->bdf, sizeof(nic->bdf));
	if (!sysfs_pci_ulong(nic->bdf, "vendor", &vendor) &&
	    !sysfs_pci_ulong(nic->bdf, "device", &device) &&
	    (vendor != E1000E_VENDOR || device != E1000E_DEVICE))
		return fail(nic, ENODEV, "%s is %04lx:%04lx, not an 82574L (%04x:%04x)",
			    nic->bdf, vendor, device, E1000E_VENDOR, E1000E_DEVICE);

	nic->fd = atemsys_open();
	if (nic->fd < 0) {
		err = errno;
		return fail(nic, err, "open " ATEMSYS_FILE_NAME ": %s (%s)",
			    strerror(err), err == ENOENT ?
			    "load atemsys.ko first" : err == EACCES ?
			    "add the user to the group that owns it" :
			    "is the module loaded?");
	}
	if (atemsys_pci_conf(nic->fd, &cfg->loc, &nic->desc)) {
		err = errno;
		if (err == EBUSY)
			return fail(nic, err, "%s is in use: a kernel driver or another process holds it (unbind it: echo %s > /sys/bus/pci/devices/%s/driver/unbind)",
				    nic->bdf, nic->bdf, nic->bdf);
		return fail(nic, err, "PCI_CONF_DEVICE %s: %s", nic->bdf,
			    strerror(err));
	}
	nic->regs = atemsys_map_bar(nic->fd, &nic->desc, 0, &nic->regs_len);
	if (!nic->regs)
		return fail(nic, errno, "mmap BAR0 of %s: %s", nic->bdf,
			    strerror(errno));
	if (nic->regs_len < E1000E_BAR0_SIZE)
		return fail(nic, ENODEV, "%s: BAR0 is %zu bytes, an 82574L has %u",
			    nic->bdf, nic->regs_len, E1000E_BAR0_SIZE);
	return 0;
}

/* Software reset; interrupts masked and causes cleared afterwards */
static int reset(struct e1000e *nic)
{
	uint64_t deadline;

	wr(nic, E1000_IMC, 0xffffffffu);
	wr(nic, E1000_CTRL, rd(nic, E1000_CTRL) | E1000_CTRL_RST);
	/* the datasheet asks for 1 µs before the next access */
	deadline = now_ns() + 10 * NSEC_PER_MSEC;
	usleep(10);
	while (rd(nic, E1000_CTRL) & E1000_CTRL_RST) {
		if (now_ns() > deadline)
			return fail(nic, EIO, "%s: CTRL.RST did not clear within 10 ms",
				    nic->bdf);
		usleep(100);
	}
	wr(nic, E1000_IMC, 0xffffffffu);
	(void)rd(nic, E1000_ICR);
	wr(nic, E1000_ICR, 0xffffffffu);
	return 0;
}

static int read_mac(struct e1000e *nic)
{
	uint32_t ral = rd(nic, E1000_RAL0), rah = rd(nic, E1000_RAH0);
	int i;

	if (!(rah & E1000_RAH_AV))
		return fail(nic, EIO, "%s: receive address 0 is not valid after reset (RAH0 0x%08x): NVM not loaded?",
			    nic->bdf, rah);
	for (i = 0; i < 4; i++)
		nic->mac[i] = (uint8_t)(ral >> (8 * i));
	nic->mac[4] = (uint8_t)rah;
	nic->mac[5] = (uint8_t)(rah >> 8);
	return 0;
}

static size_t ring_bytes(uint32_t count)
{
	/* RDLEN/TDLEN are multiples of 128 bytes (8 descriptors) */
	return ((size_t)count * 16 + 127) & ~(size_t)127;
}

/* One DMA buffer: RX ring, TX ring, RX buffers, TX buffers */
static int alloc_rings(struct e1000e *nic)
{
	size_t rxr = ring_bytes(nic->rx_count), txr = ring_bytes(nic->tx_count);
	size_t size = rxr + txr + (size_t)(nic->rx_count + nic->tx_count) *
		      E1000E_BUF_SIZE;
	uint8_t *base;

	if (atemsys_dma_alloc(nic->fd, size, &nic->dma))
		return fail(nic, errno, "%s: DMA buffer of %zu bytes: %s",
			    nic->bdf, size, strerror(errno));
	base = nic->dma.virt;
	memset(base, 0, nic->dma.size);
	nic->rx = (volatile struct e1000e_rx_desc *)base;
	nic->tx = (volatile struct e1000e_tx_desc *)(base + rxr);
	nic->rx_buf = base + rxr + txr;
	nic->rx_buf_bus = nic->dma.bus + rxr + txr;
	nic->tx_buf = nic->rx_buf + (size_t)nic->rx_count * E1000E_BUF_SIZE;
	nic->tx_buf_bus = nic->rx_buf_bus +
			  (uint64_t)nic->rx_count * E1000E_BUF_SIZE;
	return 0;
}

static void setup_rx(struct e1000e *nic)
{
	uint64_t ring = nic->dma.bus;
	uint32_t i;

	for (i = 0; i < nic->rx_count; i++) {
		nic->rx[i].addr = nic->rx_buf_bus + (uint64_t)i * E1000E_BUF_SIZE;
		nic->rx[i].status = 0;
		nic->rx[i].special = 0;
	}
	dma_wmb();
	wr(nic, E1000_RDBAL, (uint32_t)ring);
	wr(nic, E1000_RDBAH, (uint32_t)(ring >> 32));
	wr(nic, E1000_RDLEN, (uint32_t)ring_bytes(nic->rx_count));
	wr(nic, E1000_RDH, 0);
	wr(nic, E1000_RDT, 0);
	wr(nic, E1000_RDTR, 0);
	wr(nic, E1000_RADV, 0);
	wr(nic, E1000_RFCTL, 0);	/* legacy descriptors */
	/* EtherCAT masters see every frame: promiscuous, broadcast */
	wr(nic, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_MPE |
	   E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048);
	/* every descriptor but one belongs to the NIC */
	wr(nic, E1000_RDT, nic->rx_count - 1);
	nic->rx_next = 0;
}

static void setup_tx(struct e1000e *nic)
{
	uint64_t ring = nic->dma.bus + ring_bytes(nic->rx_count);

	wr(nic, E1000_TDBAL, (uint32_t)ring);
	wr(nic, E1000_TDBAH, (uint32_t)(ring >> 32));
	wr(nic, E1000_TDLEN, (uint32_t)ring_bytes(nic->tx_count));
	wr(nic, E1000_TDH, 0);
	wr(nic, E1000_TDT, 0);
	wr(nic, E1000_TIDV, 0);
	/* IPGT 8, IPGR1 8, IPGR2 6: the datasheet's values for copper */
	wr(nic, E1000_TIPG, 8 | 8u << 10 | 6u << 20);
	wr(nic, E1000_TARC0, rd(nic, E1000_TARC0) | E1000_TARC_ENABLE);
	wr(nic, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
	   E1000_TCTL_CT(0x0f) | E1000_TCTL_COLD(0x3f));
	nic->tx_next = 0;
	nic->tx_clean = 0;
}

/*
 * The NIC's interrupt through atemsys. Only receive and link causes are
 * unmasked: RXT0 is what INTx and MSI raise, RXQ0 and OTHER what MSI-X
 * raises (routed to vector 0 by IVAR; atemsys allocates one vector).
 */
static int setup_irq(struct e1000e *nic)
{
	if (atemsys_irq_connect(nic->fd, ATEMSYS_USE_PCI_INT))
		return fail(nic, errno, "%s: INT_CONNECT: %s", nic->bdf,
			    strerror(errno));
	if (atemsys_irq_number(nic->fd, &nic->irq))
		return fail(nic, errno, "%s: INT_INFO: %s", nic->bdf,
			    strerror(errno));
	nic->irq_mode = irq_mode_of(nic->bdf, nic->irq);
	wr(nic, E1000_IVAR, E1000_IVAR_RXQ0(0) | E1000_IVAR_TXQ0(0) |
	   E1000_IVAR_OTHER(0));
	wr(nic, E1000_EIAC, 0);
	(void)rd(nic, E1000_ICR);
	wr(nic, E1000_ICR, 0xffffffffu);
	wr(nic, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_RXQ0 | E1000_ICR_RXO |
	   E1000_ICR_LSC | E1000_ICR_OTHER);
	return 0;
}

bool e1000e_link_up(struct e1000e *nic, unsigned int *mbps)
{
	static const unsigned int speed[4] = { 10, 100, 1000, 1000 };
	uint32_t status = rd(nic, E1000_STATUS);

	if (mbps)
		*mbps = speed[(status & E1000_STATUS_SPEED_MASK) >>
			      E1000_STATUS_SPEED_SHIFT];
	return status & E1000_STATUS_LU;
}

static int wait_link(struct e1000e *nic, unsigned int timeout_ms)
{
	uint64_t deadline = now_ns() + timeout_ms * NSEC_PER_MSEC;

	while (!e1000e_link_up(nic, NULL)) {
		if (now_ns() > deadline)
			return fail(nic, ETIMEDOUT, "%s: no link within %u ms (STATUS 0x%08x): is the NIC connected?",
				    nic->bdf, timeout_ms, rd(nic, E1000_STATUS));
		usleep(1000);
	}
	return 0;
}

int e1000e_open(struct e1000e *nic, const struct e1000e_config *cfg)
{
	int err;

	memset(nic, 0, sizeof(*nic));
	nic->fd = -1;
	if (cfg->rx_count < 8 || cfg->rx_count > E1000E_RING_MAX ||
	    cfg->rx_count % 8 || cfg->tx_count < 8 ||
	    cfg->tx_count > E1000E_RING_MAX || cfg->tx_count % 8)
		return fail(nic, EINVAL, "ring sizes %u/%u: each must be a multiple of 8 from 8 to %u",
			    cfg->rx_count, cfg->tx_count, E1000E_RING_MAX);
	nic->rx_count = cfg->rx_count;
	nic->tx_count = cfg->tx_count;

	if (claim(nic, cfg) || reset(nic) || read_mac(nic) ||
	    alloc_rings(nic))
		goto err;
	setup_rx(nic);
	setup_tx(nic);
	wr(nic, E1000_CTRL, rd(nic, E1000_CTRL) | E1000_CTRL_SLU);
	if (cfg->irq && setup_irq(nic))
		goto err;
	if (cfg->link_timeout_ms && wait_link(nic, cfg->link_timeout_ms))
		goto err;
	return 0;

err:
	err = errno;
	e1000e_close(nic);
	errno = err;
	return -1;
}

void e1000e_close(struct e1000e *nic)
{
	if (nic->regs) {
		/* quiet before atemsys turns bus mastering off */
		wr(nic, E1000_IMC, 0xffffffffu);
		wr(nic, E1000_RCTL, 0);
		wr(nic, E1000_TCTL, 0);
		wr(nic, E1000_CTRL, rd(nic, E1000_CTRL) | E1000_CTRL_RST);
		usleep(10);
	}
	if (nic->fd >= 0 && nic->irq)
		atemsys_irq_disconnect(nic->fd);
	atemsys_dma_free(&nic->dma);
	if (nic->regs)
		atemsys_unmap_io(nic->regs, nic->regs_len);
	if (nic->fd >= 0)
		close(nic->fd);
	nic->regs = NULL;
	nic->fd = -1;
	nic->irq = 0;
	nic->irq_mode = E1000E_IRQ_NONE;
}

/* Move tx_clean past the descriptors the NIC has sent */
static void tx_reclaim(struct e1000e *nic)
{
	while (nic->tx_clean != nic->tx_next &&
	       (nic->tx[nic->tx_clean].status & E1000_TXD_STAT_DD)) {
		nic->tx_clean = (nic->tx_clean + 1) % nic->tx_count;
	}
}

int e1000e_send(struct e1000e *nic, const void *frame, size_t len)
{
	uint32_t i = nic->tx_next, next = (i + 1) % nic->tx_count;
	uint8_t *buf;
	size_t wire;

	if (len < 14 || len > E1000E_FRAME_MAX) {
		snprintf(nic->err, sizeof(nic->err),
			 "frame of %zu bytes: an Ethernet frame has 14 to %u (without FCS)",
			 len, E1000E_FRAME_MAX);
		errno = EMSGSIZE;
		return -1;
	}
	tx_reclaim(nic);
	if (next == nic->tx_clean) {
		nic->stats.tx_busy++;
		errno = EAGAIN;
		return -1;
	}
	buf = nic->tx_buf + (size_t)i * E1000E_BUF_SIZE;
	memcpy(buf, frame, len);
	wire = len;
	if (wire < E1000E_FRAME_MIN) {
		memset(buf + len, 0, E1000E_FRAME_MIN - len);
		wire = E1000E_FRAME_MIN;
	}
	nic->tx[i].addr = nic->tx_buf_bus + (uint64_t)i * E1000E_BUF_SIZE;
	nic->tx[i].length = (uint16_t)wire;
	nic->tx[i].cso = 0;
	nic->tx[i].cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
			 E1000_TXD_CMD_RS;
	nic->tx[i].status = 0;
	nic->tx[i].css = 0;
	nic->tx[i].special = 0;
	nic->tx_next = next;
	dma_wmb();
	wr(nic, E1000_TDT, next);
	nic->stats.tx_frames++;
	nic->stats.tx_bytes += len;
	return 0;
}

/* Give descriptor i back to the NIC */
static void rx_refill(struct e1000e *nic, uint32_t i)
{
	nic->rx[i].status = 0;
	nic->rx[i].errors = 0;
	nic->rx[i].special = 0;
	nic->rx_next = (i + 1) % nic->rx_count;
	dma_wmb();
	wr(nic, E1000_RDT, i);
}

int e1000e_recv(struct e1000e *nic, void *buf, size_t cap)
{
	uint32_t i = nic->rx_next;
	volatile struct e1000e_rx_desc *d = &nic->rx[i];
	uint8_t status = d->status, errors;
	uint16_t len;

	if (!(status & E1000_RXD_STAT_DD))
		return 0;
	dma_rmb();
	len = d->length;
	errors = d->errors & E1000_RXD_ERR_MASK & ~E1000_RXD_ERR_CSUM;
	if (errors) {
		nic->stats.rx_errors++;
		rx_refill(nic, i);
		return 0;
	}
	if (!(status & E1000_RXD_STAT_EOP) || len > cap) {
		/* a frame over several buffers is longer than we ever send */
		nic->stats.rx_dropped++;
		rx_refill(nic, i);
		if (len > cap) {
			snprintf(nic->err, sizeof(nic->err),
				 "received frame of %u bytes, buffer holds %zu",
				 len, cap);
			errno = EMSGSIZE;
			return -1;
		}
		return 0;
	}
	memcpy(buf, nic->rx_buf + (size_t)i * E1000E_BUF_SIZE, len);
	rx_refill(nic, i);
	nic->stats.rx_frames++;
	nic->stats.rx_bytes += len;
	return len;
}

/* Clear the interrupt causes; returns them */
static uint32_t ack_causes(struct e1000e *nic)
{
	uint32_t icr = rd(nic, E1000_ICR);

	/* read clears them except in some MSI-X cases: write 1s as well */
	if (icr)
		wr(nic, E1000_ICR, icr);
	return icr;
}

int e1000e_recv_wait(struct e1000e *nic, void *buf, size_t cap,
		     uint32_t timeout_us)
{
	uint64_t deadline = now_ns() + timeout_us * NSEC_PER_USEC;
	uint32_t count;
	int n, ms, r;

	for (;;) {
		n = e1000e_recv(nic, buf, cap);
		if (n)
			return n;
		if (nic->irq) {
			/*
			 * Clear the causes, then look again: a frame that
			 * came in between raises a new cause, hence a new
			 * interrupt, so the wait below cannot miss it.
			 */
			ack_causes(nic);
			n = e1000e_recv(nic, buf, cap);
			if (n)
				return n;
		}
		if (now_ns() >= deadline)
			return 0;
		if (!nic->irq)
			continue;
		ms = (int)((deadline - now_ns() + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		nic->stats.irq_waits++;
		r = atemsys_irq_wait(nic->fd, ms, &count);
		if (r < 0) {
			snprintf(nic->err, sizeof(nic->err),
				 "%s: waiting for the interrupt: %s", nic->bdf,
				 strerror(errno));
			return -1;
		}
		if (!r)
			nic->stats.irq_timeouts++;
		nic->stats.irqs += count;
	}
}

void e1000e_update_stats(struct e1000e *nic)
{
	struct e1000e_stats *s = &nic->stats;

	s->hw_gprc += rd(nic, E1000_GPRC);
	s->hw_gptc += rd(nic, E1000_GPTC);
	s->hw_tpr += rd(nic, E1000_TPR);
	s->hw_tpt += rd(nic, E1000_TPT);
	s->hw_ruc += rd(nic, E1000_RUC);
	s->hw_roc += rd(nic, E1000_ROC);
	s->hw_mpc += rd(nic, E1000_MPC);
}
