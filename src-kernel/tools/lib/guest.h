/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The system around a userspace driver, through sysfs and procfs: PCI
 * functions by vendor/device, which kernel driver (if any) has one, binding
 * one to a kernel driver and back, its network interface, loading the
 * kernel modules the orchestrator packed into the guest, CPU pinning and
 * real-time priority. For the benchmark and the selftests (which compare
 * atemsys with kernel paths) and for tools that must check a NIC is free.
 *
 * Functions return 0 or -1 with errno unless said otherwise.
 */
#ifndef TOOLS_GUEST_H
#define TOOLS_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "libatemsys.h"

#define PCI_DEVICES_DIR		"/sys/bus/pci/devices"
/* written by the orchestrator: "<name>: <dep> ... <name>" per module */
#define MODULES_ONDEMAND	"/lib/modules/modules.ondemand"

/**
 * pci_find_id() - the @instance-th (0: first) function with @vendor:
 * @device in B/D/F order, as sysfs lists them.
 * Return: 0, or -1 with errno ENODEV.
 */
int pci_find_id(int vendor, int device, unsigned int instance,
		   struct atemsys_pci_loc *loc);

/** pci_driver_of() - the bound driver's name into @buf, "" if none */
int pci_driver_of(const char *bdf, char *buf, size_t len);

/**
 * pci_bind() - bind @bdf to kernel driver @driver (loaded first with
 * module_load() if it is not there): unbinds the current driver, sets
 * driver_override so that no other device gets the driver by accident.
 * Return: 0, or -1 with errno (ENOENT: no such driver module).
 */
int pci_bind(const char *bdf, const char *driver);

/** pci_unbind() - unbind whatever driver has @bdf, clear driver_override */
int pci_unbind(const char *bdf);

/**
 * pci_keep_unbound() - set driver_override of every @vendor:@device
 * function that has no driver to a name no driver has, so that loading a
 * module (e.g. e1000e) does not bind them; pci_bind() then binds the one
 * wanted. Harmless for atemsys, which needs no driver bound.
 */
int pci_keep_unbound(int vendor, int device);

/**
 * pci_netdev() - the network interface of @bdf ("eth0") into @buf.
 * Return: 0, or -1 with errno ENODEV (no kernel network driver bound).
 */
int pci_netdev(const char *bdf, char *buf, size_t len);

/**
 * pci_route_irqs() - route every interrupt of @bdf (its INTx line and its
 * MSI/MSI-X vectors) to @cpu through /proc/irq/N/smp_affinity_list.
 * Best effort: returns how many were routed.
 */
int pci_route_irqs(const char *bdf, int cpu);

/**
 * netdev_up() - IPv6 off (so the kernel sends nothing of its own on the
 * wire), then the interface up. ifname as pci_netdev() gives it.
 */
int netdev_up(const char *ifname);

/**
 * module_load() - load @name (underscores or dashes) and its dependencies
 * from /lib/modules/<name>.ko in the order MODULES_ONDEMAND gives; modules
 * already loaded (or built in) are skipped.
 * Return: 0, or -1 with errno ENOENT (not packed into this guest: add it
 * to the board profile's modules-available).
 */
int module_load(const char *name);

/** module_loaded() - /sys/module/<name> exists */
bool module_loaded(const char *name);

/**
 * rt_setup() - pin the calling thread to @cpu (-1: leave) and give it
 * SCHED_FIFO @prio (0: leave), lock memory. Best effort: returns -1 with
 * errno on the first step that failed, having done the others.
 */
int rt_setup(int cpu, int prio);

/**
 * dt_atemsys_nic() - the @n-th (0: first, by atemsys-Instance) platform
 * device whose device-tree node has compatible "atemsys", as
 * atemsys-ecat --nic takes it: "IDENT:INSTANCE" into @buf.
 * Return: 0, or -1 with errno ENODEV (fewer such nodes).
 */
int dt_atemsys_nic(unsigned int n, char *buf, size_t len);

/**
 * dt_netdev_of_node() - the network interface whose device is the
 * device-tree node at @node (its path, e.g.
 * "/soc@0/bus@30800000/ethernet@30be0000"), into @buf: a MAC the kernel's
 * own driver (fec, macb) runs.
 * Return: 0, or -1 with errno ENOENT (no such node), ENODEV (no interface).
 */
int dt_netdev_of_node(const char *node, char *buf, size_t len);

/** write_file() - write @val to @path (one write) */
int write_file(const char *path, const char *val);

#endif /* TOOLS_GUEST_H */
