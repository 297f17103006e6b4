/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference atemsys depends on, in one place.
 * Supported: Linux 5.10 up to the newest. Differences are detected by
 * feature, not by version number: ATEMSYS_HAVE_* come from the checks in
 * Kbuild.
 */
#ifndef ATEMSYS_COMPAT_H
#define ATEMSYS_COMPAT_H

#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/kconfig.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/workqueue.h>
#if IS_REACHABLE(CONFIG_PHYLIB)
#include <linux/phy.h>
#endif

/* class_create() lost its owner argument in 6.4 (it was a macro before) */
#ifdef class_create
#define atemsys_class_create(name)	class_create(THIS_MODULE, name)
#else
#define atemsys_class_create(name)	class_create(name)
#endif

/* vma->vm_flags became read-only behind vm_flags_set() in 6.3 */
static inline void atemsys_vm_flags_set(struct vm_area_struct *vma,
					vm_flags_t flags)
{
#ifdef ATEMSYS_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * Has the function a Function Level Reset: PCIe FLR (pcie_has_flr() until
 * 5.15, then pcie_reset_flr(dev, PCI_RESET_PROBE), 0 when it has one) or
 * the Advanced Features capability's FLR (conventional PCI)?
 */
static inline bool atemsys_pci_has_flr(struct pci_dev *pdev)
{
	int pos = pci_find_capability(pdev, PCI_CAP_ID_AF);
	u8 cap = 0;

	if (pos)
		pci_read_config_byte(pdev, pos + PCI_AF_CAP, &cap);
	if ((cap & PCI_AF_CAP_TP) && (cap & PCI_AF_CAP_FLR))
		return true;
#ifdef PCI_RESET_PROBE
	return !pcie_reset_flr(pdev, PCI_RESET_PROBE);
#else
	return pcie_has_flr(pdev);
#endif
}

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in 6.8 */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/*
 * platform_driver.remove returns void since 6.11; from 6.3 (and 6.1.30, by
 * a stable backport) to 6.10 the void callback was remove_new; before that,
 * remove returned int. A remove callback is written
 *	static atemsys_platform_remove_t name(struct platform_device *pdev)
 * and ends with "return ATEMSYS_PLATFORM_REMOVED;".
 */
#if defined(ATEMSYS_HAVE_PLATFORM_REMOVE_VOID) || \
	defined(ATEMSYS_HAVE_PLATFORM_REMOVE_NEW)
#define atemsys_platform_remove_t	void
#define ATEMSYS_PLATFORM_REMOVED
#else
#define atemsys_platform_remove_t	int
#define ATEMSYS_PLATFORM_REMOVED	0
#endif

static inline void
atemsys_platform_set_remove(struct platform_driver *drv,
			    atemsys_platform_remove_t (*remove)(struct platform_device *pdev))
{
#if defined(ATEMSYS_HAVE_PLATFORM_REMOVE_VOID) || \
	!defined(ATEMSYS_HAVE_PLATFORM_REMOVE_NEW)
	drv->remove = remove;
#else
	drv->remove_new = remove;
#endif
}

/*
 * Presence of a property that has a value (a phandle list, an array):
 * of_property_read_bool() warns on those since 6.14; of_property_present()
 * exists since 6.4.
 */
static inline bool atemsys_of_property_present(const struct device_node *np,
					       const char *name)
{
#ifdef ATEMSYS_HAVE_OF_PROPERTY_PRESENT
	return of_property_present(np, name);
#else
	return of_find_property(np, name, NULL);
#endif
}

#if IS_REACHABLE(CONFIG_PHYLIB)
/*
 * Clause 45 MDIO accesses have their own mii_bus callbacks since 6.3
 * (read_c45, write_c45); before, read and write got them too, with
 * MII_ADDR_C45 and the device address in regnum. A bus sets its Clause 45
 * callbacks with atemsys_mii_bus_set_c45() (nothing to set before 6.3) and
 * splits the regnum its read and write get with atemsys_mii_devad() (-1:
 * Clause 22) and atemsys_mii_reg().
 */
static inline void
atemsys_mii_bus_set_c45(struct mii_bus *bus,
			int (*read)(struct mii_bus *bus, int addr, int devad,
				    int reg),
			int (*write)(struct mii_bus *bus, int addr, int devad,
				     int reg, u16 val))
{
#ifdef ATEMSYS_HAVE_MII_BUS_C45
	bus->read_c45 = read;
	bus->write_c45 = write;
#endif
}

static inline int atemsys_mii_devad(int regnum)
{
#ifndef ATEMSYS_HAVE_MII_BUS_C45
	if (regnum & MII_ADDR_C45)
		return (regnum >> MII_DEVADDR_C45_SHIFT) & 0x1f;
#endif
	return -1;
}

static inline int atemsys_mii_reg(int regnum)
{
#ifndef ATEMSYS_HAVE_MII_BUS_C45
	if (regnum & MII_ADDR_C45)
		return regnum & 0xffff;
#endif
	return regnum;
}
#endif /* IS_REACHABLE(CONFIG_PHYLIB) */

/*
 * The unbound default workqueue: system_dfl_wq since 6.17 (and Debian
 * 13's 6.12 by backport); Linux 7 warns when work is queued on the old
 * name, system_unbound_wq, which is what older kernels have.
 */
static inline struct workqueue_struct *atemsys_unbound_wq(void)
{
#ifdef ATEMSYS_HAVE_SYSTEM_DFL_WQ
	return system_dfl_wq;
#else
	return system_unbound_wq;
#endif
}

/*
 * Modules may call irq_set_affinity() since 5.13; before, it is an inline
 * around the unexported __irq_set_affinity(), and what a module has is the
 * affinity hint setter, which applies the mask too. A hint must be cleared
 * before free_irq() (which warns about one left set):
 * atemsys_compat_irq_unhint().
 */
static inline int atemsys_compat_irq_affinity(unsigned int irq,
					      const struct cpumask *mask)
{
#ifdef ATEMSYS_HAVE_IRQ_SET_AFFINITY
	return irq_set_affinity(irq, mask);
#else
	return irq_set_affinity_hint(irq, mask);
#endif
}

static inline void atemsys_compat_irq_unhint(unsigned int irq)
{
#ifndef ATEMSYS_HAVE_IRQ_SET_AFFINITY
	irq_set_affinity_hint(irq, NULL);
#endif
}

#endif /* ATEMSYS_COMPAT_H */
