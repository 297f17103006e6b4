// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: character device, open/release and ioctl dispatch.
 *
 * Gives a real-time userspace Ethernet driver PCI config (or a device-tree
 * MAC and its PHY), its NIC's registers, contiguous DMA memory and the NIC's
 * interrupt, with the userspace ABI of acontis atemsys 1.4.x.
 */

#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "atemsys.h"

struct device *atemsys_dev;
struct device *atemsys_dma_fallback;

static int loglevel = 6;
module_param(loglevel, int, 0444);
MODULE_PARM_DESC(loglevel,
		 "Accepted for compatibility; use dynamic debug for verbose logs");

static dev_t atemsys_devt;
static struct cdev atemsys_cdev;
static struct class *atemsys_class;
static struct platform_device *atemsys_fallback_pdev;

static int atemsys_open(struct inode *inode, struct file *file)
{
	struct atemsys_file *af;

	af = kzalloc(sizeof(*af), GFP_KERNEL);
	if (!af)
		return -ENOMEM;

	mutex_init(&af->lock);
	spin_lock_init(&af->map_lock);
	INIT_LIST_HEAD(&af->dma_bufs);
	atemsys_irq_init(&af->irq);
	file->private_data = af;

	dev_dbg(atemsys_dev, "open by pid %d\n", task_pid_nr(current));
	return nonseekable_open(inode, file);
}

/*
 * Called when the last reference to the file is gone, i.e. after every
 * mapping of it was unmapped (on process death the address space goes
 * first). Order matters: the interrupt is freed, a device-tree MAC's PHY is
 * stopped and its MDIO bus unregistered, and bus mastering is turned off
 * before any DMA buffer is freed.
 */
static int atemsys_release(struct inode *inode, struct file *file)
{
	struct atemsys_file *af = file->private_data;

	mutex_lock(&af->lock);
	/*
	 * A PCI device is silenced before its interrupt is freed; a DT MAC's
	 * freed interrupt stays masked at the interrupt controller.
	 */
	atemsys_dt_release(af);
	atemsys_pci_release(af);
	/* with neither device nothing is connected; never free af with a handler */
	atemsys_irq_disconnect(af);
	atemsys_dma_free_unmapped(af);
	mutex_unlock(&af->lock);

	dev_dbg(atemsys_dev, "release (%llu interrupts)\n", af->irq.total);
	kfree(af);
	return 0;
}

/**
 * atemsys_ioctl_mod_getversion() - ATEMSYS_IOCTL_MOD_GETVERSION
 * @arg: u32 out: ATEMSYS_VERSION_CODE
 *
 * Return: 0; -EFAULT.
 */
static long atemsys_ioctl_mod_getversion(void __user *arg)
{
	return put_user((u32)ATEMSYS_VERSION_CODE, (u32 __user *)arg);
}

/**
 * atemsys_ioctl_mod_set_api_version() - ATEMSYS_IOCTL_MOD_SET_API_VERSION
 * @af: the calling fd
 * @arg: u32 in: the caller's API version; from 1.4.15 DMA addresses may be
 *	64-bit for this fd
 *
 * Return: 0; -EFAULT.
 */
static long atemsys_ioctl_mod_set_api_version(struct atemsys_file *af,
					      void __user *arg)
{
	u32 version;

	if (get_user(version, (u32 __user *)arg))
		return -EFAULT;

	mutex_lock(&af->lock);
	af->dma64 = version >= ATEMSYS_API_64BIT_DMA;
	mutex_unlock(&af->lock);
	return 0;
}

#define ATEMSYS_IOC_SIZE_BITS	(_IOC_SIZEMASK << _IOC_SIZESHIFT)

/*
 * The command the table below knows @cmd as: INT_SET_CPU_AFFINITY with a
 * mask of any size (ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N) is that command;
 * its handler reads the size from @cmd.
 */
static unsigned int atemsys_ioctl_command(unsigned int cmd)
{
	if ((cmd & ~ATEMSYS_IOC_SIZE_BITS) ==
	    (ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY & ~ATEMSYS_IOC_SIZE_BITS))
		return ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY;
	return cmd;
}

/*
 * A command not in the table. The number of a device-tree command with
 * another size or direction (a struct revision this module does not know)
 * is -EOPNOTSUPP, as the original answers for the device-tree commands it
 * does not build; anything else -ENOTTY.
 */
