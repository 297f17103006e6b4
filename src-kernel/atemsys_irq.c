// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: the device interrupt of an fd, delivered through read() and
 * poll(). Level lines (PCI INTx, a device-tree MAC's interrupts) are masked
 * in the handler and unmasked when userspace comes back for the next
 * interrupt; with PCI 2.3 INTx masking the line is masked at the device, so
 * it can be shared.
 */

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "atemsys.h"
#include "atemsys_dt.h"

enum { ATEMSYS_IRQ_AUTO, ATEMSYS_IRQ_MSIX, ATEMSYS_IRQ_MSI, ATEMSYS_IRQ_INTX };

static const char * const atemsys_irq_mode_names[] = {
	[ATEMSYS_IRQ_AUTO] = "auto",
	[ATEMSYS_IRQ_MSIX] = "msix",
	[ATEMSYS_IRQ_MSI] = "msi",
	[ATEMSYS_IRQ_INTX] = "intx",
};

static int atemsys_irq_mode = ATEMSYS_IRQ_AUTO;

static int atemsys_irq_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(atemsys_irq_mode_names, val);

	if (mode < 0)
		return -EINVAL;
	WRITE_ONCE(atemsys_irq_mode, mode);
	return 0;
}

static int atemsys_irq_mode_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 atemsys_irq_mode_names[READ_ONCE(atemsys_irq_mode)]);
}

static const struct kernel_param_ops atemsys_irq_mode_ops = {
	.set	= atemsys_irq_mode_set,
	.get	= atemsys_irq_mode_get,
};

module_param_cb(pci_irq_mode, &atemsys_irq_mode_ops, NULL, 0644);
MODULE_PARM_DESC(pci_irq_mode,
		 "PCI interrupt types INT_CONNECT may use: auto (MSI-X, MSI, INTx; default), msix, msi, intx");

int atemsys_irq_mode_flags(void)
{
	switch (READ_ONCE(atemsys_irq_mode)) {
	case ATEMSYS_IRQ_MSIX:
		return PCI_IRQ_MSIX;
	case ATEMSYS_IRQ_MSI:
		return PCI_IRQ_MSI;
	case ATEMSYS_IRQ_INTX:
		return PCI_IRQ_INTX;
	default:
		return PCI_IRQ_MSIX | PCI_IRQ_MSI | PCI_IRQ_INTX;
	}
}

void atemsys_irq_init(struct atemsys_irq *ai)
{
	init_waitqueue_head(&ai->wq);
}

/*
 * Mark the fd's device as being removed (hot-unplug, sysfs remove, driver
 * unbind; the removal waits until the fd lets the device go) or, @gone
 * false, the fd as free of it again (on release). While set, read() fails
 * with -ENODEV (a blocked reader is woken), poll() reports EPOLLERR |
 * EPOLLHUP, and INT_CONNECT and mmap fail with -ENODEV: the process learns
 * it must release the device. Any context; takes ai->wq.lock.
 */
void atemsys_irq_device_gone(struct atemsys_irq *ai, bool gone)
{
	unsigned long flags;

	spin_lock_irqsave(&ai->wq.lock, flags);
	ai->device_gone = gone;
	if (gone)
		wake_up_locked(&ai->wq);
	spin_unlock_irqrestore(&ai->wq.lock, flags);
}

bool atemsys_irq_is_device_gone(struct atemsys_irq *ai)
{
	return READ_ONCE(ai->device_gone);
}

/* Count one interrupt; called with ai->wq.lock held */
static void atemsys_irq_count(struct atemsys_irq *ai)
{
	ai->pending++;
	ai->total++;
}

