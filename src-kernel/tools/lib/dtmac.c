// SPDX-License-Identifier: GPL-2.0
/*
 * What the device-tree MAC drivers share; see dtmac.h. The MACs' own code
 * is in fec.c and gem.c.
 *
 * Facts from the module (src-kernel/README.md, "Behaviour"): GET_MAC_INFO
 * binds the node to the fd and makes its reg ranges mappable and DMA go to
 * its device; PHY_START_STOP(1) returns at once and phylib's MDIO accesses
 * then wait as orders (GET_MDIO_ORDER never blocks) until answered or
 * mdio_timeout_ms passes; GET_PHY_INFO is phylib's last link report.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dtmac.h"
#include "io.h"
#include "timing.h"

#define MDIO_FRAME_TIMEOUT_NS	(100 * NSEC_PER_MSEC)

static int fail(struct dtmac *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct dtmac *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

const struct dtmac_ops *dtmac_ops_find(const char *ident)
{
	if (!strcmp(ident, dtmac_fec_ops.ident))
		return &dtmac_fec_ops;
	if (!strcmp(ident, dtmac_gem_ops.ident))
		return &dtmac_gem_ops;
	return NULL;
}

static int bind_node(struct dtmac *m, const struct dtmac_config *cfg)
{
	int err;

	m->ops = dtmac_ops_find(cfg->ident);
	if (!m->ops)
		return fail(m, EOPNOTSUPP, "atemsys-Ident \"%s\": there is a userspace driver for \"%s\" (i.MX FEC/ENET) and \"%s\" (Cadence GEM) only",
			    cfg->ident, dtmac_fec_ops.ident, dtmac_gem_ops.ident);
	m->fd = atemsys_open();
	if (m->fd < 0) {
		err = errno;
		return fail(m, err, "open " ATEMSYS_FILE_NAME ": %s (%s)",
			    strerror(err), err == ENOENT ? "load atemsys.ko first" :
			    err == EACCES ? "add the user to the group that owns it" :
			    "is the module loaded?");
	}
	if (atemsys_mac_info(m->fd, cfg->ident, cfg->instance, &m->mi)) {
		err = errno;
		if (err == ENOENT)
			return fail(m, err, "no device-tree node with atemsys-Ident \"%s\" and atemsys-Instance %u (compatible \"atemsys\"): see the board's DT overlay",
				    cfg->ident, cfg->instance);
		if (err == EBUSY)
			return fail(m, err, "%s:%u is held by another process (the kernel log names its pid)",
				    cfg->ident, cfg->instance);
		return fail(m, err, "GET_MAC_INFO %s:%u: %s%s", cfg->ident,
			    cfg->instance, strerror(err), err == ENOTTY ||
			    err == EOPNOTSUPP ? " (atemsys without device-tree mode)" : "");
	}
	snprintf(m->name, sizeof(m->name), "%s:%u (%s at 0x%llx)", cfg->ident,
		 cfg->instance, m->ops->name, (unsigned long long)m->mi.reg_addr);
	if (!m->mi.reg_size)
		return fail(m, ENODEV, "%s: the node has no reg range", m->name);
	m->regs = atemsys_map_io(m->fd, m->mi.reg_addr, m->mi.reg_size);
	if (!m->regs)
		return fail(m, errno, "%s: mmap of its %u register bytes: %s",
			    m->name, m->mi.reg_size, strerror(errno));
	m->regs_len = m->mi.reg_size;
	return 0;
}

/*
 * One DMA buffer: RX ring, TX ring with two spare descriptors after it (the
 * GEM parks its other queues there), each 64-byte aligned, then the RX and
 * TX buffers.
 */
static int alloc_rings(struct dtmac *m)
{
	size_t rxr = ((size_t)m->rx_count * 8 + 63) & ~(size_t)63;
	size_t txr = ((size_t)m->tx_count * 8 + 16 + 63) & ~(size_t)63;
	size_t size = rxr + txr + (size_t)(m->rx_count + m->tx_count) *
		      DTMAC_BUF_SIZE;
	uint8_t *base;
	uint64_t bus;

	if (atemsys_dma_alloc(m->fd, size, &m->dma))
		return fail(m, errno, "%s: DMA buffer of %zu bytes: %s", m->name,
			    size, strerror(errno));
	bus = m->dma.bus;
	if (bus + m->dma.size > 0x100000000ull)
		return fail(m, ENOMEM, "%s: DMA buffer at bus address 0x%llx: these descriptors take 32-bit addresses",
			    m->name, (unsigned long long)bus);
	base = m->dma.virt;
	memset(base, 0, m->dma.size);
	m->rx_ring = base;
	m->rx_ring_bus = (uint32_t)bus;
	m->tx_ring = base + rxr;
	m->tx_ring_bus = (uint32_t)(bus + rxr);
	m->rx_buf = base + rxr + txr;
	m->rx_buf_bus = (uint32_t)(bus + rxr + txr);
	m->tx_buf = m->rx_buf + (size_t)m->rx_count * DTMAC_BUF_SIZE;
	m->tx_buf_bus = m->rx_buf_bus + m->rx_count * DTMAC_BUF_SIZE;
	return 0;
}

