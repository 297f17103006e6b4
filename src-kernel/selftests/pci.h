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

/* Config space (PCI Local Bus 3.0, 6.2 and 6.8.1; include/uapi/linux/pci_regs.h) */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_MSI		0x05
#define PCI_MSI_FLAGS		2
#define PCI_MSI_FLAGS_ENABLE	0x0001
#define PCI_MSI_FLAGS_64BIT	0x0080
#define PCI_MSI_ADDRESS_LO	4
#define PCI_MSI_ADDRESS_HI	8
#define PCI_MSI_DATA_32		8
#define PCI_MSI_DATA_64		12

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
/*
 * What a user would look at when a device's interrupt does not arrive, as
 * one line into buf: the command register (bus master, INTx disable), the
 * status register's interrupt bit, the MSI capability (control, address,
 * data) and the /proc/interrupts line of irq (0: none).
 */
void pci_irq_state(const struct st_pci *p, unsigned int irq, char *buf,
		   size_t len);
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
