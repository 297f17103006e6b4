// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: PCI lookup, configuration and release, BAR ownership, and the
 * atemsys_pci driver for NICs handed over with driver_override or new_id.
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "atemsys.h"

/* A device bound to the atemsys_pci driver */
struct atemsys_pci_inst {
	struct list_head node;
	struct pci_dev *pdev;
	struct atemsys_owner owner;	/* the fd attached to it, if any */
};

/* inst list and each inst's owner (lock order: atemsys.h) */
static DEFINE_MUTEX(atemsys_pci_lock);
static LIST_HEAD(atemsys_pci_insts);
static bool atemsys_pci_registered;

/*
 * Devices no driver owns that an fd holds: the holding fd, keyed by
 * atemsys_pci_key() of its af->pdev. A second CONF is refused here, before
 * the PCI core would log a "can't reserve" warning for regions the first fd
 * holds. The xarray's own lock; an fd is freed only after it erased its
 * entry, so one found under that lock is alive (lock order: atemsys.h).
 */
static DEFINE_XARRAY(atemsys_pci_held);
static DECLARE_WAIT_QUEUE_HEAD(atemsys_pci_held_wq);	/* one was let go */

/*
 * Devices being removed (from BUS_NOTIFY_DEL_DEVICE to
 * BUS_NOTIFY_REMOVED_DEVICE), keyed as above: CONF refuses them, so a
 * holder told to let go cannot take the device again, and nobody takes it
 * between the notifier and the end of the removal.
 */
static DEFINE_XARRAY(atemsys_pci_removing);
static bool atemsys_pci_notifying;

static unsigned long atemsys_pci_key(struct pci_dev *pdev)
{
	return ((unsigned long)pci_domain_nr(pdev->bus) << 16) | pci_dev_id(pdev);
}

/*
 * Does an fd hold @pdev without a driver? If so and @tell, that fd learns
 * the device is going away (atemsys_irq_device_gone()).
 */
static bool atemsys_pci_is_held(struct pci_dev *pdev, bool tell)
{
	struct atemsys_file *af;
	bool held;

	xa_lock(&atemsys_pci_held);
	af = xa_load(&atemsys_pci_held, atemsys_pci_key(pdev));
	held = af && READ_ONCE(af->pdev) == pdev;
	if (held && tell)
		atemsys_irq_device_gone(&af->irq, true);
	xa_unlock(&atemsys_pci_held);
	return held;
}

/*
 * AllowedPciDevices, in CamelCase: the original's parameter name, kept so
 * that existing insmod and modprobe.d lines work.
 */
static char *allowed_pci_devices = "PCI_ANY_ID";
module_param_named(AllowedPciDevices, allowed_pci_devices, charp, 0444);
MODULE_PARM_DESC(AllowedPciDevices,
		 "Devices the atemsys_pci driver may bind: \"PCI_ANY_ID\" (default), \"\" (driver not registered) or \"DDDD:BB:DD.F;...\"");

/* The three select-desc revisions, told apart by _IOC_SIZE(cmd) */
union atemsys_pci_desc {
	struct atemsys_pci_select_desc_v1_0_00 v1_0;
	struct atemsys_pci_select_desc_v1_3_05 v1_3;
	struct atemsys_pci_select_desc_v1_4_12 v1_4;
};

static int atemsys_desc_get(union atemsys_pci_desc *d, unsigned int cmd,
			    void __user *arg)
{
	memset(d, 0, sizeof(*d));
	if (copy_from_user(d, arg, _IOC_SIZE(cmd)))
		return -EFAULT;
	return 0;
}

static int atemsys_desc_domain(const union atemsys_pci_desc *d,
			       unsigned int cmd)
{
	switch (_IOC_SIZE(cmd)) {
	case sizeof(d->v1_3):
		return d->v1_3.domain;
	case sizeof(d->v1_4):
		return d->v1_4.domain;
	default:
		return 0;	/* the 1.0 struct predates PCI domains */
	}
}

