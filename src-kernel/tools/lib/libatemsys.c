// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/*
 * libatemsys: the atemsys ABI as functions (see libatemsys.h).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libatemsys.h"

int atemsys_open(void)
{
	uint32_t api = ATEMSYS_API_64BIT_DMA;
	int fd;

	fd = open(ATEMSYS_FILE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/*
	 * A module that predates the ioctl refuses it: buffers then carry
	 * 4-byte addresses, and one above 4 GiB fails at mmap with ENOMEM.
	 */
	(void)ioctl(fd, ATEMSYS_IOCTL_MOD_SET_API_VERSION, &api);
	return fd;
}

int atemsys_version(int fd, uint32_t *version)
{
	return ioctl(fd, ATEMSYS_IOCTL_MOD_GETVERSION, version);
}

int atemsys_pci_parse(const char *bdf, struct atemsys_pci_loc *loc)
{
	unsigned int domain = 0, bus, dev, fn;
	char end;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4) {
		domain = 0;
		if (sscanf(bdf, "%x:%x.%x%c", &bus, &dev, &fn, &end) != 3) {
			errno = EINVAL;
			return -1;
		}
	}
	if (domain > 0xffff || bus > 0xff || dev > 0x1f || fn > 7) {
		errno = EINVAL;
		return -1;
	}
	loc->domain = (int)domain;
	loc->bus = (int)bus;
	loc->device = (int)dev;
	loc->function = (int)fn;
	return 0;
}

void atemsys_pci_format(const struct atemsys_pci_loc *loc, char *buf,
			size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", (unsigned int)loc->domain & 0xffff,
		 (unsigned int)loc->bus & 0xff, (unsigned int)loc->device & 0x1f,
		 (unsigned int)loc->function & 7);
}

int atemsys_pci_find(int fd, int vendor, int device, int instance,
		     struct atemsys_pci_loc *loc)
{
	atemsys_pci_desc d;

	memset(&d, 0, sizeof(d));
	d.vendor_id = vendor;
	d.device_id = device;
	d.instance = instance;
	if (ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12, &d) < 0)
		return -1;
	loc->domain = d.domain;
	loc->bus = d.bus;
	loc->device = d.device;
	loc->function = d.function;
	return 0;
}

int atemsys_pci_conf(int fd, const struct atemsys_pci_loc *loc,
		     atemsys_pci_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->domain = loc->domain;
	desc->bus = loc->bus;
	desc->device = loc->device;
	desc->function = loc->function;
	return ioctl(fd, ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12, desc);
}

int atemsys_pci_release(int fd)
{
	return ioctl(fd, ATEMSYS_IOCTL_PCI_RELEASE_DEVICE, 0UL);
}

volatile void *atemsys_map_bar(int fd, const atemsys_pci_desc *desc,
			       unsigned int index, size_t *len)
{
	volatile void *p;

	if (index >= ATEMSYS_PCI_MAXBAR || (int)index >= desc->bar_count ||
	    !desc->bars[index].len) {
		errno = EINVAL;
		return NULL;
	}
	p = atemsys_map_io(fd, desc->bars[index].addr, desc->bars[index].len);
	if (p)
		*len = desc->bars[index].len;
	return p;
}

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

volatile void *atemsys_map_io(int fd, uint64_t phys, size_t len)
{
	size_t pg = page_size(), off = phys & (pg - 1);
	void *p;

	if (!len) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, (len + off + pg - 1) & ~(pg - 1), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, (off_t)(phys - off));
	if (p == MAP_FAILED)
		return NULL;
	return (volatile uint8_t *)p + off;
}

int atemsys_unmap_io(volatile void *addr, size_t len)
{
	size_t pg = page_size(), off = (uintptr_t)addr & (pg - 1);

	return munmap((void *)((uintptr_t)addr - off),
		      (len + off + pg - 1) & ~(pg - 1));
}

int atemsys_dma_alloc(int fd, size_t size, struct atemsys_dma *dma)
{
	size_t pg = page_size();
	volatile uint32_t *words;
	void *p;

	if (!size) {
		errno = EINVAL;
		return -1;
	}
	size = (size + pg - 1) & ~(pg - 1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	words = p;
	dma->virt = p;
	dma->size = size;
	/*
	 * The high word is written only after API 1.4.15 was declared (see
	 * atemsys_open()); otherwise it is still zero, as all new DMA memory.
	 */
	dma->bus = words[0] | (uint64_t)words[1] << 32;
	words[0] = 0;
	words[1] = 0;
	return 0;
}

int atemsys_dma_free(struct atemsys_dma *dma)
{
	int ret = 0;

	if (dma->virt)
		ret = munmap(dma->virt, dma->size);
	dma->virt = NULL;
	dma->size = 0;
	return ret;
}

int atemsys_irq_connect(int fd, uint32_t which)
{
	/* the value itself is the argument, not a pointer to it */
	return ioctl(fd, ATEMSYS_IOCTL_INT_CONNECT, (unsigned long)which);
}

int atemsys_irq_disconnect(int fd)
{
	return ioctl(fd, ATEMSYS_IOCTL_INT_DISCONNECT, 0UL);
}

int atemsys_irq_number(int fd, uint32_t *irq)
{
	struct atemsys_int_info info = { 0 };

	if (ioctl(fd, ATEMSYS_IOCTL_INT_INFO, &info) < 0)
		return -1;
	*irq = info.irq;
	return 0;
}

int atemsys_irq_wait(int fd, int timeout_ms, uint32_t *count)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint32_t n = 0;
	ssize_t ret;
	int r;

	*count = 0;
	if (timeout_ms >= 0) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0)
			return -1;
		if (!r)
			return 0;
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			errno = EINVAL;
			return -1;
		}
	}
	/* after POLLIN this returns at once; without a timeout it blocks */
	ret = read(fd, &n, sizeof(n));
	if (ret < 0)
		return -1;
	if (ret != (ssize_t)sizeof(n)) {
		errno = EIO;
		return -1;
	}
	*count = n;
	return 1;
}

int atemsys_irq_affinity(int fd, const cpu_set_t *set)
{
	return ioctl(fd, ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(sizeof(*set)),
		     set);
}

int atemsys_mac_info(int fd, const char *ident, uint32_t instance,
		     struct atemsys_mac_info *info)
{
	memset(info, 0, sizeof(*info));
	if (strlen(ident) >= sizeof(info->ident)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(info->ident, ident, strlen(ident));
	info->instance = instance;
	return ioctl(fd, ATEMSYS_IOCTL_GET_MAC_INFO, info);
}

int atemsys_phy_start_stop(int fd, uint32_t index, bool start,
			   uint32_t *error_code)
{
	struct atemsys_phy_start_stop_info s = { .index = index, .start = start };
	int r = ioctl(fd, ATEMSYS_IOCTL_PHY_START_STOP, &s);

	if (error_code)
		*error_code = s.error_code;
	return r;
}

int atemsys_phy_info(int fd, uint32_t index, struct atemsys_phy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	return ioctl(fd, ATEMSYS_IOCTL_GET_PHY_INFO, info);
}

int atemsys_mdio_order_get(int fd, uint32_t index,
			   struct atemsys_mdio_order *order)
{
	memset(order, 0, sizeof(*order));
	order->index = index;
	if (ioctl(fd, ATEMSYS_IOCTL_GET_MDIO_ORDER, order))
		return -1;
	return order->in_use ? 1 : 0;
}

int atemsys_mdio_order_return(int fd, struct atemsys_mdio_order *order)
{
	return ioctl(fd, ATEMSYS_IOCTL_RETURN_MDIO_ORDER, order);
}
