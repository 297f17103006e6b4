// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO baseline: a PCI device bound to vfio-pci, used through a type1
 * IOMMU container (Documentation/driver-api/vfio.rst): BAR0 mapped from the
 * device fd, MSI vector 0 signalled on an eventfd, DMA memory mapped with
 * VFIO_IOMMU_MAP_DMA. A guest IOMMU without interrupt remapping needs
 * vfio_iommu_type1's allow_unsafe_interrupts; it is set here (a lab guest).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004

static int verr(struct vfio_dev *v, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s %s: %s", what, v->bdf, strerror(errno));
	vfio_close(v);
	return -1;
}

static int group_of(const char *bdf, char *group, size_t len)
{
	char path[160], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(group, len, "/dev/vfio/%.16s", base ? base + 1 : target);
	return 0;
}

static int connect_msi(struct vfio_dev *v)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int fd;

	v->efd = eventfd(0, EFD_CLOEXEC);
	if (v->efd < 0)
		return -1;
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	fd = v->efd;
	memcpy(set->data, &fd, sizeof(fd));
	return ioctl(v->dev, VFIO_DEVICE_SET_IRQS, set);
}

int vfio_open(struct vfio_dev *v, const char *bdf, bool msi, char *err,
	      size_t errlen)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char group[64];
	uint16_t cmd;
	void *p;

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->dev = v->efd = -1;
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	if (group_of(bdf, group, sizeof(group))) {
		snprintf(err, errlen, "%s has no IOMMU group (no IOMMU in this guest)",
			 bdf);
		v->bdf[0] = '\0';
		return -1;
	}
	if (module_load("vfio_iommu_type1") || module_load("vfio-pci")) {
		snprintf(err, errlen, "load vfio-pci, vfio_iommu_type1: %s (add them to the board's modules-available)",
			 strerror(errno));
		v->bdf[0] = '\0';
		return -1;
	}
	(void)write_file("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
			 "Y");
	if (pci_bind(bdf, "vfio-pci"))
		return verr(v, err, errlen, "bind to vfio-pci");
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return verr(v, err, errlen, "open /dev/vfio/vfio for");
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
		errno = ENOTSUP;
		return verr(v, err, errlen, "VFIO type1 IOMMU for");
	}
	v->group = open(group, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return verr(v, err, errlen, "open the VFIO group of");
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return verr(v, err, errlen, "VFIO group not viable (other devices in it have drivers) for");
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		return verr(v, err, errlen, "VFIO container and type1 IOMMU for");
	v->dev = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->dev < 0)
		return verr(v, err, errlen, "VFIO_GROUP_GET_DEVICE_FD");

	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return verr(v, err, errlen, "config region of");
	v->cfg_off = ri.offset;
	/* memory decoding and bus mastering: MSI is a write by the device */
	if (pread(v->dev, &cmd, 2, (off_t)(v->cfg_off + PCI_COMMAND)) != 2)
		return verr(v, err, errlen, "read the command register of");
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(v->dev, &cmd, 2, (off_t)(v->cfg_off + PCI_COMMAND)) != 2)
		return verr(v, err, errlen, "write the command register of");

	ri = (struct vfio_region_info){ .argsz = sizeof(ri),
					.index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(v->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return verr(v, err, errlen, "BAR0 of");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v->dev,
		 (off_t)ri.offset);
	if (p == MAP_FAILED)
		return verr(v, err, errlen, "mmap BAR0 of");
	v->bar = p;
	v->bar_len = 4096;
	if (msi && connect_msi(v))
		return verr(v, err, errlen, "VFIO_DEVICE_SET_IRQS (MSI) for");
	return 0;
}

int vfio_map_dma(struct vfio_dev *v, void *vaddr, size_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map);
}

int vfio_unmap_dma(struct vfio_dev *v, size_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

void vfio_close(struct vfio_dev *v)
{
	if (v->bar)
		munmap((void *)v->bar, v->bar_len);
	if (v->efd >= 0)
		close(v->efd);
	if (v->dev >= 0)
		close(v->dev);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->bar = NULL;
	v->efd = v->dev = v->group = v->container = -1;
	if (v->bdf[0])
		pci_unbind(v->bdf);
	v->bdf[0] = '\0';
}
