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
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "include/uapi/atemsys.h"
#include "atemsys_compat.h"

#define ATEMSYS_DRV_NAME	"atemsys"
#define ATEMSYS_PCI_DRV_NAME	"atemsys_pci"

/*
 * Lock order of the module, outermost first: a lock is taken only while
 * holding none or those above it.
 *
 *  1. af->lock (struct atemsys_file, a mutex): an fd's ioctls, mmap and
 *     release.
 *  2. A pci_dev's device lock (the driver core's): taken under af->lock
 *     only with a trylock (atemsys_pci_dev_trylock(), the PCI core's
 *     pci_try_reset_function()), as a remove() holding it waits for the
 *     fd to let the device go.
 *  3. atemsys_pci_lock and atemsys_dt_lock (the drivers' instances and
 *     their struct atemsys_owner; never one under the other), and
 *     phylib's MDIO bus lock (held around each proxied access).
 *  4. The xa_lock of atemsys_pci_held and of atemsys_pci_removing.
 *  5. Spinlocks, leaves (none is taken under another): af->irq.wq.lock
 *     (also in the interrupt handler), af->map_lock, struct atemsys_mdio's
 *     lock, atemsys_dma_quarantine_lock.
 *
 * Waits for another party hold none of the module's own locks: remove()
 * and the removal notifier wait for the owner (atemsys_owner_remove(),
 * atemsys_owner.c) holding only the device lock the driver core took for
 * them, which is why the fd side takes it with a trylock (2.); phylib's
 * accesses wait for userspace (atemsys_mdio.c).
 */

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
struct atemsys_file;

/*
 * The fd owning a device bound to atemsys_pci or the atemsys platform
 * driver (atemsys_owner.c). Guarded by the driver's lock (lock order: the
 * top of this file).
 */
struct atemsys_owner {
	struct mutex *lock;		/* atemsys_pci_lock or atemsys_dt_lock */
	struct atemsys_file *af;	/* the owning fd, NULL if none */
	pid_t pid;			/* its process, for log lines */
	char comm[TASK_COMM_LEN];
	bool removing;			/* remove() runs: no new owner */
	wait_queue_head_t wq;		/* remove() waits for the owner */
};

/* Everything one open file holds */
struct atemsys_file {
	struct mutex lock;	/* serialises ioctls, mmap, read unmask */
				/* (lock order: the top of this file) */
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

/*
 * The device lock, without waiting. It is what a driver's probe and remove
 * run under, so holding it keeps the device's driver from changing. Never
 * waited for: a remove() holding it may itself wait for the caller's fd.
 * False, with a notice for the caller, while a driver binds or unbinds the
 * device. device_unlock() releases it.
 */
static inline bool atemsys_pci_dev_trylock(struct pci_dev *pdev)
{
	if (device_trylock(&pdev->dev))
		return true;
	pci_notice_ratelimited(pdev, "pid %d: a driver is binding or unbinding it: try again\n",
			       task_pid_nr(current));
	return false;
}

/* atemsys_owner.c */
void atemsys_owner_init(struct atemsys_owner *o, struct mutex *lock);
int atemsys_owner_claim(struct atemsys_owner *o, struct atemsys_file *af);
void atemsys_owner_release(struct atemsys_owner *o);
void atemsys_owner_remove(struct atemsys_owner *o, struct device *dev);

/* atemsys_pci.c */
long atemsys_ioctl_pci_find_device(struct atemsys_file *af, unsigned int cmd,
				   void __user *arg);
long atemsys_ioctl_pci_conf_device(struct atemsys_file *af, unsigned int cmd,
				   void __user *arg);
long atemsys_ioctl_pci_release_device(struct atemsys_file *af);
void atemsys_pci_release(struct atemsys_file *af);
int atemsys_pci_driver_register(void);
void atemsys_pci_driver_unregister(void);

/* A memory BAR that CONF reports and an fd may map */
static inline bool atemsys_pci_bar_usable(struct pci_dev *pdev, int bar)
{
	return (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
	       pci_resource_len(pdev, bar);
}

/* atemsys_mmap.c */
int atemsys_mmap(struct file *file, struct vm_area_struct *vma);
const char *atemsys_io_refusal(struct atemsys_file *af, u64 start, u64 size,
			       bool allow_unclaimed);

/* atemsys_dma.c */
int atemsys_dma_mmap(struct atemsys_file *af, struct device *dev,
		     struct vm_area_struct *vma);
bool atemsys_dma_device_mapped(struct atemsys_file *af, struct device *dev);
void atemsys_dma_free_unmapped(struct atemsys_file *af);
void atemsys_dma_set_bus_master(struct atemsys_file *af, bool on);
void atemsys_dma_device_stopped(struct device *dev, bool stopped);
size_t atemsys_dma_quarantined(void);
void atemsys_dma_quarantine_exit(void);

/* atemsys_irq.c */
void atemsys_irq_init(struct atemsys_irq *ai);
long atemsys_ioctl_int_connect(struct atemsys_file *af, unsigned long arg);
long atemsys_ioctl_int_disconnect(struct atemsys_file *af);
long atemsys_ioctl_int_info(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_int_set_cpu_affinity(struct atemsys_file *af,
					unsigned int cmd, void __user *arg);
void atemsys_irq_disconnect(struct atemsys_file *af);
void atemsys_irq_device_gone(struct atemsys_irq *ai, bool gone);
bool atemsys_irq_is_device_gone(struct atemsys_irq *ai);
ssize_t atemsys_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos);
__poll_t atemsys_poll(struct file *file, struct poll_table_struct *wait);
int atemsys_irq_mode_flags(void);

/* atemsys_dt.c and friends: device-tree (platform device) mode */
#ifdef CONFIG_OF
long atemsys_ioctl_get_mac_info(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_phy_start_stop(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_get_mdio_order(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_return_mdio_order(struct atemsys_file *af,
				     void __user *arg);
long atemsys_ioctl_get_phy_info(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_phy_reset(struct atemsys_file *af, void __user *arg);
long atemsys_ioctl_iomem_cmd(struct atemsys_file *af, void __user *arg);
void atemsys_dt_release(struct atemsys_file *af);
int atemsys_dt_driver_register(void);
void atemsys_dt_driver_unregister(void);
#else
/* The device-tree ioctls: -EOPNOTSUPP, as the original without CONFIG_OF */
static inline long atemsys_ioctl_get_mac_info(struct atemsys_file *af,
					      void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_phy_start_stop(struct atemsys_file *af,
						void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_get_mdio_order(struct atemsys_file *af,
						void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_return_mdio_order(struct atemsys_file *af,
						   void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_get_phy_info(struct atemsys_file *af,
					      void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_phy_reset(struct atemsys_file *af,
					   void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline long atemsys_ioctl_iomem_cmd(struct atemsys_file *af,
					   void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline void atemsys_dt_release(struct atemsys_file *af)
{
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
