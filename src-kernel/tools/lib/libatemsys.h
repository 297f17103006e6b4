/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * libatemsys: a small userspace library over the atemsys ABI
 * (include/uapi/atemsys.h, compatible with acontis atemsys 1.4.x).
 *
 * What a userspace NIC driver needs, in the order it needs it:
 *
 *	fd = atemsys_open();                         open /dev/atemsys
 *	atemsys_pci_find(fd, 0x8086, 0x10d3, 0, &loc);  or atemsys_pci_parse(bdf)
 *	atemsys_pci_conf(fd, &loc, &desc);           claim it: BARs, IRQ, bus master
 *	regs = atemsys_map_bar(fd, &desc, 0, &len);  BAR registers, uncached
 *	atemsys_dma_alloc(fd, bytes, &dma);          contiguous DMA memory + bus address
 *	atemsys_irq_connect(fd, ATEMSYS_USE_PCI_INT);
 *	atemsys_irq_wait(fd, timeout_ms, &count);    poll() + read()
 *	close(fd);                                   releases everything
 *
 * Conventions: every function that can fail returns -1 (or NULL) and sets
 * errno, like the system calls it wraps; the errno values are the module's
 * (src-kernel/README.md, "Behaviour"). Nothing here allocates memory, so it
 * is safe in a cyclic real-time path. The functions are thread-safe as long
 * as two threads do not use one fd for the same purpose at once.
 */
#ifndef LIBATEMSYS_H
#define LIBATEMSYS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atemsys.h>

/* The PCI select descriptor of API 1.4.12: 64-bit BAR addresses, domain */
typedef struct atemsys_pci_select_desc_v1_4_12 atemsys_pci_desc;

/** struct atemsys_pci_loc - a PCI function: domain, bus, device, function */
struct atemsys_pci_loc {
	int domain;
	int bus;
	int device;
	int function;
};

/* "0000:00:04.0" plus the terminating NUL */
#define ATEMSYS_BDF_LEN		13

/**
 * struct atemsys_dma - a DMA buffer mapped into the process
 * @virt:  its user address (page aligned)
 * @bus:   the address the device uses (bus address, or IOVA behind an IOMMU)
 * @size:  bytes mapped (the request rounded up to whole pages)
 *
 * The module writes the bus address into the first 4 (or 8) bytes of a new
 * buffer; atemsys_dma_alloc() reads it and then zeroes those bytes, so the
 * whole buffer is the caller's.
 */
struct atemsys_dma {
	void *virt;
	uint64_t bus;
	size_t size;
};

/**
 * atemsys_open() - open /dev/atemsys (O_RDWR | O_CLOEXEC) and declare API
 * 1.4.15, which makes DMA buffers carry 8-byte bus addresses.
 *
 * Return: the fd, or -1 with errno (ENOENT: module not loaded or no device
 * node; EACCES: not in the group that owns /dev/atemsys).
 */
int atemsys_open(void);

/** atemsys_version() - the module's ABI version (ATEMSYS_API_VERSION form) */
int atemsys_version(int fd, uint32_t *version);

/**
 * atemsys_pci_parse() - parse "DDDD:BB:DD.F" or "BB:DD.F" (domain 0).
 * Return: 0, or -1 with errno EINVAL.
 */
int atemsys_pci_parse(const char *bdf, struct atemsys_pci_loc *loc);

/** atemsys_pci_format() - "DDDD:BB:DD.F" into buf (ATEMSYS_BDF_LEN bytes) */
void atemsys_pci_format(const struct atemsys_pci_loc *loc, char *buf,
			size_t len);

/**
 * atemsys_pci_find() - the instance-th (0: first) PCI function with this
 * vendor and device ID (-1 matches any), in the kernel's device order.
 * Return: 0, or -1 with errno ENODEV (no such instance).
 */
int atemsys_pci_find(int fd, int vendor, int device, int instance,
		     struct atemsys_pci_loc *loc);

/**
 * atemsys_pci_conf() - claim the function for this fd: enable it, request
 * its regions, turn bus mastering on. @desc receives the memory BARs (packed
 * without gaps: bars[0] is the first memory BAR) and the IRQ.
 * Return: 0, or -1 with errno: ENODEV (no such function), EBUSY (a kernel
 * driver owns it: unbind it first; or this fd holds a device already).
 */
int atemsys_pci_conf(int fd, const struct atemsys_pci_loc *loc,
		     atemsys_pci_desc *desc);

/**
 * atemsys_pci_release() - give the device back: IRQ freed, bus mastering
 * off, DMA buffers freed, device disabled. Every mapping of it must be
 * unmapped first (EBUSY otherwise). Closing the fd does the same.
 */
int atemsys_pci_release(int fd);

/**
 * atemsys_map_bar() - map memory BAR @index of @desc (index into the packed
 * list, not the BAR number) whole, uncached. *@len receives its size in bytes.
 * Return: the mapping, or NULL with errno (EINVAL: no such BAR; EPERM: not
 * the fd's device). Unmap with munmap(addr, *len).
 */
