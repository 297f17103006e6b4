// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: DMA buffers, coherent memory an fd maps at offset 0 (the mapping
 * policy is atemsys_mmap.c), freed only once their device can no longer
 * write to them, and the DMA memory kept for devices that could not be
 * stopped on release.
 */

#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "atemsys.h"

static unsigned int dma_limit_mib = 64;
module_param(dma_limit_mib, uint, 0644);
MODULE_PARM_DESC(dma_limit_mib,
		 "DMA memory one fd may hold, in MiB, mapped or awaiting free (0: no limit; default 64)");

static unsigned int dma_quarantine_mib = 8;
module_param(dma_quarantine_mib, uint, 0644);
MODULE_PARM_DESC(dma_quarantine_mib,
		 "DMA memory kept per device that could not be stopped on release, in MiB; beyond it the oldest is freed with a notice (0: no limit; default 8)");

struct atemsys_dma_buf {
	struct list_head node;		/* in af->dma_bufs or a quarantine */
	struct atemsys_file *af;	/* NULL once quarantined */
	struct device *dev;		/* allocated on it (reference held) */
	struct mm_struct *mm;		/* charged to its pinned_vm (mmgrab), or NULL */
	void *cpu_addr;
	dma_addr_t dma_addr;
	size_t size;			/* page aligned */
	unsigned int map_count;		/* VMAs mapping it, under map_lock */
};

/*
 * Charge @size bytes of pinned DMA memory to @mm, as RDMA and VFIO do:
 * mm->pinned_vm (VmPin in /proc/<pid>/status), held to RLIMIT_MEMLOCK
 * unless the caller has CAP_IPC_LOCK (root has). Lock-free (an atomic), so
 * the uncharge can run from munmap, exit or close. -ENOMEM over the limit.
 */
static int atemsys_dma_charge(struct mm_struct *mm, size_t size)
{
	unsigned long pages = size >> PAGE_SHIFT;
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	if ((unsigned long)atomic64_add_return(pages, &mm->pinned_vm) > limit &&
	    !capable(CAP_IPC_LOCK)) {
		atomic64_sub(pages, &mm->pinned_vm);
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: DMA buffer of %zu bytes refused: over RLIMIT_MEMLOCK (%lu bytes; raise it, ulimit -l, or grant CAP_IPC_LOCK)\n",
				       task_pid_nr(current), size,
				       rlimit(RLIMIT_MEMLOCK));
		return -ENOMEM;
	}
	return 0;
}

/*
 * The DMA memory former holders gave a device that could not be stopped on
 * release (no function reset; a device-tree MAC without "resets"). Without
 * an IOMMU nothing keeps such a device from writing to the addresses it was
 * given: a NIC's receive ring takes the next frame, at once or when the next
 * holder turns bus mastering back on. So the memory is not freed but kept
 * here, unmapped and charged to nobody, until the device is stopped (a later
 * release or CONF resets it) or the module unloads; at most
 * dma_quarantine_mib per device, the oldest freed first. A reset (FLR, the
 * node's resets) is the real cure; this only keeps what the device writes
 * from landing in memory someone else owns. (vfio-pci has the IOMMU.)
 */
struct atemsys_dma_quarantine {
	struct list_head node;		/* in atemsys_dma_quarantines */
	struct device *dev;		/* reference held */
	struct list_head bufs;		/* oldest first */
	size_t bytes;
};

/* A leaf, held for list updates only (lock order: atemsys.h) */
static DEFINE_SPINLOCK(atemsys_dma_quarantine_lock);
static LIST_HEAD(atemsys_dma_quarantines);
static size_t atemsys_dma_quarantine_total;	/* bytes, under the lock */

/* Give the pages back to the owner's RLIMIT_MEMLOCK account */
static void atemsys_dma_buf_uncharge(struct atemsys_dma_buf *buf)
{
	if (!buf->mm)
		return;
	atomic64_sub(buf->size >> PAGE_SHIFT, &buf->mm->pinned_vm);
	mmdrop(buf->mm);
	buf->mm = NULL;
}

static void atemsys_dma_buf_free(struct atemsys_dma_buf *buf)
{
	dma_free_coherent(buf->dev, buf->size, buf->cpu_addr, buf->dma_addr);
	atemsys_dma_buf_uncharge(buf);
	put_device(buf->dev);
	kfree(buf);
}