static long atemsys_ioctl_unknown(unsigned int cmd)
{
	static const unsigned int dt_cmds[] = {
		ATEMSYS_IOCTL_GET_MAC_INFO,
		ATEMSYS_IOCTL_PHY_START_STOP,
		ATEMSYS_IOCTL_GET_MDIO_ORDER,
		ATEMSYS_IOCTL_RETURN_MDIO_ORDER,
		ATEMSYS_IOCTL_GET_PHY_INFO,
		ATEMSYS_IOCTL_PHY_RESET,
		ATEMSYS_IOCTL_IOMEM_CMD,
		ATEMSYS_IOCTL_CPSWG_CMD,
	};
	unsigned int i;

	if (_IOC_TYPE(cmd) != ATEMSYS_IOCTL_TYPE)
		return -ENOTTY;
	for (i = 0; i < ARRAY_SIZE(dt_cmds); i++)
		if (_IOC_NR(cmd) == _IOC_NR(dt_cmds[i]))
			return -EOPNOTSUPP;
	return -ENOTTY;
}

/*
 * Every command, one line each, by number. The handlers are named after
 * their command and documented where they are defined. INT_CONNECT takes
 * its value in @arg; every other command a pointer, or nothing.
 */
static long atemsys_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct atemsys_file *af = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (atemsys_ioctl_command(cmd)) {
	case ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00:
	case ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05:
	case ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12:
		return atemsys_ioctl_pci_find_device(af, cmd, uarg);
	case ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00:
	case ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05:
	case ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12:
		return atemsys_ioctl_pci_conf_device(af, cmd, uarg);
	case ATEMSYS_IOCTL_PCI_RELEASE_DEVICE:
		return atemsys_ioctl_pci_release_device(af);
	case ATEMSYS_IOCTL_INT_CONNECT:
		return atemsys_ioctl_int_connect(af, arg);
	case ATEMSYS_IOCTL_INT_DISCONNECT:
		return atemsys_ioctl_int_disconnect(af);
	case ATEMSYS_IOCTL_INT_INFO:
		return atemsys_ioctl_int_info(af, uarg);
	case ATEMSYS_IOCTL_MOD_GETVERSION:
		return atemsys_ioctl_mod_getversion(uarg);
	case ATEMSYS_IOCTL_CPU_ENABLE_CYCLE_COUNT:	/* removed in 1.4.18 */
		return -EOPNOTSUPP;
	case ATEMSYS_IOCTL_GET_MAC_INFO:
		return atemsys_ioctl_get_mac_info(af, uarg);
	case ATEMSYS_IOCTL_PHY_START_STOP:
		return atemsys_ioctl_phy_start_stop(af, uarg);
	case ATEMSYS_IOCTL_GET_MDIO_ORDER:
		return atemsys_ioctl_get_mdio_order(af, uarg);
	case ATEMSYS_IOCTL_RETURN_MDIO_ORDER:
		return atemsys_ioctl_return_mdio_order(af, uarg);
	case ATEMSYS_IOCTL_GET_PHY_INFO:
		return atemsys_ioctl_get_phy_info(af, uarg);
	case ATEMSYS_IOCTL_MOD_SET_API_VERSION:
	case ATEMSYS_IOCTL_MOD_SET_API_VERSION_W:
		return atemsys_ioctl_mod_set_api_version(af, uarg);
	case ATEMSYS_IOCTL_PHY_RESET:
		return atemsys_ioctl_phy_reset(af, uarg);
	case ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY:
		return atemsys_ioctl_int_set_cpu_affinity(af, cmd, uarg);
	case ATEMSYS_IOCTL_IOMEM_CMD:
		return atemsys_ioctl_iomem_cmd(af, uarg);
	case ATEMSYS_IOCTL_CPSWG_CMD:			/* TI K3 only */
		return -EOPNOTSUPP;
	default:
		return atemsys_ioctl_unknown(cmd);
	}
}

#ifdef CONFIG_COMPAT
/*
 * All ABI structs have one layout for 32- and 64-bit callers; only the
 * pointer needs converting. INT_CONNECT passes a value, not a pointer.
 */
static long atemsys_compat_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	if (cmd == ATEMSYS_IOCTL_INT_CONNECT ||
	    cmd == ATEMSYS_IOCTL_INT_DISCONNECT)
		return atemsys_ioctl(file, cmd, arg);
	return atemsys_ioctl(file, cmd, (unsigned long)compat_ptr(arg));
}
#endif

static const struct file_operations atemsys_fops = {
	.owner		= THIS_MODULE,
	.open		= atemsys_open,
	.release	= atemsys_release,
	.read		= atemsys_read,
	.poll		= atemsys_poll,
	.mmap		= atemsys_mmap,
	.unlocked_ioctl	= atemsys_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= atemsys_compat_ioctl,
#endif
};

/*
 * /sys/class/atemsys/atemsys/dma_quarantine_bytes: DMA memory kept for
 * devices that could not be stopped on release (atemsys_dma.c)
 */
