/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference atemsys depends on, in one place.
 * Supported: Linux 6.1 up to 6.12. Differences are detected by feature, not
 * by version number: ATEMSYS_HAVE_* come from the checks in Kbuild.
 */
#ifndef ATEMSYS_COMPAT_H
#define ATEMSYS_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/platform_device.h>

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

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in 6.8 */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/* platform_driver.remove returns void since 6.11 (remove_new before) */
static inline void
atemsys_platform_set_remove(struct platform_driver *drv,
			    void (*remove)(struct platform_device *pdev))
{
#ifdef ATEMSYS_HAVE_PLATFORM_REMOVE_VOID
	drv->remove = remove;
#else
	drv->remove_new = remove;
#endif
}

#endif /* ATEMSYS_COMPAT_H */
