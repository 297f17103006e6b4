// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: mmap() of DMA buffers (offset 0) and of IO memory the fd owns
 * (offset = physical address).
 */

#include <linux/dma-mapping.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "atemsys.h"

struct atemsys_dma_buf {
	struct list_head node;		/* in af->dma_bufs */
	struct atemsys_file *af;
	struct device *dev;		/* allocated on it (reference held) */
	void *cpu_addr;
	dma_addr_t dma_addr;
	size_t size;
	unsigned int map_count;		/* VMAs mapping it, under map_lock */
};

static void atemsys_dma_buf_free(struct atemsys_dma_buf *buf)
{
	dma_free_coherent(buf->dev, buf->size, buf->cpu_addr, buf->dma_addr);
	put_device(buf->dev);
	kfree(buf);
}

static void atemsys_dma_vm_open(struct vm_area_struct *vma)
{
	struct atemsys_dma_buf *buf = vma->vm_private_data;

	spin_lock(&buf->af->map_lock);
	buf->map_count++;
	spin_unlock(&buf->af->map_lock);
}

/*
 * The last unmap frees the buffer at once only if no device of this fd can
 * master the bus; otherwise it is freed after bus mastering is off, on
 * PCI_RELEASE_DEVICE or close.
 */
static void atemsys_dma_vm_close(struct vm_area_struct *vma)
{
	struct atemsys_dma_buf *buf = vma->vm_private_data;
	struct atemsys_file *af = buf->af;
	bool free_now = false;

	spin_lock(&af->map_lock);
	if (!--buf->map_count && !af->bus_master) {
		list_del(&buf->node);
		free_now = true;
	}
	spin_unlock(&af->map_lock);

	if (free_now)
		atemsys_dma_buf_free(buf);
}

static const struct vm_operations_struct atemsys_dma_vm_ops = {
	.open	= atemsys_dma_vm_open,
	.close	= atemsys_dma_vm_close,
};

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

void atemsys_dma_set_bus_master(struct atemsys_file *af, bool on)
{
	spin_lock(&af->map_lock);
	af->bus_master = on;
	spin_unlock(&af->map_lock);
}

/* Is any BAR, or a DMA buffer allocated on @dev, still mapped? */
bool atemsys_dma_device_mapped(struct atemsys_file *af, struct device *dev)
{
	struct atemsys_dma_buf *buf;
	bool mapped;

	spin_lock(&af->map_lock);
	mapped = af->io_maps > 0;
	list_for_each_entry(buf, &af->dma_bufs, node)
		if (buf->dev == dev && buf->map_count)
			mapped = true;
	spin_unlock(&af->map_lock);
	return mapped;
}

/* Free every buffer no VMA maps any more; bus mastering must be off */
void atemsys_dma_free_unmapped(struct atemsys_file *af)
{
	struct atemsys_dma_buf *buf, *tmp;
	LIST_HEAD(unmapped);

	spin_lock(&af->map_lock);
	list_for_each_entry_safe(buf, tmp, &af->dma_bufs, node)
		if (!buf->map_count)
			list_move(&buf->node, &unmapped);
	spin_unlock(&af->map_lock);

	list_for_each_entry_safe(buf, tmp, &unmapped, node)
		atemsys_dma_buf_free(buf);
}

/*
 * Allocate a coherent buffer on the fd's device and map it. Its bus address
 * goes into the first bytes: low 32 bits, then the high 32 bits if the caller
 * declared 64-bit DMA support (MOD_SET_API_VERSION >= 1.4.15).
 */
/* The fd's PCI device, its bound device-tree MAC, or the fallback */
static struct device *atemsys_dma_dev(struct atemsys_file *af)
{
	if (af->pdev)
		return &af->pdev->dev;
	if (af->dt)
		return atemsys_dt_device(af->dt);
	return atemsys_dma_fallback;
}

static int atemsys_mmap_dma(struct atemsys_file *af,
			    struct vm_area_struct *vma, size_t size)
{
	struct device *dev = atemsys_dma_dev(af);
	struct atemsys_dma_buf *buf;
	u32 *words;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	buf->cpu_addr = dma_alloc_coherent(dev, size, &buf->dma_addr,
					   GFP_KERNEL);
	if (!buf->cpu_addr) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (upper_32_bits(buf->dma_addr) && !af->dma64) {
		dev_warn(dev, "DMA address %pad is above 4 GiB: the caller must declare API version >= 1.4.15\n",
			 &buf->dma_addr);
		ret = -ENOMEM;
		goto err_dma;
	}

	atemsys_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	ret = dma_mmap_coherent(dev, vma, buf->cpu_addr, buf->dma_addr, size);
	if (ret) {
		dev_warn(dev, "cannot map DMA memory: %d\n", ret);
		goto err_dma;
	}

	words = buf->cpu_addr;
	words[0] = lower_32_bits(buf->dma_addr);
	if (af->dma64)
		words[1] = upper_32_bits(buf->dma_addr);

	buf->af = af;
	buf->dev = get_device(dev);
	buf->size = size;
	buf->map_count = 1;
	vma->vm_private_data = buf;
	vma->vm_ops = &atemsys_dma_vm_ops;

	spin_lock(&af->map_lock);
	list_add(&buf->node, &af->dma_bufs);
	spin_unlock(&af->map_lock);
	return 0;

err_dma:
	dma_free_coherent(dev, size, buf->cpu_addr, buf->dma_addr);
err_free:
	kfree(buf);
	return ret;
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

/*
 * Why the fd may not access [start, start + size) as IO memory, or NULL if
 * it may: the range must lie in a BAR of its PCI device or a reg range of
 * its device-tree MAC (or, if allowed, be unclaimed MMIO), and never RAM.
 * Called with af->lock held.
 */
const char *atemsys_io_refusal(struct atemsys_file *af, u64 start, u64 size,
			       bool allow_unclaimed)
{
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

static int atemsys_mmap_io(struct atemsys_file *af,
			   struct vm_area_struct *vma, size_t size)
{
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

int atemsys_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct atemsys_file *af = file->private_data;
	size_t size = vma->vm_end - vma->vm_start;
	int ret;

	if (!(vma->vm_flags & VM_SHARED)) {
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: mmap needs MAP_SHARED\n",
				       task_pid_nr(current));
		return -EINVAL;
	}

	mutex_lock(&af->lock);
	if (vma->vm_pgoff)
		ret = atemsys_mmap_io(af, vma, size);
	else
		ret = atemsys_mmap_dma(af, vma, size);
	mutex_unlock(&af->lock);
	return ret;
}