static void atemsys_desc_set_location(union atemsys_pci_desc *d,
				      unsigned int cmd, struct pci_dev *pdev)
{
	/* the first 32 bytes are the same in every revision */
	d->v1_0.bus = pdev->bus->number;
	d->v1_0.device = PCI_SLOT(pdev->devfn);
	d->v1_0.function = PCI_FUNC(pdev->devfn);
	if (_IOC_SIZE(cmd) == sizeof(d->v1_3))
		d->v1_3.domain = pci_domain_nr(pdev->bus);
	else if (_IOC_SIZE(cmd) == sizeof(d->v1_4))
		d->v1_4.domain = pci_domain_nr(pdev->bus);
}

/* Memory BARs, packed without gaps, and the IRQ, as the original reports */
static int atemsys_desc_set_bars(union atemsys_pci_desc *d, unsigned int cmd,
				 struct pci_dev *pdev)
{
	bool wide = _IOC_SIZE(cmd) == sizeof(d->v1_4);
	int bar, n = 0;

	for (bar = 0; bar < PCI_STD_NUM_BARS && n < ATEMSYS_PCI_MAXBAR; bar++) {
		resource_size_t start = pci_resource_start(pdev, bar);
		resource_size_t len = pci_resource_len(pdev, bar);

		if (!atemsys_pci_bar_usable(pdev, bar))
			continue;
		if (len > U32_MAX)
			len = U32_MAX;
		if (!wide && upper_32_bits(start)) {
			/* the caller's struct revision: notice level */
			pci_notice_ratelimited(pdev, "pid %d: BAR%d above 4 GiB: the caller must use the 1.4.12 select-desc struct\n",
					       task_pid_nr(current), bar);
			return -ENODEV;
		}
		if (wide) {
			d->v1_4.bars[n].addr = start;
			d->v1_4.bars[n].len = len;
		} else {
			d->v1_0.bars[n].addr = lower_32_bits(start);
			d->v1_0.bars[n].len = len;
		}
		n++;
	}
	d->v1_0.bar_count = n;
	d->v1_0.irq = pdev->irq;
	return 0;
}

/**
 * atemsys_ioctl_pci_find_device() - ATEMSYS_IOCTL_PCI_FIND_DEVICE_v*
 * @af: the calling fd
 * @cmd: the command, whose size says the select-desc revision
 * @arg: the select-desc: vendor_id, device_id (-1: any) and instance in;
 *	domain (revisions from 1.3.05), bus, device and function out
 *
 * Return: 0; -EINVAL for a negative instance; -ENODEV if there is no such
 * device; -EFAULT.
 */
long atemsys_ioctl_pci_find_device(struct atemsys_file *af, unsigned int cmd,
				   void __user *arg)
{
	union atemsys_pci_desc d;
	struct pci_dev *pdev = NULL;
	s32 i;
	int ret;

	ret = atemsys_desc_get(&d, cmd, arg);
	if (ret)
		return ret;
	if (d.v1_0.instance < 0)
		return -EINVAL;

	/* vendor/device -1 is PCI_ANY_ID; pci_get_device() drops "from" */
	for (i = 0; i <= d.v1_0.instance; i++) {
		pdev = pci_get_device((u32)d.v1_0.vendor_id,
				      (u32)d.v1_0.device_id, pdev);
		if (!pdev)
			return -ENODEV;
	}
	atemsys_desc_set_location(&d, cmd, pdev);
	pci_dev_put(pdev);

	if (copy_to_user(arg, &d, _IOC_SIZE(cmd)))
		return -EFAULT;
	return 0;
}

static int atemsys_pci_set_dma_mask(struct pci_dev *pdev)
{
	int ret;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		pci_err(pdev, "no usable DMA mask: %d\n", ret);
	return ret;
}

/**
 * atemsys_pci_enable() - enable a device, for an fd or for atemsys_pci
 * @pdev: the device
 * @name: what its regions are requested as (shown in /proc/iomem)
 *
 * Enables the device, requests all its regions and sets its DMA mask.
 * atemsys_pci_disable() undoes it.
 *
 * Return: 0; -EBUSY when another driver holds one of its regions; the
 * errno of pci_enable_device() or of the DMA mask.
 */