static irqreturn_t atemsys_irq_handler(int irq, void *dev_id)
{
	struct atemsys_file *af = dev_id;
	struct atemsys_irq *ai = &af->irq;

	spin_lock(&ai->wq.lock);
	if (ai->intx) {
		/* masked: the (shared) line was raised by another device */
		if (ai->masked)
			goto not_ours;
		if (ai->intx_maskable) {
			if (!pci_check_and_mask_intx(af->pdev))
				goto not_ours;
		} else {
			disable_irq_nosync(irq);
		}
		ai->masked = true;
	}
	atemsys_irq_count(ai);
	wake_up_locked_poll(&ai->wq, EPOLLIN);
	spin_unlock(&ai->wq.lock);
	return IRQ_HANDLED;

not_ours:
	spin_unlock(&ai->wq.lock);
	return IRQ_NONE;
}

/*
 * Userspace is back for the next interrupt, having consumed the previous
 * ones: unmask a masked INTx line. If the device still asserts it (not
 * acknowledged), that counts as a new interrupt and the line stays masked.
 */
static void atemsys_irq_unmask(struct atemsys_file *af)
{
	struct atemsys_irq *ai = &af->irq;
	unsigned long flags;

	spin_lock_irqsave(&ai->wq.lock, flags);
	if (ai->connected && ai->masked && !ai->pending) {
		if (!ai->intx_maskable) {
			ai->masked = false;
			enable_irq(ai->irq);
		} else if (pci_check_and_unmask_intx(af->pdev)) {
			ai->masked = false;
		} else {
			atemsys_irq_count(ai);
			wake_up_locked_poll(&ai->wq, EPOLLIN);
		}
	}
	spin_unlock_irqrestore(&ai->wq.lock, flags);
}

/*
 * Request @irq for @af. A line (@intx) is masked in the handler until the
 * next read(): at the device if @maskable (the line can then be shared),
 * else with disable_irq_nosync(), which needs the line to itself.
 */
static int atemsys_irq_request(struct atemsys_file *af, unsigned int irq,
			       bool pci, bool intx, bool maskable)
{
	struct atemsys_irq *ai = &af->irq;
	int ret;

	spin_lock_irq(&ai->wq.lock);
	ai->irq = irq;
	ai->pci = pci;
	ai->intx = intx;
	ai->intx_maskable = maskable;
	/* a line masked by an earlier user is unmasked below */
	ai->masked = maskable;
	ai->pending = 0;
	spin_unlock_irq(&ai->wq.lock);

	ret = request_irq(irq, atemsys_irq_handler, maskable ? IRQF_SHARED : 0,
			  ATEMSYS_DRV_NAME, af);
	if (ret)
		return ret;

	spin_lock_irq(&ai->wq.lock);
	ai->connected = true;
	spin_unlock_irq(&ai->wq.lock);
	atemsys_irq_unmask(af);
	return 0;
}

/* atemsys_irq_connect_pci() with the device lock held */
static int atemsys_irq_connect_pci_locked(struct atemsys_file *af)
{
	struct atemsys_irq *ai = &af->irq;
	struct pci_dev *pdev = af->pdev;
	bool intx, maskable;
	int nvec, irq, ret;

	/*
	 * The MSI core keeps devres on the device; group it so disconnect
	 * removes it even when no driver is bound (it would block a later
	 * driver probe otherwise).
	 */
	ai->vec_group = devres_open_group(&pdev->dev, NULL, GFP_KERNEL);
	if (!ai->vec_group)
		return -ENOMEM;
	nvec = pci_alloc_irq_vectors(pdev, 1, 1, atemsys_irq_mode_flags());
	devres_close_group(&pdev->dev, ai->vec_group);
	if (nvec < 0) {
		/* the device's or the parameter's limit, not a kernel problem */
		pci_notice_ratelimited(pdev, "pid %d: the device has no interrupt of the types pci_irq_mode=%s allows: %d\n",
				       task_pid_nr(current),
				       atemsys_irq_mode_names[READ_ONCE(atemsys_irq_mode)],
				       nvec);
		ret = nvec;
		goto err_group;
	}
	irq = pci_irq_vector(pdev, 0);
	intx = !pdev->msi_enabled && !pdev->msix_enabled;
	maskable = intx && pci_intx_mask_supported(pdev);
	/* CONF and disconnect leave INTx off; a maskable line opens on unmask */
	if (intx && !maskable)
		pci_intx(pdev, 1);

	ret = atemsys_irq_request(af, irq, true, intx, maskable);
	if (ret) {
		pci_warn(pdev, "cannot get IRQ %d%s: %d\n", irq,
			 intx && !maskable ?
			 " (INTx without PCI 2.3 masking cannot be shared)" : "",
			 ret);
		pci_free_irq_vectors(pdev);
		goto err_group;
	}
	pci_dbg(pdev, "IRQ %d connected (%s)\n", irq,
		pdev->msix_enabled ? "MSI-X" : pdev->msi_enabled ? "MSI" :
		maskable ? "INTx, shareable" : "INTx");
	return 0;

err_group:
	devres_release_group(&pdev->dev, ai->vec_group);
	ai->vec_group = NULL;
	return ret;
}

