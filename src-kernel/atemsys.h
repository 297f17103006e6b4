/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atemsys internal types, shared by the chardev, PCI, DMA, IRQ and
 * device-tree parts.
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

/*
 * Interrupt state of one fd. wq.lock (the wait queue's own spinlock, taken
 * in the handler) guards connected, masked, pending and gen, so that the
 * handler and a waiting read() take one lock each.
 */
struct atemsys_irq {
	wait_queue_head_t wq;
	unsigned int irq;	/* Linux IRQ number, 0 if not connected */
	bool connected;
	void *vec_group;	/* devres group of the IRQ vectors */
	bool pci;		/* vectors of af->pdev (else a DT line) */
	bool intx;		/* level line: masked until the next read */
	bool intx_maskable;	/* PCI 2.3 INTx masking, line shared */
	bool masked;
	u32 pending;		/* interrupts not yet returned by read() */
	u64 total;
	unsigned int gen;	/* bumped on disconnect, wakes readers */
	bool device_gone;	/* the device is being removed: -ENODEV */
};

struct atemsys_pci_inst;
struct atemsys_dt_inst;

/* Everything one open file holds */
struct atemsys_file {
	struct mutex lock;	/* serialises ioctls, mmap, read unmask */
	struct pci_dev *pdev;	/* configured device (reference held) */
	struct atemsys_pci_inst *inst; /* set when attached to atemsys_pci */
	struct atemsys_dt_inst *dt; /* bound device-tree MAC, if any */
	bool dma64;		/* caller handles 64-bit DMA addresses */

	spinlock_t map_lock;	/* dma_bufs, dma_bytes, io_maps, bus_master */
	struct list_head dma_bufs;
	size_t dma_bytes;	/* allocated in dma_bufs, mapped or not */
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
bool atemsys_pci_owns_range(struct atemsys_file *af, u64 start, u64 size);
bool atemsys_pci_dev_trylock(struct pci_dev *pdev);
int atemsys_pci_driver_register(void);
void atemsys_pci_driver_unregister(void);

/*
 * Does [start, start + size) lie in the region [rstart, rend]? A region
 * that starts on a page boundary owns the rest of its last page, so that a
 * register block smaller than a page can be mapped.
 */
static inline bool atemsys_range_within(u64 rstart, u64 rend, u64 start,
					u64 size)
{
	if (!size || !PAGE_ALIGNED(rstart))
		return false;
	rend = max_t(u64, rend, rstart + PAGE_ALIGN(rend - rstart + 1) - 1);
	return start >= rstart && start <= rend && size - 1 <= rend - start;
}

/* atemsys_dma.c */
int atemsys_mmap(struct file *file, struct vm_area_struct *vma);
const char *atemsys_io_refusal(struct atemsys_file *af, u64 start, u64 size,
			       bool allow_unclaimed);
bool atemsys_dma_device_mapped(struct atemsys_file *af, struct device *dev);
void atemsys_dma_free_unmapped(struct atemsys_file *af);
void atemsys_dma_set_bus_master(struct atemsys_file *af, bool on);
void atemsys_dma_device_stopped(struct device *dev, bool stopped);
size_t atemsys_dma_quarantined(void);
void atemsys_dma_quarantine_exit(void);

/* atemsys_irq.c */
void atemsys_irq_init(struct atemsys_irq *ai);
long atemsys_irq_connect(struct atemsys_file *af, unsigned long arg);
void atemsys_irq_disconnect(struct atemsys_file *af);
void atemsys_irq_device_gone(struct atemsys_irq *ai, bool gone);
bool atemsys_irq_is_device_gone(struct atemsys_irq *ai);
long atemsys_irq_info(struct atemsys_file *af, void __user *arg);
long atemsys_irq_set_affinity(struct atemsys_file *af, unsigned int cmd,
			      void __user *arg);
ssize_t atemsys_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos);
__poll_t atemsys_poll(struct file *file, struct poll_table_struct *wait);
int atemsys_irq_mode_flags(void);

/* atemsys_platform.c and friends: device-tree (platform device) mode */
#ifdef CONFIG_OF
long atemsys_dt_ioctl(struct atemsys_file *af, unsigned int cmd,
		      void __user *arg);
void atemsys_dt_release(struct atemsys_file *af);
bool atemsys_dt_owns_range(struct atemsys_file *af, u64 start, u64 size);
struct device *atemsys_dt_device(struct atemsys_dt_inst *inst);
int atemsys_dt_irq(struct atemsys_file *af, u32 index);
int atemsys_dt_driver_register(void);
void atemsys_dt_driver_unregister(void);
#else
static inline long atemsys_dt_ioctl(struct atemsys_file *af,
				    unsigned int cmd, void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline void atemsys_dt_release(struct atemsys_file *af)
{
}

static inline bool atemsys_dt_owns_range(struct atemsys_file *af, u64 start,
					 u64 size)
{
	return false;
}

static inline struct device *atemsys_dt_device(struct atemsys_dt_inst *inst)
{
	return NULL;
}

static inline int atemsys_dt_irq(struct atemsys_file *af, u32 index)
{
	return -EOPNOTSUPP;
}

static inline int atemsys_dt_driver_register(void)
{
	return 0;
}

static inline void atemsys_dt_driver_unregister(void)
{
}
#endif

#endif /* ATEMSYS_H */