static void atemsys_dma_buf_free_list(struct list_head *bufs)
{
	struct atemsys_dma_buf *buf, *tmp;

	list_for_each_entry_safe(buf, tmp, bufs, node)
		atemsys_dma_buf_free(buf);
}

/* @dev's quarantine or NULL; atemsys_dma_quarantine_lock held */
static struct atemsys_dma_quarantine *atemsys_dma_quarantine_of(struct device *dev)
{
	struct atemsys_dma_quarantine *q;

	list_for_each_entry(q, &atemsys_dma_quarantines, node)
		if (q->dev == dev)
			return q;
	return NULL;
}

/**
 * atemsys_dma_device_stopped() - record whether a device was stopped
 * @dev: the DMA device of a PCI function or a device-tree MAC
 * @stopped: true when it was reset (it writes nowhere any more): what was
 *	kept for it is freed. False when it may still write to what it was
 *	given: from now on its buffers are kept when their fd lets them go.
 *
 * Called on CONF, PCI_RELEASE_DEVICE and close, after bus mastering is off
 * and before the fd's buffers are freed.
 */
void atemsys_dma_device_stopped(struct device *dev, bool stopped)
{
	struct atemsys_dma_quarantine *q, *new = NULL;
	LIST_HEAD(freed);

	if (!stopped)	/* small: better to wait than to free unsafely */
		new = kzalloc(sizeof(*new), GFP_KERNEL | __GFP_NOFAIL);
	spin_lock(&atemsys_dma_quarantine_lock);
	q = atemsys_dma_quarantine_of(dev);
	if (stopped && q) {
		list_del(&q->node);
		list_splice_init(&q->bufs, &freed);
		atemsys_dma_quarantine_total -= q->bytes;
	} else if (!stopped && !q) {
		new->dev = get_device(dev);
		INIT_LIST_HEAD(&new->bufs);
		list_add(&new->node, &atemsys_dma_quarantines);
		new = NULL;
	}
	spin_unlock(&atemsys_dma_quarantine_lock);
	kfree(new);

	if (stopped && q) {
		if (q->bytes)
			dev_dbg(dev, "reset: %zu bytes of DMA memory kept for it freed\n",
				q->bytes);
		atemsys_dma_buf_free_list(&freed);
		put_device(q->dev);
		kfree(q);
	}
}

/*
 * Let a buffer go that no VMA maps and its fd no longer wants: freed, or
 * kept if its device could not be stopped. No atemsys lock held.
 */
static void atemsys_dma_buf_retire(struct atemsys_dma_buf *buf)
{
	size_t limit = (size_t)READ_ONCE(dma_quarantine_mib) << 20, dropped = 0;
	struct atemsys_dma_quarantine *q;
	struct atemsys_dma_buf *old;
	LIST_HEAD(freed);

	atemsys_dma_buf_uncharge(buf);
	buf->af = NULL;
	spin_lock(&atemsys_dma_quarantine_lock);
	q = atemsys_dma_quarantine_of(buf->dev);
	if (q) {
		list_add_tail(&buf->node, &q->bufs);
		q->bytes += buf->size;
		atemsys_dma_quarantine_total += buf->size;
		while (limit && q->bytes > limit) {
			old = list_first_entry(&q->bufs, struct atemsys_dma_buf, node);
			list_move(&old->node, &freed);
			q->bytes -= old->size;
			atemsys_dma_quarantine_total -= old->size;
			dropped += old->size;
		}
	}
	spin_unlock(&atemsys_dma_quarantine_lock);

	if (!q) {
		atemsys_dma_buf_free(buf);
		return;
	}
	if (dropped)
		dev_notice_ratelimited(buf->dev,
				       "could not be stopped and holds over dma_quarantine_mib=%u MiB of former DMA memory: %zu bytes it may still write freed (give it a reset: FLR, or \"resets\" in its device-tree node)\n",
				       dma_quarantine_mib, dropped);
	atemsys_dma_buf_free_list(&freed);
}

/* Bytes of DMA memory kept for devices that could not be stopped */
size_t atemsys_dma_quarantined(void)
{
	size_t bytes;

	spin_lock(&atemsys_dma_quarantine_lock);
	bytes = atemsys_dma_quarantine_total;
	spin_unlock(&atemsys_dma_quarantine_lock);
	return bytes;
}

