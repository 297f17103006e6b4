/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EtherCAT link layers: one interface, two ways to put frames on the wire.
 *
 *   atemsys  the userspace e1000e driver (lib/e1000e.h) on the NIC's PCI
 *            function through atemsys: no kernel network stack at all;
 *            frames received by polling the RX ring or by the NIC's
 *            interrupt (MSI-X, MSI or INTx, as atemsys connects it)
 *            or a device-tree MAC (lib/dtmac.h: the i.MX FEC, the Cadence
 *            GEM) bound with GET_MAC_INFO, its PHY run by Linux phylib
 *            through atemsys' MDIO proxy
 *   packet   a raw AF_PACKET socket on the NIC's kernel network interface
 *            (the kernel's own driver, e.g. e1000e, fec, macb): what a
 *            raw-socket master such as SOEM does
 *   dgram    Ethernet frames as UDP datagrams on 127.0.0.1, the other end
 *            of a QEMU board's "-netdev dgram": the slave simulator on the
 *            host for a board with one MAC (link_dgram.c)
 *
 * The master and the slave simulator only use ecat_link_send() and
 * ecat_link_recv(); neither allocates.
 */
#ifndef ECAT_LINK_H
#define ECAT_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtmac.h"
#include "e1000e.h"

enum ecat_link_kind {
	ECAT_LINK_ATEMSYS,
	ECAT_LINK_PACKET,
	ECAT_LINK_DGRAM,
};

/* What ecat_link_state() says */
enum ecat_link_state {
	ECAT_LINK_DOWN = 0,
	ECAT_LINK_UP = 1,
	ECAT_LINK_UNKNOWN = 2,	/* the link layer cannot tell */
};

/**
 * struct ecat_link_config - which NIC, which way
 * @nic:     a PCI function "0000:00:04.0", "e1000e:N" (the N-th 82574L in
 *           B/D/F order, 0 first), a device-tree MAC "IDENT:INSTANCE"
 *           (its atemsys-Ident and atemsys-Instance: "FslFec:1", "GEM:1"),
 *           (packet only) an interface name, or (dgram only) two UDP ports
 *           "LOCAL:REMOTE" on 127.0.0.1
 * @irq:     atemsys: sleep on the NIC's interrupt instead of polling
 * @irq_cpu: atemsys with @irq: route the interrupt to this CPU (-1: leave)
 */
struct ecat_link_config {
	enum ecat_link_kind kind;
	const char *nic;
	bool irq;
	int irq_cpu;
};

/* Counters of one link */
struct ecat_link_stats {
	uint64_t tx_frames;
	uint64_t rx_frames;
	uint64_t irqs;		/* atemsys with interrupts */
	uint64_t irq_waits;	/* sleeps waiting for an interrupt */
	uint64_t irq_timeouts;	/* of those, ended without one */
	uint64_t rx_dropped;	/* NIC or kernel drops seen */
};

struct ecat_link;

struct ecat_link_ops {
	int (*send)(struct ecat_link *l, const void *frame, size_t len);
	int (*recv)(struct ecat_link *l, void *buf, size_t cap,
		    uint32_t timeout_us);
	void (*stats)(struct ecat_link *l, struct ecat_link_stats *st);
	/* enum ecat_link_state; NULL: ECAT_LINK_UNKNOWN */
	int (*state)(struct ecat_link *l);
	void (*close)(struct ecat_link *l);
};

/**
 * struct ecat_link - an open link layer
 * @desc:  what it is, e.g. "atemsys e1000e 0000:00:04.0, MSI-X interrupt"
 * @mac:   the NIC's MAC address
 * @err:   the last failure, for the user
 */
struct ecat_link {
	const struct ecat_link_ops *ops;
	enum ecat_link_kind kind;
	char desc[96];
	char bdf[ATEMSYS_BDF_LEN];	/* "" for a packet link by interface name */
	uint8_t mac[6];
	char err[320];
	bool dt;			/* atemsys on a device-tree MAC */
	union {
		struct e1000e nic;
		struct dtmac mac;
		struct {
			int fd;
			uint16_t local, remote;	/* UDP ports on 127.0.0.1 */
			uint64_t tx, rx;
		} dg;
		struct {
			int fd;
			int ifindex;
			char ifname[IF_NAMESIZE];
			uint64_t tx, rx;
		} pkt;
	} u;
};

/**
 * ecat_link_open() - open the link layer @cfg describes.
 * Return: 0, or -1 with errno and l->err saying what to do (e.g. a NIC a
 * kernel driver holds cannot be opened with atemsys: unbind it; a NIC
 * without a kernel driver has no interface for packet: bind one).
 */
int ecat_link_open(struct ecat_link *l, const struct ecat_link_config *cfg);

/* Send one Ethernet frame (no FCS). 0, or -1 with errno */
static inline int ecat_link_send(struct ecat_link *l, const void *frame,
				 size_t len)
{
	return l->ops->send(l, frame, len);
}

/*
 * The next received frame within @timeout_us µs: its length, 0 on timeout,
 * -1 with errno.
 */
static inline int ecat_link_recv(struct ecat_link *l, void *buf, size_t cap,
				 uint32_t timeout_us)
{
	return l->ops->recv(l, buf, cap, timeout_us);
}

void ecat_link_stats(struct ecat_link *l, struct ecat_link_stats *st);
void ecat_link_close(struct ecat_link *l);

/**
 * ecat_link_state() - is the link up: the NIC's own status (e1000e
 * STATUS.LU), phylib's last report (a device-tree MAC: GET_PHY_INFO, which
 * phylib refreshes once a second), the interface's carrier (packet), or
 * ECAT_LINK_UNKNOWN (dgram).
 */
enum ecat_link_state ecat_link_state(struct ecat_link *l);

/* "atemsys" / "packet" / "dgram" from a --link argument; -1 if none */
int ecat_link_kind_parse(const char *s);

/* The link kinds' implementations */
int ecat_link_open_atemsys(struct ecat_link *l, const struct ecat_link_config *cfg,
			   const struct atemsys_pci_loc *loc);
int ecat_link_open_atemsys_dt(struct ecat_link *l,
			      const struct ecat_link_config *cfg,
			      const char *ident, uint32_t instance);
int ecat_link_open_packet(struct ecat_link *l, const char *ifname);
int ecat_link_open_dgram(struct ecat_link *l, const char *nic);

#endif /* ECAT_LINK_H */