volatile void *atemsys_map_bar(int fd, const atemsys_pci_desc *desc,
			       unsigned int index, size_t *len);

/**
 * atemsys_map_io() - map @len bytes of device memory at physical address
 * @phys (a DT MAC's "reg" range, or part of a BAR). @phys and @len need not
 * be page aligned: the returned pointer points at @phys itself.
 * Return: the mapping, or NULL with errno. Unmap with atemsys_unmap_io().
 */
volatile void *atemsys_map_io(int fd, uint64_t phys, size_t len);
int atemsys_unmap_io(volatile void *addr, size_t len);

/**
 * atemsys_dma_alloc() - a new physically contiguous DMA buffer of at least
 * @size bytes on the fd's device (its PCI device or DT MAC; else a generic
 * 32-bit device), zeroed, with its bus address.
 * Return: 0, or -1 with errno (ENOMEM: no contiguous memory, or the address
 * is above 4 GiB and the module does not accept API 1.4.15).
 *
 * The memory stays allocated until the device is released or the fd closed
 * (never while the device may still write to it); atemsys_dma_free() only
 * unmaps it.
 */
int atemsys_dma_alloc(int fd, size_t size, struct atemsys_dma *dma);
int atemsys_dma_free(struct atemsys_dma *dma);

/**
 * atemsys_irq_connect() - connect the device interrupt to this fd.
 * @which: ATEMSYS_USE_PCI_INT for the configured PCI device (MSI-X, MSI or
 * INTx as the module's pci_irq_mode parameter says), or the interrupt index
 * of a DT MAC bound with atemsys_mac_info().
 * Return: 0, or -1 with errno (ENODEV: nothing configured; EBUSY: connected
 * already; ENXIO: the node has no such interrupt).
 */
int atemsys_irq_connect(int fd, uint32_t which);
int atemsys_irq_disconnect(int fd);
/** atemsys_irq_number() - the Linux IRQ number connected (0: none) */
int atemsys_irq_number(int fd, uint32_t *irq);

/**
 * atemsys_irq_wait() - wait up to @timeout_ms (-1: forever) for interrupts.
 * *@count receives how many arrived since the last wait (0 on timeout).
 * An INTx line stays masked from the interrupt until the next wait, so the
 * caller acknowledges the cause in the device before waiting again.
 * Return: 1 if interrupts arrived, 0 on timeout, -1 with errno (EINVAL: no
 * interrupt connected, or disconnected while waiting; EINTR: a signal).
 */
int atemsys_irq_wait(int fd, int timeout_ms, uint32_t *count);

/**
 * atemsys_irq_affinity() - route the connected interrupt to the CPUs of
 * @set (CPU_SETSIZE CPUs). Return: 0, or -1 with errno (ENOTCONN: no
 * interrupt; EINVAL: no online CPU in the set).
 */
int atemsys_irq_affinity(int fd, const cpu_set_t *set);

/**
 * atemsys_mac_info() - device-tree mode: look up the MAC whose node says
 * atemsys-Ident = @ident, atemsys-Instance = @instance, and bind it to the
 * fd (its registers become mappable, DMA goes to its device).
 * Return: 0, or -1 with errno (ENOENT: no such node; EBUSY: another fd has
 * it; EOPNOTSUPP: kernel without device-tree mode). @info is filled either way.
 */
int atemsys_mac_info(int fd, const char *ident, uint32_t instance,
		     struct atemsys_mac_info *info);

/**
 * atemsys_phy_start_stop() - start (@start) or stop the PHY of the DT MAC
 * instance @index (atemsys_mac_info()'s info.index). Starting returns at
 * once; phylib then probes the PHY through MDIO orders, which the caller
 * serves (atemsys_mdio_order_get()). *@error_code gets the ATEMSYS_EC_E_*
 * code. Return: 0, or -1 with errno (EBUSY: another fd's instance; EPERM:
 * not bound to this fd).
 */
int atemsys_phy_start_stop(int fd, uint32_t index, bool start,
			   uint32_t *error_code);

/**
 * atemsys_phy_info() - link, speed (Mbit/s), duplex (1 full) and
 * phy_ready as phylib last reported them for instance @index.
 * Return: 0, or -1 with errno; info->error_code says why (EC_E_TIMEOUT: an
 * MDIO order went unanswered and the PHY is parked).
 */
int atemsys_phy_info(int fd, uint32_t index, struct atemsys_phy_info *info);

/**
 * atemsys_mdio_order_get() - take phylib's pending MDIO access on instance
 * @index, without waiting. Return: 1 (an order is in *@order: do it on the
 * MAC's management port, then atemsys_mdio_order_return() with the read
 * value in order->value), 0 (none pending), -1 with errno.
 */
int atemsys_mdio_order_get(int fd, uint32_t index,
			   struct atemsys_mdio_order *order);
/* Return: 0, or -1 with errno (ETIMEDOUT: phylib gave up on it already) */
int atemsys_mdio_order_return(int fd, struct atemsys_mdio_order *order);

#endif /* LIBATEMSYS_H */