/* Module unload: nothing can map the devices any more; free what was kept */
void atemsys_dma_quarantine_exit(void)
{
	struct atemsys_dma_quarantine *q, *tmp;

	list_for_each_entry_safe(q, tmp, &atemsys_dma_quarantines, node) {
		list_del(&q->node);
		atemsys_dma_buf_free_list(&q->bufs);
		put_device(q->dev);
		kfree(q);
	}
	atemsys_dma_quarantine_total = 0;
}

/* Take @buf off its fd's list; map_lock held */
static void atemsys_dma_buf_unlink(struct atemsys_dma_buf *buf)
{
	list_del(&buf->node);
	buf->af->dma_bytes -= buf->size;
}

static void atemsys_dma_vm_open(struct vm_area_struct *vma)
{
	struct atemsys_dma_buf *buf = vma->vm_private_data;

	spin_lock(&buf->af->map_lock);
	buf->map_count++;
	spin_unlock(&buf->af->map_lock);
}

/*
 * The last unmap lets the buffer go at once only if no device of this fd can
 * master the bus; otherwise after bus mastering is off, on
 * PCI_RELEASE_DEVICE or close.
 */
static void atemsys_dma_vm_close(struct vm_area_struct *vma)
{
	struct atemsys_dma_buf *buf = vma->vm_private_data;
	struct atemsys_file *af = buf->af;
	bool free_now = false;

	spin_lock(&af->map_lock);
	if (!--buf->map_count && !af->bus_master) {
		atemsys_dma_buf_unlink(buf);
		free_now = true;
	}
	spin_unlock(&af->map_lock);

	if (free_now)
		atemsys_dma_buf_retire(buf);
}

static const struct vm_operations_struct atemsys_dma_vm_ops = {
	.open	= atemsys_dma_vm_open,
	.close	= atemsys_dma_vm_close,
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

/*
 * Let go of every buffer no VMA maps any more (freed, or kept for a device
 * that could not be stopped); bus mastering must be off
 */
void atemsys_dma_free_unmapped(struct atemsys_file *af)
{
	struct atemsys_dma_buf *buf, *tmp;
	LIST_HEAD(unmapped);

	spin_lock(&af->map_lock);
	list_for_each_entry_safe(buf, tmp, &af->dma_bufs, node) {
		if (!buf->map_count) {
			atemsys_dma_buf_unlink(buf);
			list_add(&buf->node, &unmapped);
		}
	}
	spin_unlock(&af->map_lock);

	list_for_each_entry_safe(buf, tmp, &unmapped, node) {
		list_del(&buf->node);
		atemsys_dma_buf_retire(buf);
	}
}

/*
 * An unmapped buffer of this fd on @dev that holds @size bytes, the smallest
 * such, claimed (map_count 1); NULL if none. Buffers stay allocated after
 * munmap while the device may master the bus: reusing them keeps a map and
 * unmap loop flat. Only this fd's own device can have written to it.
 */
static struct atemsys_dma_buf *atemsys_dma_reuse(struct atemsys_file *af,
						 struct device *dev,
						 size_t size)
{
	struct atemsys_dma_buf *buf, *best = NULL;

	spin_lock(&af->map_lock);
	list_for_each_entry(buf, &af->dma_bufs, node)
		if (!buf->map_count && buf->dev == dev && buf->size >= size &&
		    (!best || buf->size < best->size))
			best = buf;
	if (best)
		best->map_count = 1;
	spin_unlock(&af->map_lock);
	return best;
}

/*
 * A new coherent buffer on @dev, charged to @mm (the mapping process's
 * RLIMIT_MEMLOCK) and to the fd's limit (dma_limit_mib), on af->dma_bufs
 * with map_count 1. ERR_PTR(-ENOMEM) over a limit or when the allocation
 * fails.
 */
static struct atemsys_dma_buf *atemsys_dma_alloc(struct atemsys_file *af,
						 struct device *dev,
						 struct mm_struct *mm,
						 size_t size)
{
	size_t limit = (size_t)READ_ONCE(dma_limit_mib) << 20;
	struct atemsys_dma_buf *buf;
	int ret;

	spin_lock(&af->map_lock);
	if (limit && af->dma_bytes + size > limit) {
		spin_unlock(&af->map_lock);
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: DMA buffer of %zu bytes refused: the fd holds %zu of dma_limit_mib=%u MiB (unmap or release buffers, or raise the parameter)\n",
				       task_pid_nr(current), size, af->dma_bytes,
				       dma_limit_mib);
		return ERR_PTR(-ENOMEM);
	}
	af->dma_bytes += size;	/* reserved; given back on failure */
	spin_unlock(&af->map_lock);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto err_reserved;
	}
	ret = atemsys_dma_charge(mm, size);
	if (ret)
		goto err_free;
	buf->cpu_addr = dma_alloc_coherent(dev, size, &buf->dma_addr,
					   GFP_KERNEL | __GFP_NOWARN);
	if (!buf->cpu_addr) {
		dev_notice_ratelimited(dev, "pid %d: no DMA memory for %zu bytes\n",
				       task_pid_nr(current), size);
		ret = -ENOMEM;
		goto err_uncharge;
	}

	buf->af = af;
	buf->dev = get_device(dev);
	buf->mm = mm;
	mmgrab(mm);
	buf->size = size;
	buf->map_count = 1;
	spin_lock(&af->map_lock);
	list_add(&buf->node, &af->dma_bufs);
	spin_unlock(&af->map_lock);
	return buf;