static int atemsys_pci_enable(struct pci_dev *pdev, const char *name)
{
	int ret;

	ret = pci_enable_device(pdev);
	if (ret) {
		pci_err(pdev, "cannot enable device: %d\n", ret);
		return ret;
	}

	ret = pci_request_regions(pdev, name);
	if (ret) {
		pci_notice_ratelimited(pdev, "pid %d: regions in use by another driver (see /proc/iomem)\n",
				       task_pid_nr(current));
		ret = -EBUSY;
		goto err_disable;
	}

	ret = atemsys_pci_set_dma_mask(pdev);
	if (ret)
		goto err_regions;
	return 0;

err_regions:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

static void atemsys_pci_disable(struct pci_dev *pdev)
{
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}

/* Claim the instance of a device bound to atemsys_pci, if it is one */
static struct atemsys_pci_inst *atemsys_pci_inst_claim(struct pci_dev *pdev,
						       struct atemsys_file *af)
{
	struct atemsys_pci_inst *inst, *found = NULL;
	int ret;

	mutex_lock(&atemsys_pci_lock);
	list_for_each_entry(inst, &atemsys_pci_insts, node) {
		if (inst->pdev != pdev)
			continue;
		ret = atemsys_owner_claim(&inst->owner, af);
		found = ret ? ERR_PTR(ret) : inst;
		break;
	}
	mutex_unlock(&atemsys_pci_lock);
	return found;
}

/* The host bridge above pdev (pci_find_host_bridge(), not exported on 5.10) */
static struct pci_host_bridge *atemsys_pci_host_bridge(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;

	while (!pci_is_root_bus(bus))
		bus = bus->parent;
	return to_pci_host_bridge(bus->bridge);
}

/*
 * DT (and other runtime-mapping) platforms route INTx only when a driver
 * probes the device, so a device no driver owns has no IRQ yet. Ask the host
 * bridge for the line the device's pin, swizzled through any bridges, is
 * wired to. x86 and ACPI set pdev->irq in pci_enable_device() instead.
 */
static void atemsys_pci_route_intx(struct pci_dev *pdev)
{
	struct pci_host_bridge *bridge = atemsys_pci_host_bridge(pdev);
	u8 pin = 0, slot = 0;
	int irq;

	if (pdev->irq || !bridge || !bridge->map_irq)
		return;
	pci_read_config_byte(pdev, PCI_INTERRUPT_PIN, &pin);
	if (!pin)
		return;
	if (pin > 4)
		pin = 1;
	if (bridge->swizzle_irq)
		slot = bridge->swizzle_irq(pdev, &pin);
	irq = bridge->map_irq(pdev, slot, pin);
	if (irq <= 0) {
		pci_dbg(pdev, "no INTx route for pin %u\n", pin);
		return;
	}
	pdev->irq = irq;
	pci_write_config_byte(pdev, PCI_INTERRUPT_LINE, irq);
}

/*
 * Has the PCI core set it up (pci_bus_add_device())? A hot-added device
 * shows in sysfs as soon as it is scanned; its BARs are then claimed before
 * they are written to it (pci_assign_resource()), MPS and final fixups
 * follow. A CONF meanwhile would enable it and save, reset and restore a
 * config space the core is still writing: on QEMU's q35 the plugged-back
 * edu then delivered no interrupt for the rest of the boot. The core's
 * own flags (pci_dev_is_added(), and 7.x's binding flag that replaced
 * match_driver) are private; its /proc/bus/pci entry, made in
 * pci_bus_add_device() after the fixups and before drivers are tried, is
 * the sign outside it (5.10 ... 7.x). What follows it there runs under the
 * device lock (driver probe: CONF's -EBUSY) or only keeps a copy (6.12+
 * saves config space for error recovery). The entry goes again when a
 * removal starts (pci_stop_dev(), before the removal notifier), so a device
 * being removed is refused the same way; one whose entry could not be made
 * (no memory) stays refused. Without CONFIG_PROC_FS there is no sign: the
 * check passes, as before.
 */
static bool atemsys_pci_added(struct pci_dev *pdev)
{
	return !IS_ENABLED(CONFIG_PROC_FS) || READ_ONCE(pdev->procent);
}

/*
 * Are its BARs in the resource tree? Not when there was no room for them;
 * pci_enable_device() would fail with an error in the log.
 */
static bool atemsys_pci_bars_claimed(struct pci_dev *pdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct resource *r = &pdev->resource[bar];

		if ((r->flags & (IORESOURCE_MEM | IORESOURCE_IO)) &&
		    resource_size(r) && !r->parent)
			return false;
	}
	return true;
}

