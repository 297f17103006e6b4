/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atemsys internal types, shared by the chardev, PCI, DMA and IRQ parts.
 */
#ifndef ATEMSYS_H
#define ATEMSYS_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "include/uapi/atemsys.h"
#include "atemsys_compat.h"

#define ATEMSYS_DRV_NAME	"atemsys"
#define ATEMSYS_PCI_DRV_NAME	"atemsys_pci"

/* Interrupt state of one fd */
struct atemsys_irq {
	spinlock_t lock;	/* pending, masked; taken in the handler */
	wait_queue_head_t wq;
	unsigned int irq;	/* Linux IRQ number, 0 if not connected */
	bool connected;
	void *vec_group;	/* devres group of the IRQ vectors */
	bool intx;		/* INTx line (level): mask until next read */
	bool intx_maskable;	/* PCI 2.3 INTx masking, line shared */
	bool masked;
	u32 pending;		/* interrupts not yet returned by read() */
	u64 total;
	unsigned int gen;	/* bumped on disconnect, wakes readers */
};

struct atemsys_pci_inst;

/* Everything one open file holds */
struct atemsys_file {
	struct mutex lock;	/* serialises ioctls, mmap, read unmask */
	struct pci_dev *pdev;	/* configured device (reference held) */
	struct atemsys_pci_inst *inst; /* set when attached to atemsys_pci */
	bool dma64;		/* caller handles 64-bit DMA addresses */

	spinlock_t map_lock;	/* dma_bufs, io_maps, bus_master */
	struct list_head dma_bufs;
	unsigned int io_maps;	/* live IO VMAs */
	bool bus_master;	/* a device may DMA: defer freeing buffers */

	struct atemsys_irq irq;
};

/* atemsys_main.c */
extern struct device *atemsys_dev;	/* the /dev/atemsys class device */
extern struct device *atemsys_dma_fallback; /* DMA when no device bound */
extern bool atemsys_allow_unclaimed_mmio;

/* atemsys_pci.c */
long atemsys_pci_find(struct atemsys_file *af, unsigned int cmd,
		      void __user *arg);
long atemsys_pci_conf(struct atemsys_file *af, unsigned int cmd,
		      void __user *arg);
long atemsys_pci_release_ioctl(struct atemsys_file *af);
void atemsys_pci_release(struct atemsys_file *af);
bool atemsys_pci_owns_range(struct atemsys_file *af, phys_addr_t start,
			    size_t size);
int atemsys_pci_driver_register(void);
void atemsys_pci_driver_unregister(void);

/* atemsys_dma.c */
int atemsys_mmap(struct file *file, struct vm_area_struct *vma);
bool atemsys_dma_device_mapped(struct atemsys_file *af, struct device *dev);
void atemsys_dma_free_unmapped(struct atemsys_file *af);
void atemsys_dma_set_bus_master(struct atemsys_file *af, bool on);

/* atemsys_irq.c */
void atemsys_irq_init(struct atemsys_irq *ai);
long atemsys_irq_connect(struct atemsys_file *af, unsigned long arg);
void atemsys_irq_disconnect(struct atemsys_file *af);
long atemsys_irq_info(struct atemsys_file *af, void __user *arg);
long atemsys_irq_set_affinity(struct atemsys_file *af, unsigned int cmd,
			      void __user *arg);
ssize_t atemsys_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos);
__poll_t atemsys_poll(struct file *file, struct poll_table_struct *wait);
int atemsys_irq_mode_flags(void);

#endif /* ATEMSYS_H */