err_uncharge:
	atomic64_sub(size >> PAGE_SHIFT, &mm->pinned_vm);
err_free:
	kfree(buf);
err_reserved:
	spin_lock(&af->map_lock);
	af->dma_bytes -= size;
	spin_unlock(&af->map_lock);
	return ERR_PTR(ret);
}

/* Give a claimed buffer back after a failed mmap: unmapped, on the list */
static void atemsys_dma_unclaim(struct atemsys_dma_buf *buf)
{
	spin_lock(&buf->af->map_lock);
	buf->map_count = 0;
	spin_unlock(&buf->af->map_lock);
}

/**
 * atemsys_dma_mmap() - map a coherent DMA buffer into @vma
 * @af: the fd the buffer is charged to
 * @dev: the device the buffer is for (af's PCI device, DT MAC or fallback)
 * @vma: the whole mapping; its size is the buffer's
 *
 * A reused buffer (zeroed, as a new one is) or a new one. Its bus address
 * goes into the first bytes: low 32 bits, then the high 32 bits if the
 * caller declared 64-bit DMA support (MOD_SET_API_VERSION >= 1.4.15).
 * Called with af->lock held.
 *
 * Return: 0, or -ENOMEM over the fd's dma_limit_mib or the caller's
 * RLIMIT_MEMLOCK, with no memory, or for an address above 4 GiB that the
 * caller cannot take; another errno if the mapping fails.
 */
int atemsys_dma_mmap(struct atemsys_file *af, struct device *dev,
		     struct vm_area_struct *vma)
{
	size_t size = vma->vm_end - vma->vm_start;
	struct atemsys_dma_buf *buf;
	u32 *words;
	int ret;

	buf = atemsys_dma_reuse(af, dev, size);
	if (buf) {
		memset(buf->cpu_addr, 0, buf->size);
	} else {
		buf = atemsys_dma_alloc(af, dev, vma->vm_mm, size);
		if (IS_ERR(buf))
			return PTR_ERR(buf);
	}
	if (upper_32_bits(buf->dma_addr) && !af->dma64) {
		/* the caller's API version: notice level */
		dev_notice_ratelimited(dev, "pid %d: DMA address %pad is above 4 GiB: the caller must declare API version >= 1.4.15\n",
				       task_pid_nr(current), &buf->dma_addr);
		ret = -ENOMEM;
		goto err_unclaim;
	}

	atemsys_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	ret = dma_mmap_coherent(dev, vma, buf->cpu_addr, buf->dma_addr,
				buf->size);
	if (ret) {
		dev_warn(dev, "cannot map DMA memory: %d\n", ret);
		goto err_unclaim;
	}

	words = buf->cpu_addr;
	words[0] = lower_32_bits(buf->dma_addr);
	if (af->dma64)
		words[1] = upper_32_bits(buf->dma_addr);
	vma->vm_private_data = buf;
	vma->vm_ops = &atemsys_dma_vm_ops;
	return 0;

err_unclaim:
	/* kept for reuse: freed with the others after bus mastering is off */
	atemsys_dma_unclaim(buf);
	return ret;
}