/* atemsys_pci_enable_unbound() under the device lock */
static int atemsys_pci_take_unbound(struct atemsys_file *af,
				    struct pci_dev *pdev)
{
	int ret;

	/* a caller's request, refused: notice level, not a kernel problem */
	if (pdev->dev.driver) {
		pci_notice_ratelimited(pdev, "pid %d: bound to driver %s: unbind it first (echo %s > /sys/bus/pci/drivers/%s/unbind)\n",
				       task_pid_nr(current),
				       dev_driver_string(&pdev->dev),
				       pci_name(pdev),
				       dev_driver_string(&pdev->dev));
		return -EBUSY;
	}
	/*
	 * Endpoints only: a bridge (a host bridge has no driver) carries other
	 * devices' traffic and interrupts, and a reset or bus-master change
	 * there reaches everything behind it.
	 */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL ||
	    pdev->class >> 16 == PCI_BASE_CLASS_BRIDGE) {
		pci_notice_ratelimited(pdev, "pid %d: a bridge (class %06x), not an endpoint: refused\n",
				       task_pid_nr(current), pdev->class);
		return -EPERM;
	}
	if (xa_load(&atemsys_pci_removing, atemsys_pci_key(pdev)) == pdev) {
		pci_notice_ratelimited(pdev, "pid %d: being removed (hot-unplug): refused\n",
				       task_pid_nr(current));
		return -ENODEV;
	}
	if (!atemsys_pci_added(pdev)) {
		pci_notice_ratelimited(pdev, "pid %d: not (or no longer) set up by the PCI core, as during hot-plug (no /proc/bus/pci entry): try again\n",
				       task_pid_nr(current));
		return -EAGAIN;
	}
	if (!atemsys_pci_bars_claimed(pdev)) {
		pci_notice_ratelimited(pdev, "pid %d: BARs not assigned (yet): try again once it is set up\n",
				       task_pid_nr(current));
		return -EAGAIN;
	}
	ret = xa_insert(&atemsys_pci_held, atemsys_pci_key(pdev), af,
			GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY)
			pci_notice_ratelimited(pdev, "pid %d: held by another /dev/atemsys fd\n",
					       task_pid_nr(current));
		return ret;
	}

	ret = atemsys_pci_enable(pdev, ATEMSYS_DRV_NAME);
	if (ret)
		goto err_held;
	atemsys_pci_route_intx(pdev);
	return 0;

err_held:
	xa_erase(&atemsys_pci_held, atemsys_pci_key(pdev));
	wake_up_all(&atemsys_pci_held_wq);
	return ret;
}

/*
 * A device no driver owns: enable it and take its regions for @af, whose
 * af->pdev it already is. Under the device lock, which a driver's probe
 * and remove run under: no driver (atemsys_pci included, whose probe
 * refuses a held device) can bind between the check and the regions.
 * -EBUSY while a driver binds or unbinds it.
 */
static int atemsys_pci_enable_unbound(struct atemsys_file *af,
				      struct pci_dev *pdev)
{
	int ret;

	if (!atemsys_pci_dev_trylock(pdev))
		return -EBUSY;
	ret = atemsys_pci_take_unbound(af, pdev);
	device_unlock(&pdev->dev);
	return ret;
}

/*
 * Silence the device: no DMA, no INTx (MSI and MSI-X are off once the
 * vectors are freed; on release both are off before that), then a function
 * reset where it has one (FLR, PM or a bus reset of its own; PCI core,
 * pci_reset_function()), as vfio-pci does on open and release. The reset
 * restores config space saved with bus mastering and INTx off. It is
 * skipped, not waited for, while someone holds the device lock (remove()
 * waiting for this fd). A device alone behind a bridge (a PCIe root port's
 * slot) may only have a secondary bus reset: the bridge's config access is
 * held for it, as pci_reset_function() does from 6.13 (6.12 warns
 * "unlocked secondary bus reset" otherwise).
 */