/*
 * Connect the fd's PCI device's interrupt. Under the device lock, which a
 * driver's probe runs under: a failed probe releases every devres of the
 * device, the MSI core's among them, and with MSI already set up the
 * driver core refuses a probe before it starts. -EBUSY while a driver is
 * being bound or unbound.
 */
static int atemsys_irq_connect_pci(struct atemsys_file *af)
{
	struct pci_dev *pdev = af->pdev;
	int ret;

	if (!atemsys_pci_dev_trylock(pdev))
		return -EBUSY;
	ret = atemsys_irq_connect_pci_locked(af);
	device_unlock(&pdev->dev);
	return ret;
}

/*
 * Interrupt @index of the fd's device-tree MAC (its node's "interrupts"),
 * masked like a PCI INTx line without PCI 2.3 masking: not shareable.
 */
static int atemsys_irq_connect_dt(struct atemsys_file *af, u32 index)
{
	struct platform_device *pdev = af->dt->pdev;
	struct device *dev = &pdev->dev;
	int irq, ret;

	irq = platform_get_irq_optional(pdev, index);
	if (irq < 0) {
		dev_notice_ratelimited(dev, "pid %d: INT_CONNECT: the node has no interrupt %u: %d\n",
				       task_pid_nr(current), index, irq);
		return irq;
	}
	ret = atemsys_irq_request(af, irq, false, true, false);
	if (ret) {
		dev_warn(dev, "pid %d: cannot get IRQ %d (interrupt %u of the node; it cannot be shared): %d\n",
			 task_pid_nr(current), irq, index, ret);
		return ret;
	}
	dev_dbg(dev, "IRQ %d (interrupt %u) connected\n", irq, index);
	return 0;
}

/**
 * atemsys_ioctl_int_connect() - ATEMSYS_IOCTL_INT_CONNECT
 * @af: the calling fd
 * @arg: the value itself, not a pointer: ATEMSYS_USE_PCI_INT (or the IRQ
 *	CONF returned) for the fd's PCI device, or an index into the
 *	interrupts of its device-tree MAC
 *
 * Return: 0; -ENODEV without a device (or with ATEMSYS_USE_PCI_INT for a
 * DT MAC) or while it is being removed; -EBUSY if one is connected or a
 * driver binds or unbinds the device; -EPERM for another IRQ number; the
 * errno of the vector allocation or of request_irq().
 */
long atemsys_ioctl_int_connect(struct atemsys_file *af, unsigned long arg)
{
	u32 value = arg;
	long ret;

	mutex_lock(&af->lock);
	if (atemsys_irq_is_device_gone(&af->irq)) {
		ret = -ENODEV;
	} else if (af->irq.connected) {
		ret = -EBUSY;
	} else if (af->dt) {
		ret = value == ATEMSYS_USE_PCI_INT ? -ENODEV :
		      atemsys_irq_connect_dt(af, value);
	} else if (!af->pdev) {
		ret = -ENODEV;
	} else if (value != ATEMSYS_USE_PCI_INT && value != af->pdev->irq) {
		/* the IRQ number CONF returned is accepted, nothing else */
		dev_notice_ratelimited(atemsys_dev,
				       "pid %d: IRQ %u is not the fd's device's; use ATEMSYS_USE_PCI_INT\n",
				       task_pid_nr(current), value);
		ret = -EPERM;
	} else {
		ret = atemsys_irq_connect_pci(af);
	}
	mutex_unlock(&af->lock);
	return ret;
}