/* One order on the management port; all ones for Clause 45 or no answer */
static uint16_t mdio_do(struct dtmac *m, const struct atemsys_mdio_order *o)
{
	uint64_t deadline;
	uint16_t val = o->value;

	if (o->c45_dev_addr)
		return 0xffff;
	m->ops->mdio_start(m, o->write_order, o->mdio_addr, o->reg, o->value);
	deadline = now_ns() + MDIO_FRAME_TIMEOUT_NS;
	while (!m->ops->mdio_done(m, &val))
		if (now_ns() > deadline)
			return 0xffff;
	return val;
}

int dtmac_service(struct dtmac *m, bool now)
{
	struct atemsys_mdio_order o;
	uint64_t t;
	int r;

	if (!m->phy)
		return 0;
	t = now_ns();
	if (!now && t < m->next_service_ns)
		return 0;
	m->next_service_ns = t + DTMAC_SERVICE_NS;
	r = atemsys_mdio_order_get(m->fd, m->mi.index, &o);
	if (r <= 0)
		return r;
	o.value = mdio_do(m, &o);
	/* ETIMEDOUT: phylib gave up on it meanwhile; nothing to do */
	(void)atemsys_mdio_order_return(m->fd, &o);
	m->stats.mdio_orders++;
	return 0;
}

int dtmac_link(struct dtmac *m, unsigned int *mbps)
{
	struct atemsys_phy_info pi;

	if (!m->phy) {
		if (mbps)
			*mbps = m->speed;
		return 1;
	}
	if (atemsys_phy_info(m->fd, m->mi.index, &pi))
		return 0;
	if (mbps)
		*mbps = pi.speed;
	return pi.link && pi.phy_ready ? 1 : 0;
}

/* PHY started through the proxy, orders served until phylib sees link */
static int start_phy(struct dtmac *m, unsigned int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	struct atemsys_phy_info pi = { 0 };
	uint32_t ec = 0;

	if (m->mi.phy_mode & ATEMSYS_PHY_FIXED_LINK) {
		m->speed = 0;
		m->full_duplex = true;
		return 0;
	}
	if (atemsys_phy_start_stop(m->fd, m->mi.index, true, &ec))
		return fail(m, errno, "%s: PHY_START_STOP(1): %s (error code 0x%08x)",
			    m->name, strerror(errno), ec);
	m->phy = true;
	if (!timeout_ms)
		return 0;
	for (;;) {
		if (dtmac_service(m, true))
			return fail(m, errno, "%s: GET_MDIO_ORDER: %s", m->name,
				    strerror(errno));
		if (!atemsys_phy_info(m->fd, m->mi.index, &pi) && pi.phy_ready &&
		    pi.link)
			break;
		if (pi.error_code == ATEMSYS_EC_E_NOTFOUND)
			return fail(m, ENODEV, "%s: no PHY answered at the node's phy-handle (address %u)",
				    m->name, m->mi.phy_addr);
		if (now_ns() > deadline)
			return fail(m, ETIMEDOUT, "%s: phylib saw no link within %u ms (PHY ready %u, error code 0x%08x): is the cable (the QEMU netdev) connected and up?",
				    m->name, timeout_ms, pi.phy_ready, pi.error_code);
		usleep(200);
	}
	m->speed = pi.speed;
	m->full_duplex = pi.duplex == 1;
	return 0;
}

/*
 * Frames that were waiting when RX came on are dropped: not answers to
 * anything this process sent. (QEMU's MACs do not drop what arrives while
 * RX is off or the ring is full: the network layer keeps it and hands it
 * over when RX is enabled again, so a simulator would answer a master that
 * gave up long ago.) At most DTMAC_STALE_MAX, counted in rx_stale.
 */
#define DTMAC_STALE_MAX		4096

static int rx_take(struct dtmac *m, void *buf, size_t cap);

static void drop_stale(struct dtmac *m)
{
	uint8_t buf[DTMAC_BUF_SIZE];
	unsigned int i;

	for (i = 0; i < DTMAC_STALE_MAX; i++) {
		int n = rx_take(m, buf, sizeof(buf));

		if (!n)
			break;
		m->stats.rx_stale++;
	}
}

static int connect_irq(struct dtmac *m, uint32_t index)
{
	if (atemsys_irq_connect(m->fd, index))
		return fail(m, errno, "%s: INT_CONNECT(%u): %s%s", m->name, index,
			    strerror(errno), errno == ENXIO ?
			    " (the node has no such interrupt)" : "");
	if (atemsys_irq_number(m->fd, &m->irq))
		return fail(m, errno, "%s: INT_INFO: %s", m->name,
			    strerror(errno));
	return 0;
}

