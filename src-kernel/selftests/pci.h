/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI devices as sysfs shows them, and thin wrappers of the atemsys ioctls.
 */
#ifndef ST_PCI_H
#define ST_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atemsys.h>

#include "ktap.h"

#define PCI_SYSFS		"/sys/bus/pci/devices"
#define PCI_ANY			(-1)

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define NIC_VENDOR		0x8086	/* e1000e, 82574L */
#define NIC_DEVICE		0x10d3
#define IGB_DEVICE		0x10c9	/* igb, 82576: has FLR in QEMU */

/* Flags of /sys/bus/pci/devices/<bdf>/resource (include/linux/ioport.h) */
#define SYSFS_IORESOURCE_IO	0x00000100UL
#define SYSFS_IORESOURCE_MEM	0x00000200UL

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400

struct st_pci {
	bool present;
	char bdf[32];		/* "0000:00:03.0" */
	int domain, bus, dev, fn;
	unsigned int vendor, device;
};

struct st_bar {
	uint64_t start;
	uint64_t len;		/* 0: unused */
	unsigned long flags;
};

/* What the run found once, before the tests */
struct st_env {
	struct st_pci edu;
	struct st_pci nic;
	long ncpus;		/* online */
};

extern struct st_env env;

/* sysfs */
int pci_find_sysfs(int vendor, int device, unsigned int instance,
		   struct st_pci *out);
/* The first device of PCI base class base_class (0x06: bridge) no driver holds */
int pci_find_unbound_class(unsigned int base_class, struct st_pci *out);
int pci_count_sysfs(int vendor, int device);
bool pci_bdf_exists(int domain, int bus, int dev, int fn);
bool pci_bus_used(int domain, int bus);
int pci_by_location(int domain, int bus, int dev, int fn, struct st_pci *out);
int pci_read_bars(const struct st_pci *p, struct st_bar bars[6]);
/* Memory BARs with a size, in BAR order, packed: count or -1 */
int pci_mem_bars(const struct st_pci *p, struct st_bar *out, int max);
int pci_read_irq(const struct st_pci *p, unsigned int *irq);
int pci_read_config(const struct st_pci *p, unsigned int off, void *buf,
		    size_t len);
/* Bus mastering bit of the command register: 0, 1, or -1 with errno */
int pci_bus_master(const struct st_pci *p);
/* INTx Disable bit of the command register: 0, 1, or -1 with errno */
int pci_intx_disabled(const struct st_pci *p);
/* Entries of msi_irqs/ (0 if it does not exist), up to max into irqs */
int pci_msi_irqs(const struct st_pci *p, unsigned int *irqs, int max);
/* Name of the bound driver, "" if none; 0 or -1 */
int pci_driver(const struct st_pci *p, char *buf, size_t len);

/* atemsys */
typedef struct atemsys_pci_select_desc_v1_4_12 at_desc;

int at_open(void);
void at_desc_location(at_desc *d, const struct st_pci *p);
int at_find(int fd, int vendor, int device, int instance, at_desc *d);
int at_conf(int fd, const struct st_pci *p, at_desc *d);
int at_connect(int fd);
int at_disconnect(int fd);
int at_irq(int fd, unsigned int *irq);
bool at_desc_is(const at_desc *d, const struct st_pci *p);

/* Test steps */
enum st_result need_edu(void);
enum st_result need_nic(void);
/* CONF's BARs and IRQ against sysfs */
enum st_result check_conf_result(const struct st_pci *p, const at_desc *d);

#endif /* ST_PCI_H */
