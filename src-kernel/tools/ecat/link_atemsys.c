// SPDX-License-Identifier: GPL-2.0
/*
 * The atemsys link layer: the userspace e1000e driver; see link.h.
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

static void at_close(struct ecat_link *l)
{
	e1000e_close(&l->u.nic);
}

static const struct ecat_link_ops atemsys_ops = {
	.send = at_send,
	.recv = at_recv,
	.stats = at_stats,
	.close = at_close,
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
