// SPDX-License-Identifier: GPL-2.0
/*
 * The atemsys link layer: the userspace e1000e driver on a PCI function,
 * or the userspace FEC/GEM drivers on a device-tree MAC; see link.h.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "link.h"

static int at_send(struct ecat_link *l, const void *frame, size_t len)
{
	if (e1000e_send(&l->u.nic, frame, len)) {
		snprintf(l->err, sizeof(l->err), "send: %s",
			 errno == EAGAIN ? "TX ring full" : l->u.nic.err);
		return -1;
	}
	return 0;
}

static int at_recv(struct ecat_link *l, void *buf, size_t cap,
		   uint32_t timeout_us)
{
	int n = e1000e_recv_wait(&l->u.nic, buf, cap, timeout_us);

	if (n < 0)
		snprintf(l->err, sizeof(l->err), "receive: %s", l->u.nic.err);
	return n;
}

static void at_stats(struct ecat_link *l, struct ecat_link_stats *st)
{
	struct e1000e_stats *s = &l->u.nic.stats;

	e1000e_update_stats(&l->u.nic);
	st->tx_frames = s->tx_frames;
	st->rx_frames = s->rx_frames;
	st->irqs = s->irqs;
	st->irq_waits = s->irq_waits;
	st->irq_timeouts = s->irq_timeouts;
	st->rx_dropped = s->rx_dropped + s->rx_errors + s->hw_mpc;
}

static int at_state(struct ecat_link *l)
{
	return e1000e_link_up(&l->u.nic, NULL) ? ECAT_LINK_UP : ECAT_LINK_DOWN;
}

static void at_close(struct ecat_link *l)
{
	e1000e_close(&l->u.nic);
}

static const struct ecat_link_ops atemsys_ops = {
	.send = at_send,
	.recv = at_recv,
	.stats = at_stats,
	.state = at_state,
	.close = at_close,
};

static int dt_send(struct ecat_link *l, const void *frame, size_t len)
{
	if (dtmac_send(&l->u.mac, frame, len)) {
		snprintf(l->err, sizeof(l->err), "send: %s", l->u.mac.err);
		return -1;
	}
	return 0;
}

static int dt_recv(struct ecat_link *l, void *buf, size_t cap,
		   uint32_t timeout_us)
{
	int n = dtmac_recv_wait(&l->u.mac, buf, cap, timeout_us);

	if (n < 0)
		snprintf(l->err, sizeof(l->err), "receive: %s", l->u.mac.err);
	return n;
}

static void dt_stats(struct ecat_link *l, struct ecat_link_stats *st)
{
	struct dtmac_stats *s = &l->u.mac.stats;

	st->tx_frames = s->tx_frames;
	st->rx_frames = s->rx_frames;
	st->irqs = s->irqs;
	st->irq_waits = s->irq_waits;
	st->irq_timeouts = s->irq_timeouts;
	st->rx_dropped = s->rx_dropped + s->rx_errors;
}

static int dt_state(struct ecat_link *l)
{
	return dtmac_link(&l->u.mac, NULL) ? ECAT_LINK_UP : ECAT_LINK_DOWN;
}

static void dt_close(struct ecat_link *l)
{
	dtmac_close(&l->u.mac);
}

static const struct ecat_link_ops atemsys_dt_ops = {
	.send = dt_send,
	.recv = dt_recv,
	.stats = dt_stats,
	.state = dt_state,
	.close = dt_close,
};

int ecat_link_open_atemsys(struct ecat_link *l, const struct ecat_link_config *cfg,
			   const struct atemsys_pci_loc *loc)
{
	struct e1000e_config nc = E1000E_CONFIG_DEFAULT;
	struct e1000e *nic = &l->u.nic;

	nc.loc = *loc;
	nc.irq = cfg->irq;
	if (e1000e_open(nic, &nc)) {
		snprintf(l->err, sizeof(l->err), "%s", nic->err);
		return -1;
	}
	if (cfg->irq && cfg->irq_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->irq_cpu, &set);
		/* best effort: a single-CPU guest has nothing to route */
		(void)atemsys_irq_affinity(nic->fd, &set);
	}
	memcpy(l->mac, nic->mac, 6);
	snprintf(l->desc, sizeof(l->desc), "atemsys e1000e %s, %s", nic->bdf,
		 cfg->irq ? e1000e_irq_mode_name(nic->irq_mode) : "polling");
	l->ops = &atemsys_ops;
	return 0;
}

int ecat_link_open_atemsys_dt(struct ecat_link *l,
			      const struct ecat_link_config *cfg,
			      const char *ident, uint32_t instance)
{
	struct dtmac_config mc = DTMAC_CONFIG_DEFAULT;
	struct dtmac *m = &l->u.mac;

	mc.ident = ident;
	mc.instance = instance;
	mc.irq = cfg->irq;
	if (dtmac_open(m, &mc)) {
		snprintf(l->err, sizeof(l->err), "%s", m->err);
		return -1;
	}
	if (cfg->irq && cfg->irq_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->irq_cpu, &set);
		(void)atemsys_irq_affinity(m->fd, &set);
	}
	l->dt = true;
	memcpy(l->mac, m->mac, 6);
	snprintf(l->desc, sizeof(l->desc), "atemsys %s, %u Mbit/s, %s", m->name,
		 m->speed, cfg->irq ? "interrupt" : "polling");
	l->ops = &atemsys_dt_ops;
	return 0;
}
