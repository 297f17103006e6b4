// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a link layer from a NIC name; see link.h.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "link.h"

int ecat_link_kind_parse(const char *s)
{
	if (!strcmp(s, "atemsys"))
		return ECAT_LINK_ATEMSYS;
	if (!strcmp(s, "packet"))
		return ECAT_LINK_PACKET;
	if (!strcmp(s, "dgram"))
		return ECAT_LINK_DGRAM;
	return -1;
}

/*
 * "IDENT:INSTANCE" of a device-tree MAC (not "e1000e:N", not a B/D/F):
 * 1 with @ident and @instance set, else 0
 */
static int dt_location(const char *nic, char *ident, size_t len,
		       uint32_t *instance)
{
	const char *colon = strrchr(nic, ':');
	unsigned long n;
	char *end;
	size_t i;

	if (!colon || colon == nic || (size_t)(colon - nic) >= len ||
	    !strncmp(nic, "e1000e:", 7))
		return 0;
	for (i = 0; nic + i < colon; i++)
		if (!(nic[i] >= 'A' && nic[i] <= 'Z') &&
		    !(nic[i] >= 'a' && nic[i] <= 'z') &&
		    !(nic[i] >= '0' && nic[i] <= '9' && i) && nic[i] != '-' &&
		    nic[i] != '_')
			return 0;
	errno = 0;
	n = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || n > 0xffffffffUL)
		return 0;
	memcpy(ident, nic, (size_t)(colon - nic));
	ident[colon - nic] = '\0';
	*instance = (uint32_t)n;
	return 1;
}

/* "e1000e:N" or a B/D/F into a PCI location; 1 if @nic is neither */
static int nic_location(const char *nic, struct atemsys_pci_loc *loc)
{
	char *end;
	unsigned long n;

	if (!strncmp(nic, "e1000e:", 7)) {
		n = strtoul(nic + 7, &end, 10);
		if (*end || end == nic + 7) {
			errno = EINVAL;
			return -1;
		}
		return pci_find_id(E1000E_VENDOR, E1000E_DEVICE,
				      (unsigned int)n, loc);
	}
	return atemsys_pci_parse(nic, loc) ? 1 : 0;
}

int ecat_link_open(struct ecat_link *l, const struct ecat_link_config *cfg)
{
	struct atemsys_pci_loc loc;
	char ifname[IF_NAMESIZE];
	int r;

	char ident[ATEMSYS_IDENT_MAX_LEN];
	uint32_t instance;

	memset(l, 0, sizeof(*l));
	l->kind = cfg->kind;
	if (cfg->kind == ECAT_LINK_DGRAM)
		return ecat_link_open_dgram(l, cfg->nic);
	if (cfg->kind == ECAT_LINK_ATEMSYS &&
	    dt_location(cfg->nic, ident, sizeof(ident), &instance))
		return ecat_link_open_atemsys_dt(l, cfg, ident, instance);
	r = nic_location(cfg->nic, &loc);
	if (r < 0) {
		snprintf(l->err, sizeof(l->err),
			 "NIC \"%s\": %s (e1000e:N counts the 82574L NICs from 0 in B/D/F order)",
			 cfg->nic, strerror(errno));
		return -1;
	}
	if (!r)
		atemsys_pci_format(&loc, l->bdf, sizeof(l->bdf));

	if (cfg->kind == ECAT_LINK_ATEMSYS) {
		if (r) {
			snprintf(l->err, sizeof(l->err),
				 "NIC \"%s\": the atemsys link needs a PCI function (0000:00:04.0 or e1000e:N) or a device-tree MAC (IDENT:INSTANCE, e.g. FslFec:1, GEM:1)",
				 cfg->nic);
			errno = EINVAL;
			return -1;
		}
		return ecat_link_open_atemsys(l, cfg, &loc);
	}

	if (r) {
		snprintf(ifname, sizeof(ifname), "%s", cfg->nic);
	} else if (pci_netdev(l->bdf, ifname, sizeof(ifname))) {
		char drv[64] = "";

		pci_driver_of(l->bdf, drv, sizeof(drv));
		snprintf(l->err, sizeof(l->err),
			 "%s has no network interface (%s): a packet link needs a kernel network driver on it (e.g. echo e1000e > /sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe)",
			 l->bdf, drv[0] ? drv : "no driver bound", l->bdf, l->bdf);
		errno = ENODEV;
		return -1;
	}
	return ecat_link_open_packet(l, ifname);
}

void ecat_link_stats(struct ecat_link *l, struct ecat_link_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (l->ops)
		l->ops->stats(l, st);
}

enum ecat_link_state ecat_link_state(struct ecat_link *l)
{
	if (!l->ops || !l->ops->state)
		return ECAT_LINK_UNKNOWN;
	return (enum ecat_link_state)l->ops->state(l);
}

void ecat_link_close(struct ecat_link *l)
{
	if (l->ops)
		l->ops->close(l);
	l->ops = NULL;
}