int dtmac_open(struct dtmac *m, const struct dtmac_config *cfg)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (cfg->rx_count < 4 || cfg->rx_count > DTMAC_RING_MAX ||
	    cfg->tx_count < 4 || cfg->tx_count > DTMAC_RING_MAX)
		return fail(m, EINVAL, "ring sizes %u/%u: each 4 to %u",
			    cfg->rx_count, cfg->tx_count, DTMAC_RING_MAX);
	m->rx_count = cfg->rx_count;
	m->tx_count = cfg->tx_count;
	if (bind_node(m, cfg) || alloc_rings(m))
		goto err;
	m->ops->mac_get(m, m->mac);
	if (start_phy(m, cfg->link_timeout_ms) || m->ops->start(m))
		goto err;
	drop_stale(m);
	if (cfg->irq && connect_irq(m, cfg->irq_index))
		goto err;
	return 0;

err:
	err = errno;
	dtmac_close(m);
	errno = err;
	return -1;
}

void dtmac_close(struct dtmac *m)
{
	if (m->regs && m->ops)
		m->ops->stop(m);
	if (m->fd >= 0 && m->irq)
		atemsys_irq_disconnect(m->fd);
	if (m->fd >= 0 && m->phy)
		(void)atemsys_phy_start_stop(m->fd, m->mi.index, false, NULL);
	atemsys_dma_free(&m->dma);
	if (m->regs)
		atemsys_unmap_io(m->regs, m->regs_len);
	if (m->fd >= 0)
		close(m->fd);
	m->regs = NULL;
	m->fd = -1;
	m->irq = 0;
	m->phy = false;
}

int dtmac_send(struct dtmac *m, const void *frame, size_t len)
{
	uint32_t i = m->tx_next, next = (i + 1) % m->tx_count;
	uint8_t *buf = m->tx_buf + (size_t)i * DTMAC_BUF_SIZE;
	size_t wire = len;

	if (len < 14 || len > DTMAC_FRAME_MAX)
		return fail(m, EMSGSIZE, "frame of %zu bytes: an Ethernet frame has 14 to %u (without FCS)",
			    len, DTMAC_FRAME_MAX);
	(void)dtmac_service(m, false);
	while (m->tx_clean != m->tx_next && m->ops->tx_done(m, m->tx_clean))
		m->tx_clean = (m->tx_clean + 1) % m->tx_count;
	if (next == m->tx_clean) {
		m->stats.tx_busy++;
		return fail(m, EAGAIN, "%s: TX ring full", m->name);
	}
	/* neither MAC pads what it sends in QEMU */
	memcpy(buf, frame, len);
	if (wire < DTMAC_FRAME_MIN) {
		memset(buf + len, 0, DTMAC_FRAME_MIN - len);
		wire = DTMAC_FRAME_MIN;
	}
	m->ops->tx_hand(m, i, wire);
	m->tx_next = next;
	m->stats.tx_frames++;
	m->stats.tx_bytes += len;
	return 0;
}

/* The next frame copied out and its descriptor given back: its length, 0, -1 */
static int rx_take(struct dtmac *m, void *buf, size_t cap)
{
	uint32_t i = m->rx_next;
	uint16_t len = 0;
	int r = m->ops->rx_frame(m, i, &len);

	if (!r)
		return 0;
	if (r > 0 && len <= cap)
		memcpy(buf, m->rx_buf + (size_t)i * DTMAC_BUF_SIZE, len);
	m->ops->rx_refill(m, i);
	m->rx_next = (i + 1) % m->rx_count;
	if (r < 0)
		return 0;
	if (len > cap) {
		m->stats.rx_dropped++;
		return fail(m, EMSGSIZE, "received frame of %u bytes, buffer holds %zu",
			    len, cap);
	}
	return len;
}

int dtmac_recv(struct dtmac *m, void *buf, size_t cap)
{
	int n;

	(void)dtmac_service(m, false);
	n = rx_take(m, buf, cap);
	if (n > 0) {
		m->stats.rx_frames++;
		m->stats.rx_bytes += (uint64_t)n;
	}
	return n;
}

int dtmac_recv_wait(struct dtmac *m, void *buf, size_t cap,
		    uint32_t timeout_us)
{
	uint64_t deadline = now_ns() + timeout_us * NSEC_PER_USEC, now;
	uint32_t count;
	int n, ms, r;

	for (;;) {
		n = dtmac_recv(m, buf, cap);
		if (n)
			return n;
		if (m->irq) {
			/* a frame after the ack raises a new event: not missed */
			m->ops->irq_ack(m);
			n = dtmac_recv(m, buf, cap);
			if (n)
				return n;
		}
		now = now_ns();
		if (now >= deadline)
			return 0;
		if (!m->irq)
			continue;
		ms = (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		if (ms > DTMAC_IRQ_SLICE_MS)
			ms = DTMAC_IRQ_SLICE_MS;
		m->stats.irq_waits++;
		r = atemsys_irq_wait(m->fd, ms, &count);
		if (r < 0)
			return fail(m, errno, "%s: waiting for the interrupt: %s",
				    m->name, strerror(errno));
		if (!r)
			m->stats.irq_timeouts++;
		m->stats.irqs += count;
	}
}