static void atemsys_pci_quiesce(struct pci_dev *pdev)
{
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	int ret = -EAGAIN;

	pci_clear_master(pdev);
	pci_intx(pdev, 0);
	if (!bridge || pci_cfg_access_trylock(bridge)) {
		ret = pci_try_reset_function(pdev);
		if (bridge)
			pci_cfg_access_unlock(bridge);
	}
	if (ret && ret != -ENOTTY)
		pci_dbg(pdev, "no function reset: %d\n", ret);
	/*
	 * Only an FLR counts as stopping it: without one the reset done may
	 * have been a PM reset (D3hot -> D0; which one cannot be told), and
	 * not every device or emulator honours that (QEMU's e1000e keeps its
	 * rings and queued frames). Not stopped, it may still write what it
	 * was given, once bus master.
	 */
	atemsys_dma_device_stopped(&pdev->dev, !ret && atemsys_pci_has_flr(pdev));
}

/* Called with af->lock held; takes over the caller's reference on pdev */
static int atemsys_pci_attach(struct atemsys_file *af, struct pci_dev *pdev)
{
	struct atemsys_pci_inst *inst;
	int ret;

	inst = atemsys_pci_inst_claim(pdev, af);
	if (IS_ERR(inst))
		return PTR_ERR(inst);
	/* before the held entry: a removal looks for the fd by it */
	WRITE_ONCE(af->pdev, pdev);
	if (!inst) {
		ret = atemsys_pci_enable_unbound(af, pdev);
		if (ret) {
			WRITE_ONCE(af->pdev, NULL);
			/* a removal may have told the fd in between */
			atemsys_irq_device_gone(&af->irq, false);
			return ret;
		}
	}

	af->inst = inst;
	/* whatever ran it before, the fd starts from a quiet, reset device */
	atemsys_pci_quiesce(pdev);
	pci_set_master(pdev);
	atemsys_dma_set_bus_master(af, true);
	return 0;
}

/**
 * atemsys_ioctl_pci_conf_device() - ATEMSYS_IOCTL_PCI_CONF_DEVICE_v*
 * @af: the calling fd
 * @cmd: the command, whose size says the select-desc revision
 * @arg: the select-desc: domain, bus, device and function in; memory BARs
 *	(packed) and IRQ out
 *
 * Attaches the device to @af: enabled, its regions requested, reset where
 * it can be, bus master.
 *
 * Return: 0; -ENODEV if there is no such device, it is being removed, or a
 * BAR lies above 4 GiB for an 80- or 84-byte struct; -EBUSY if @af holds a
 * device, another fd or driver holds this one, or a driver binds or
 * unbinds it; -EPERM for a bridge; -EAGAIN while the PCI core is still
 * adding it (hot-plug) or its BARs are unassigned; -EFAULT.
 */