static ssize_t dma_quarantine_bytes_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%zu\n", atemsys_dma_quarantined());
}
static DEVICE_ATTR_RO(dma_quarantine_bytes);

static struct attribute *atemsys_attrs[] = {
	&dev_attr_dma_quarantine_bytes.attr,
	NULL
};
ATTRIBUTE_GROUPS(atemsys);

static int atemsys_chrdev_create(void)
{
	int ret;

	/* Major 101 as the original, so "mknod c 101 0" keeps working */
	atemsys_devt = MKDEV(ATEMSYS_MAJOR, 0);
	ret = register_chrdev_region(atemsys_devt, 1, ATEMSYS_DRV_NAME);
	if (ret) {
		pr_warn("atemsys: major %d is taken, using a dynamic one\n",
			ATEMSYS_MAJOR);
		ret = alloc_chrdev_region(&atemsys_devt, 0, 1,
					  ATEMSYS_DRV_NAME);
		if (ret)
			return ret;
	}

	cdev_init(&atemsys_cdev, &atemsys_fops);
	ret = cdev_add(&atemsys_cdev, atemsys_devt, 1);
	if (ret)
		goto err_region;

	atemsys_class = atemsys_class_create(ATEMSYS_DRV_NAME);
	if (IS_ERR(atemsys_class)) {
		ret = PTR_ERR(atemsys_class);
		goto err_cdev;
	}

	atemsys_dev = device_create_with_groups(atemsys_class, NULL,
						atemsys_devt, NULL,
						atemsys_groups,
						ATEMSYS_DRV_NAME);
	if (IS_ERR(atemsys_dev)) {
		ret = PTR_ERR(atemsys_dev);
		goto err_class;
	}
	return 0;

err_class:
	class_destroy(atemsys_class);
err_cdev:
	cdev_del(&atemsys_cdev);
err_region:
	unregister_chrdev_region(atemsys_devt, 1);
	return ret;
}

static void atemsys_chrdev_destroy(void)
{
	device_destroy(atemsys_class, atemsys_devt);
	class_destroy(atemsys_class);
	cdev_del(&atemsys_cdev);
	unregister_chrdev_region(atemsys_devt, 1);
}

/* Device DMA buffers are allocated on while an fd has no device of its own */
static int atemsys_fallback_create(void)
{
	struct platform_device_info info = {
		.parent		= atemsys_dev,
		.name		= "atemsys_dma",
		.id		= PLATFORM_DEVID_NONE,
		.dma_mask	= DMA_BIT_MASK(32),
	};

	atemsys_fallback_pdev = platform_device_register_full(&info);
	if (IS_ERR(atemsys_fallback_pdev))
		return PTR_ERR(atemsys_fallback_pdev);
	atemsys_dma_fallback = &atemsys_fallback_pdev->dev;
	return 0;
}

static int __init atemsys_init(void)
{
	int ret;

	ret = atemsys_chrdev_create();
	if (ret) {
		pr_err("atemsys: cannot create /dev/atemsys: %d\n", ret);
		return ret;
	}

	ret = atemsys_fallback_create();
	if (ret) {
		dev_err(atemsys_dev, "cannot create DMA fallback device: %d\n",
			ret);
		goto err_chrdev;
	}

	ret = atemsys_pci_driver_register();
	if (ret) {
		dev_err(atemsys_dev, "cannot register %s driver: %d\n",
			ATEMSYS_PCI_DRV_NAME, ret);
		goto err_fallback;
	}

	ret = atemsys_dt_driver_register();
	if (ret) {
		dev_err(atemsys_dev, "cannot register %s platform driver: %d\n",
			ATEMSYS_DRV_NAME, ret);
		goto err_pci;
	}

	dev_info(atemsys_dev, "version %s loaded, major %d\n",
		 ATEMSYS_VERSION_STR, MAJOR(atemsys_devt));
	return 0;

err_pci:
	atemsys_pci_driver_unregister();
err_fallback:
	platform_device_unregister(atemsys_fallback_pdev);
err_chrdev:
	atemsys_chrdev_destroy();
	return ret;
}

static void __exit atemsys_exit(void)
{
	atemsys_dt_driver_unregister();
	atemsys_pci_driver_unregister();
	platform_device_unregister(atemsys_fallback_pdev);
	atemsys_dma_quarantine_exit();
	atemsys_chrdev_destroy();
}

module_init(atemsys_init);
module_exit(atemsys_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Userspace access to PCI and device-tree NICs, DMA memory and interrupts for real-time Ethernet drivers");
MODULE_VERSION(ATEMSYS_VERSION_STR);