/* Called with af->lock held */
void atemsys_irq_disconnect(struct atemsys_file *af)
{
	struct atemsys_irq *ai = &af->irq;

	if (!ai->connected)
		return;

	atemsys_compat_irq_unhint(ai->irq);
	free_irq(ai->irq, af);
	if (ai->pci) {
		pci_free_irq_vectors(af->pdev);
		devres_release_group(&af->pdev->dev, ai->vec_group);
		ai->vec_group = NULL;
		/*
		 * Freeing MSI or MSI-X vectors turns INTx back on (the MSI
		 * core's shutdown). No handler is left: a device that raises
		 * its interrupt now would assert a line nobody claims and
		 * storm whoever shares it. INTx stays off until a connect.
		 */
		pci_intx(af->pdev, 0);
	}

	spin_lock_irq(&ai->wq.lock);
	ai->connected = false;
	ai->irq = 0;
	ai->masked = false;
	ai->pending = 0;
	ai->gen++;
	wake_up_all_locked(&ai->wq);
	spin_unlock_irq(&ai->wq.lock);
}

/**
 * atemsys_ioctl_int_disconnect() - ATEMSYS_IOCTL_INT_DISCONNECT
 * @af: the calling fd
 *
 * Frees the interrupt, if one is connected; a waiting read() fails with
 * -EINVAL.
 *
 * Return: 0.
 */
long atemsys_ioctl_int_disconnect(struct atemsys_file *af)
{
	mutex_lock(&af->lock);
	atemsys_irq_disconnect(af);
	mutex_unlock(&af->lock);
	return 0;
}

/**
 * atemsys_ioctl_int_info() - ATEMSYS_IOCTL_INT_INFO
 * @af: the calling fd
 * @arg: u32 out: the connected Linux IRQ number, 0 if none
 *
 * Return: 0; -EFAULT.
 */
long atemsys_ioctl_int_info(struct atemsys_file *af, void __user *arg)
{
	u32 irq;

	mutex_lock(&af->lock);
	irq = af->irq.connected ? af->irq.irq : 0;
	mutex_unlock(&af->lock);
	return put_user(irq, (u32 __user *)arg);
}

/**
 * atemsys_ioctl_int_set_cpu_affinity() - ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY
 * @af: the calling fd
 * @cmd: the command; its size is the mask's
 *	(ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N)
 * @arg: the CPU mask, bit n of byte n / 8 for CPU n
 *
 * Return: 0; -EINVAL for a size of 0 or over ATEMSYS_CPU_AFFINITY_MAX_BYTES,
 * or a mask without an online CPU; -ENOTCONN without a connected interrupt;
 * -ENOMEM; -EFAULT; the errno of the affinity setting.
 */
long atemsys_ioctl_int_set_cpu_affinity(struct atemsys_file *af,
					unsigned int cmd, void __user *arg)
{
	unsigned int size = _IOC_SIZE(cmd), cpu;
	cpumask_var_t mask;
	u8 *bytes;
	long ret;

	if (!size || size > ATEMSYS_CPU_AFFINITY_MAX_BYTES)
		return -EINVAL;
	bytes = memdup_user(arg, size);
	if (IS_ERR(bytes))
		return PTR_ERR(bytes);
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_bytes;
	}

	/* bit n of byte n / 8 is CPU n (cpu_set_t on little-endian) */
	for (cpu = 0; cpu < size * BITS_PER_BYTE && cpu < nr_cpu_ids; cpu++)
		if (bytes[cpu / BITS_PER_BYTE] & BIT(cpu % BITS_PER_BYTE))
			cpumask_set_cpu(cpu, mask);

	if (!cpumask_intersects(mask, cpu_online_mask)) {
		ret = -EINVAL;
		goto out_mask;
	}

	mutex_lock(&af->lock);
	if (!af->irq.connected)
		ret = -ENOTCONN;
	else
		ret = atemsys_compat_irq_affinity(af->irq.irq, mask);
	mutex_unlock(&af->lock);