long atemsys_ioctl_pci_conf_device(struct atemsys_file *af, unsigned int cmd,
				   void __user *arg)
{
	union atemsys_pci_desc d;
	struct pci_dev *pdev;
	int ret;

	ret = atemsys_desc_get(&d, cmd, arg);
	if (ret)
		return ret;
	if (d.v1_0.bus < 0 || d.v1_0.bus > 0xff || d.v1_0.device < 0 ||
	    d.v1_0.device > 0x1f || d.v1_0.function < 0 ||
	    d.v1_0.function > 7 || atemsys_desc_domain(&d, cmd) < 0)
		return -ENODEV;

	pdev = pci_get_domain_bus_and_slot(atemsys_desc_domain(&d, cmd),
					   d.v1_0.bus,
					   PCI_DEVFN(d.v1_0.device,
						     d.v1_0.function));
	if (!pdev)
		return -ENODEV;

	mutex_lock(&af->lock);
	if (af->pdev || af->dt) {
		/* one device per fd: release it (or close the DT one's fd) */
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = atemsys_pci_attach(af, pdev);
	if (ret)
		goto err_unlock;
	/* after enabling: that is when the platform assigns pdev->irq */
	ret = atemsys_desc_set_bars(&d, cmd, pdev);
	if (ret)
		goto err_release;
	pci_dbg(pdev, "configured for pid %d\n", task_pid_nr(current));
	/* copy out unlocked: a fault there may take mmap_lock, under which mmap takes af->lock */
	mutex_unlock(&af->lock);

	if (copy_to_user(arg, &d, _IOC_SIZE(cmd))) {
		/*
		 * Undo it, unless another thread of the fd has released it or
		 * mapped it since (its mappings would outlive the release).
		 */
		mutex_lock(&af->lock);
		if (af->pdev == pdev && !atemsys_dma_device_mapped(af, &pdev->dev))
			atemsys_pci_release(af);
		mutex_unlock(&af->lock);
		return -EFAULT;
	}
	return 0;

err_release:
	atemsys_pci_release(af);	/* drops the reference too */
	mutex_unlock(&af->lock);
	return ret;
err_unlock:
	mutex_unlock(&af->lock);
	pci_dev_put(pdev);
	return ret;
}

/*
 * Give the fd's device back. Called with af->lock held and no mapping of the
 * device left. Bus mastering and INTx go first, then its interrupt, a
 * function reset, then the DMA memory the device could have written to.
 */
void atemsys_pci_release(struct atemsys_file *af)
{
	struct pci_dev *pdev = af->pdev;

	if (!pdev)
		return;

	/*
	 * Silence it before its interrupt goes: without bus mastering it
	 * sends no MSI or MSI-X message (a memory write) that could reach a
	 * freed vector (x86 logs "No irq handler for <cpu>.<vector>" at
	 * KERN_EMERG), without INTx it asserts no line nobody claims.
	 */
	pci_clear_master(pdev);
	pci_intx(pdev, 0);
	atemsys_irq_disconnect(af);
	atemsys_pci_quiesce(pdev);
	atemsys_dma_set_bus_master(af, false);
	atemsys_dma_free_unmapped(af);

	if (af->inst) {
		atemsys_owner_release(&af->inst->owner);
		af->inst = NULL;
	} else {
		atemsys_pci_disable(pdev);
		xa_erase(&atemsys_pci_held, atemsys_pci_key(pdev));
		wake_up_all(&atemsys_pci_held_wq);
	}
	WRITE_ONCE(af->pdev, NULL);
	atemsys_irq_device_gone(&af->irq, false);
	pci_dbg(pdev, "released\n");
	pci_dev_put(pdev);
}

/**
 * atemsys_ioctl_pci_release_device() - ATEMSYS_IOCTL_PCI_RELEASE_DEVICE
 * @af: the calling fd
 *
 * Gives the fd's PCI device back (atemsys_pci_release()).
 *
 * Return: 0; -ENODEV if the fd holds none; -EBUSY while one of its BARs or
 * DMA buffers is still mapped.
 */
long atemsys_ioctl_pci_release_device(struct atemsys_file *af)
{
	long ret = 0;

	mutex_lock(&af->lock);
	if (!af->pdev)
		ret = -ENODEV;
	else if (atemsys_dma_device_mapped(af, &af->pdev->dev))
		ret = -EBUSY;	/* munmap its BARs and DMA buffers first */
	else
		atemsys_pci_release(af);
	mutex_unlock(&af->lock);
	return ret;
}

static bool atemsys_pci_allowed(struct pci_dev *pdev)
{
	const char *name = pci_name(pdev);
	const char *list = allowed_pci_devices;
	size_t len = strlen(name);

	if (!strcmp(list, "PCI_ANY_ID"))
		return true;

	while (*list) {
		const char *end = strchrnul(list, ';');

		if (end - list == len && !strncmp(list, name, len))
			return true;
		list = *end ? end + 1 : end;
	}
	return false;
}

static int atemsys_pci_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct atemsys_pci_inst *inst;
	int ret;

	if (!atemsys_pci_allowed(pdev)) {
		pci_info(pdev, "not in AllowedPciDevices, not binding\n");
		return -ENODEV;
	}
	/* an fd holds it without a driver: its regions are taken */
	if (atemsys_pci_is_held(pdev, false)) {
		pci_notice_ratelimited(pdev, "held by a /dev/atemsys fd: not binding until it is released\n");
		return -ENODEV;
	}

	/* freed by devres once remove() has waited for the owner */
	inst = devm_kzalloc(&pdev->dev, sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
	inst->pdev = pdev;
	atemsys_owner_init(&inst->owner, &atemsys_pci_lock);

	ret = atemsys_pci_enable(pdev, ATEMSYS_PCI_DRV_NAME);
	if (ret)
		return ret;

	pci_set_drvdata(pdev, inst);
	mutex_lock(&atemsys_pci_lock);
	list_add(&inst->node, &atemsys_pci_insts);
	mutex_unlock(&atemsys_pci_lock);
	pci_info(pdev, "bound to %s\n", ATEMSYS_PCI_DRV_NAME);
	return 0;
}

static void atemsys_pci_remove(struct pci_dev *pdev)
{
	struct atemsys_pci_inst *inst = pci_get_drvdata(pdev);

	atemsys_owner_remove(&inst->owner, &pdev->dev);

	mutex_lock(&atemsys_pci_lock);
	list_del(&inst->node);
	mutex_unlock(&atemsys_pci_lock);

	atemsys_pci_disable(pdev);
	/* the next driver's to stop; freed while the DMA setup lasts */
	atemsys_dma_device_stopped(&pdev->dev, true);
}

/*
 * No IDs: the driver binds only devices handed to it explicitly, never a
 * NIC that Linux should drive.
 */
static const struct pci_device_id atemsys_pci_ids[] = {
	{ }
};

static struct pci_driver atemsys_pci_driver = {
	.name		= ATEMSYS_PCI_DRV_NAME,
	.id_table	= atemsys_pci_ids,
	.probe		= atemsys_pci_probe,
	.remove		= atemsys_pci_remove,
};

/*
 * Hot-unplug or a sysfs remove of a device an fd holds without a driver:
 * the PCI core frees its resources next, under the fd's regions, mappings,
 * interrupt and DMA. As the atemsys_pci driver's remove() and vfio-pci do,
 * the removal waits until the holder releases the device or closes (or
 * dies); the holder is told (read() -ENODEV, poll() EPOLLHUP). A kill does
 * not end the wait: going on would free the device's MSI data, regions and
 * resources under the holder's vectors and mappings (an Oops in its next
 * INT_DISCONNECT), so after a fatal signal the remover waits on, idle, as
 * vfio_unregister_group_dev() does once interrupted. A process must not
 * remove a device it holds itself (it would wait for itself). Killable and
 * idle waits are no hung task.
 */
static int atemsys_pci_bus_notify(struct notifier_block *nb,
				  unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	unsigned long key = atemsys_pci_key(pdev);
	bool held;

	if (action == BUS_NOTIFY_REMOVED_DEVICE) {
		xa_cmpxchg(&atemsys_pci_removing, key, pdev, NULL, GFP_KERNEL);
		return NOTIFY_DONE;
	}
	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	/* under the device lock: a CONF in progress finishes first */
	device_lock(&pdev->dev);
	if (xa_err(xa_store(&atemsys_pci_removing, key, pdev, GFP_KERNEL)))
		pci_dbg(pdev, "no memory to mark it as being removed\n");
	device_unlock(&pdev->dev);
	held = atemsys_pci_is_held(pdev, true);
	if (held) {
		pci_notice(pdev, "in use: removal waits until the process using it releases it or closes /dev/atemsys\n");
		if (wait_event_killable(atemsys_pci_held_wq,
					!atemsys_pci_is_held(pdev, false))) {
			pci_notice(pdev, "removal killed: it still waits until the process using the device lets go (kill that one)\n");
			wait_event_idle(atemsys_pci_held_wq,
					!atemsys_pci_is_held(pdev, false));
		}
	}
	/* leaving: what was kept for it goes while its DMA setup lasts */
	atemsys_dma_device_stopped(&pdev->dev, true);
	return held ? NOTIFY_OK : NOTIFY_DONE;
}

static struct notifier_block atemsys_pci_nb = {
	.notifier_call	= atemsys_pci_bus_notify,
};

/* The removal notifier, then the driver unless AllowedPciDevices is "" */
int atemsys_pci_driver_register(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &atemsys_pci_nb);
	if (ret)
		return ret;
	atemsys_pci_notifying = true;
	if (!*allowed_pci_devices)
		return 0;
	ret = pci_register_driver(&atemsys_pci_driver);
	atemsys_pci_registered = !ret;
	if (ret) {
		bus_unregister_notifier(&pci_bus_type, &atemsys_pci_nb);
		atemsys_pci_notifying = false;
	}
	return ret;
}

void atemsys_pci_driver_unregister(void)
{
	if (atemsys_pci_registered)
		pci_unregister_driver(&atemsys_pci_driver);
	atemsys_pci_registered = false;
	if (atemsys_pci_notifying)
		bus_unregister_notifier(&pci_bus_type, &atemsys_pci_nb);
	atemsys_pci_notifying = false;
	xa_destroy(&atemsys_pci_removing);
}
