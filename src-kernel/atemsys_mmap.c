// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: mmap() of /dev/atemsys and the rule of which IO memory an fd
 * owns. Offset 0 maps a DMA buffer (atemsys_dma.c) on the fd's device; any
 * other offset is the physical address of IO memory, mapped uncached if it
 * lies in a memory BAR of the fd's PCI device or a reg range of its
 * device-tree MAC, and never if it is RAM. IOMEM_CMD asks the same rule.
 */

#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>

#include "atemsys.h"
#include "atemsys_dt.h"

static bool atemsys_allow_unclaimed_mmio;
module_param_named(allow_unclaimed_mmio, atemsys_allow_unclaimed_mmio,
		   bool, 0644);
MODULE_PARM_DESC(allow_unclaimed_mmio,
		 "Also let mmap() map device MMIO that no driver has claimed (never RAM). Default: off, only regions the fd owns");

/*
 * Does [start, start + size) lie in the region [rstart, rend]? A region
 * that starts on a page boundary owns the rest of its last page, so that a
 * register block smaller than a page can be mapped.
 */
static bool atemsys_range_within(u64 rstart, u64 rend, u64 start, u64 size)
{
	if (!size || !PAGE_ALIGNED(rstart))
		return false;
	rend = max_t(u64, rend, rstart + PAGE_ALIGN(rend - rstart + 1) - 1);
	return start >= rstart && start <= rend && size - 1 <= rend - start;
}

/* Does [start, start + size) lie in a memory BAR of the fd's PCI device? */
static bool atemsys_pci_owns_range(struct atemsys_file *af, u64 start,
				   u64 size)
{
	struct pci_dev *pdev = af->pdev;
	int bar;

	if (!pdev)
		return false;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		resource_size_t bstart = pci_resource_start(pdev, bar);
		resource_size_t bend = pci_resource_end(pdev, bar);

		if (atemsys_pci_bar_usable(pdev, bar) &&
		    atemsys_range_within(bstart, bend, start, size))
			return true;
	}
	return false;
}

/* Does [start, start + size) lie in a reg range of the fd's DT MAC? */
static bool atemsys_dt_owns_range(struct atemsys_file *af, u64 start,
				  u64 size)
{
	struct platform_device *pdev;
	unsigned int i;

	if (!af->dt)
		return false;

	pdev = af->dt->pdev;
	for (i = 0; i < pdev->num_resources; i++) {
		struct resource *res = &pdev->resource[i];

		if (resource_type(res) == IORESOURCE_MEM &&
		    atemsys_range_within(res->start, res->end, start, size))
			return true;
	}
	return false;
}

/* Device MMIO no driver (and no other fd) has claimed, if allowed */
static bool atemsys_unclaimed_mmio(resource_size_t start, size_t size)
{
	if (!READ_ONCE(atemsys_allow_unclaimed_mmio))
		return false;
	if (!request_mem_region(start, size, ATEMSYS_DRV_NAME))
		return false;
	release_mem_region(start, size);
	return true;
}

/**
 * atemsys_io_refusal() - may the fd access this IO memory?
 * @af: the fd, with af->lock held
 * @start: physical address
 * @size: bytes
 * @allow_unclaimed: also accept device MMIO no driver has claimed, if the
 *	allow_unclaimed_mmio parameter is set
 *
 * The range must lie in a memory BAR of the fd's PCI device or a reg range
 * of its device-tree MAC (or, if allowed, be unclaimed MMIO), and never RAM.
 *
 * Return: NULL if it may, else why not (for a log line).
 */
const char *atemsys_io_refusal(struct atemsys_file *af, u64 start, u64 size,
			       bool allow_unclaimed)
{
	lockdep_assert_held(&af->lock);
	if (!size || start + size - 1 < start ||
	    start + size - 1 > (u64)PHYS_ADDR_MAX)
		return "beyond the physical address space";
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return "RAM is never mappable";
	if (atemsys_pci_owns_range(af, start, size) ||
	    atemsys_dt_owns_range(af, start, size))
		return NULL;
	if (allow_unclaimed && atemsys_unclaimed_mmio(start, size))
		return NULL;
	return "not inside a region this fd owns";
}

/* A live IO mapping is counted: PCI_RELEASE_DEVICE waits for none */
static void atemsys_io_vm_open(struct vm_area_struct *vma)
{
	struct atemsys_file *af = vma->vm_private_data;

	spin_lock(&af->map_lock);
	af->io_maps++;
	spin_unlock(&af->map_lock);
}

static void atemsys_io_vm_close(struct vm_area_struct *vma)
{
	struct atemsys_file *af = vma->vm_private_data;

	spin_lock(&af->map_lock);
	af->io_maps--;
	spin_unlock(&af->map_lock);
}

static const struct vm_operations_struct atemsys_io_vm_ops = {
	.open	= atemsys_io_vm_open,
	.close	= atemsys_io_vm_close,
};

static int atemsys_mmap_io(struct atemsys_file *af,
			   struct vm_area_struct *vma)
{
	size_t size = vma->vm_end - vma->vm_start;
	u64 start = (u64)vma->vm_pgoff << PAGE_SHIFT;
	const char *refusal;
	int ret;

	refusal = atemsys_io_refusal(af, start, size, true);
	if (refusal) {
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: refused mmap of %#llx-%#llx: %s\n",
				       task_pid_nr(current), start,
				       start + size - 1, refusal);
		return -EPERM;
	}

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	atemsys_vm_flags_set(vma, VM_IO | VM_DONTCOPY | VM_DONTEXPAND |
			     VM_DONTDUMP);
	ret = io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, size,
				 vma->vm_page_prot);
	if (ret)
		return ret;

	vma->vm_private_data = af;
	vma->vm_ops = &atemsys_io_vm_ops;
	spin_lock(&af->map_lock);
	af->io_maps++;
	spin_unlock(&af->map_lock);
	return 0;
}

/* DMA memory is for the fd's PCI device, its DT MAC, or the fallback */
static struct device *atemsys_mmap_dma_device(struct atemsys_file *af)
{
	if (af->pdev)
		return &af->pdev->dev;
	if (af->dt)
		return &af->dt->pdev->dev;
	return atemsys_dma_fallback;
}

/**
 * atemsys_mmap() - the file's mmap()
 * @file: /dev/atemsys
 * @vma: a MAP_SHARED mapping; offset 0 for DMA memory, else the physical
 *	address of IO memory the fd owns
 *
 * Return: 0; -EINVAL without MAP_SHARED; -ENODEV while the fd's device is
 * being removed; -EPERM for IO memory the fd does not own;
 * -ENOMEM as atemsys_dma_mmap() says.
 */
int atemsys_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct atemsys_file *af = file->private_data;
	int ret;

	if (!(vma->vm_flags & VM_SHARED)) {
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: mmap needs MAP_SHARED\n",
				       task_pid_nr(current));
		return -EINVAL;
	}

	mutex_lock(&af->lock);
	if (atemsys_irq_is_device_gone(&af->irq))
		ret = -ENODEV;	/* being removed: release it */
	else if (vma->vm_pgoff)
		ret = atemsys_mmap_io(af, vma);
	else
		ret = atemsys_dma_mmap(af, atemsys_mmap_dma_device(af), vma);
	mutex_unlock(&af->lock);
	return ret;
}