out_mask:
	free_cpumask_var(mask);
out_bytes:
	kfree(bytes);
	return ret;
}

/*
 * The start of a wait for the next interrupt (read(), poll()): is one
 * connected, its generation, and its line unmasked if the handler masked
 * it. Only a masked line takes af->lock (the unmask must not race with a
 * disconnect); MSI and MSI-X are never masked, so their waits take only
 * ai->wq.lock.
 */
static bool atemsys_irq_rearm(struct atemsys_file *af, unsigned int *gen)
{
	struct atemsys_irq *ai = &af->irq;
	bool connected, masked;

	spin_lock_irq(&ai->wq.lock);
	connected = ai->connected;
	masked = ai->masked;
	*gen = ai->gen;
	spin_unlock_irq(&ai->wq.lock);
	if (connected && masked) {
		mutex_lock(&af->lock);
		/* not disconnected meanwhile (disconnect holds af->lock) */
		if (READ_ONCE(ai->gen) == *gen)
			atemsys_irq_unmask(af);
		mutex_unlock(&af->lock);
	}
	return connected;
}

/*
 * Returns 4 bytes: the number of interrupts since the last read. Blocks
 * until there is one, unless O_NONBLOCK. -ENODEV once the device is being
 * removed, -EINVAL without a connected interrupt or when it is disconnected
 * meanwhile.
 */
ssize_t atemsys_read(struct file *file, char __user *buf, size_t count,
		     loff_t *ppos)
{
	struct atemsys_file *af = file->private_data;
	struct atemsys_irq *ai = &af->irq;
	unsigned int gen;
	u32 n = 0;
	int ret;

	if (count < sizeof(u32))
		return -EINVAL;
	if (atemsys_irq_is_device_gone(ai))
		return -ENODEV;
	if (!atemsys_irq_rearm(af, &gen))
		return -EINVAL;

	spin_lock_irq(&ai->wq.lock);
	if (!ai->pending && ai->gen == gen && !ai->device_gone &&
	    (file->f_flags & O_NONBLOCK))
		ret = -EAGAIN;
	else
		ret = wait_event_interruptible_locked_irq(ai->wq,
							  ai->pending || ai->gen != gen ||
							  ai->device_gone);
	if (!ret && ai->device_gone)
		ret = -ENODEV;	/* being removed meanwhile */
	else if (!ret && ai->gen != gen)
		ret = -EINVAL;	/* disconnected meanwhile */
	if (!ret) {
		n = ai->pending;
		ai->pending = 0;
	}
	spin_unlock_irq(&ai->wq.lock);
	if (ret)
		return ret;

	if (put_user(n, (u32 __user *)buf))
		return -EFAULT;
	return sizeof(u32);
}

__poll_t atemsys_poll(struct file *file, struct poll_table_struct *wait)
{
	struct atemsys_file *af = file->private_data;
	struct atemsys_irq *ai = &af->irq;
	__poll_t mask = 0;
	unsigned int gen;

	poll_wait(file, &ai->wq, wait);

	if (atemsys_irq_is_device_gone(ai))
		return EPOLLERR | EPOLLHUP;
	if (!atemsys_irq_rearm(af, &gen))
		return EPOLLERR;
	if (READ_ONCE(ai->pending))
		mask = EPOLLIN | EPOLLRDNORM;
	return mask;
}
