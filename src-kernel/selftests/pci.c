// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices as sysfs shows them, and thin wrappers of the atemsys ioctls.
 */

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest.h"
#include "libatemsys.h"
#include "pci.h"
#include "sys.h"

struct st_env env;

static bool pci_parse_bdf(const char *name, struct st_pci *p)
{
	unsigned int domain, bus, dev, fn;
	char end;

	if (sscanf(name, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4)
		return false;
	snprintf(p->bdf, sizeof(p->bdf), "%s", name);
	p->domain = (int)domain;
	p->bus = (int)bus;
	p->dev = (int)dev;
	p->fn = (int)fn;
	return true;
}

static int pci_dot_filter(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/*
 * Visit the devices matching vendor/device (PCI_ANY: any) in B/D/F order;
 * stops at the instance-th. Returns the number of matches visited.
 */
static int pci_scan(int vendor, int device, int instance, struct st_pci *out)
{
	struct dirent **names;
	int n, i, found = 0;

	n = scandir(PCI_SYSFS, &names, pci_dot_filter, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned long v, d;
		struct st_pci p = { 0 };

		if (!pci_parse_bdf(names[i]->d_name, &p))
			continue;
		if (read_sysfs_ulong(&v, PCI_SYSFS "/%s/vendor", p.bdf) ||
		    read_sysfs_ulong(&d, PCI_SYSFS "/%s/device", p.bdf))
			continue;
		if ((vendor != PCI_ANY && v != (unsigned long)vendor) ||
		    (device != PCI_ANY && d != (unsigned long)device))
			continue;
		if (found++ == instance && out) {
			p.present = true;
			p.vendor = (unsigned int)v;
			p.device = (unsigned int)d;
			*out = p;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

int pci_find_sysfs(int vendor, int device, unsigned int instance,
		   struct st_pci *out)
{
	int n;

	memset(out, 0, sizeof(*out));
	n = pci_scan(vendor, device, (int)instance, out);
	if (n < 0)
		return -1;
	if ((unsigned int)n <= instance) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

int pci_find_unbound_class(unsigned int base_class, struct st_pci *out)
{
	struct dirent **names;
	int n, i, ret = -1;

	memset(out, 0, sizeof(*out));
	n = scandir(PCI_SYSFS, &names, pci_dot_filter, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned long cls;
		char drv[64];

		if (ret == 0 || !pci_parse_bdf(names[i]->d_name, out) ||
		    read_sysfs_ulong(&cls, PCI_SYSFS "/%s/class", out->bdf) ||
		    cls >> 16 != base_class ||
		    pci_driver(out, drv, sizeof(drv)) != 0 || drv[0])
			continue;
		ret = pci_by_location(out->domain, out->bus, out->dev, out->fn, out);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret)
		errno = ENODEV;
	return ret;
}

int pci_count_sysfs(int vendor, int device)
{
	return pci_scan(vendor, device, -1, NULL);
}

bool pci_bdf_exists(int domain, int bus, int dev, int fn)
{
	return path_exists(PCI_SYSFS "/%04x:%02x:%02x.%x", (unsigned int)domain,
			   (unsigned int)bus, (unsigned int)dev,
			   (unsigned int)fn);
}

bool pci_bus_used(int domain, int bus)
{
	struct dirent *de;
	bool used = false;
	DIR *dir;

	dir = opendir(PCI_SYSFS);
	if (!dir)
		return true;
	while (!used && (de = readdir(dir))) {
		struct st_pci p;

		if (pci_parse_bdf(de->d_name, &p) && p.domain == domain &&
		    p.bus == bus)
			used = true;
	}
	closedir(dir);
	return used;
}

int pci_by_location(int domain, int bus, int dev, int fn, struct st_pci *out)
{
	char name[32];
	unsigned long v, d;

	memset(out, 0, sizeof(*out));
	snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", (unsigned int)domain,
		 (unsigned int)bus, (unsigned int)dev, (unsigned int)fn);
	if (!pci_parse_bdf(name, out))
		return -1;
	if (read_sysfs_ulong(&v, PCI_SYSFS "/%s/vendor", name) ||
	    read_sysfs_ulong(&d, PCI_SYSFS "/%s/device", name))
		return -1;
	out->vendor = (unsigned int)v;
	out->device = (unsigned int)d;
	out->present = true;
	return 0;
}

int pci_read_bars(const struct st_pci *p, struct st_bar bars[6])
{
	char buf[2048], *line = buf;
	int i;

	if (read_file(buf, sizeof(buf), PCI_SYSFS "/%s/resource", p->bdf) < 0)
		return -1;
	for (i = 0; i < 6; i++) {
		unsigned long long start, end, flags;

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3) {
			errno = EINVAL;
			return -1;
		}
		bars[i].start = start;
		bars[i].len = end > start ? end - start + 1 : 0;
		bars[i].flags = (unsigned long)flags;
		line = strchr(line, '\n');
		if (!line) {
			errno = EINVAL;
			return -1;
		}
		line++;
	}
	return 0;
}

int pci_mem_bars(const struct st_pci *p, struct st_bar *out, int max)
{
	struct st_bar bars[6];
	int i, n = 0;

	if (pci_read_bars(p, bars))
		return -1;
	for (i = 0; i < 6 && n < max; i++)
		if ((bars[i].flags & SYSFS_IORESOURCE_MEM) && bars[i].len)
			out[n++] = bars[i];
	return n;
}

int pci_read_irq(const struct st_pci *p, unsigned int *irq)
{
	unsigned long v;

	if (read_sysfs_ulong(&v, PCI_SYSFS "/%s/irq", p->bdf))
		return -1;
	*irq = (unsigned int)v;
	return 0;
}

int pci_read_config(const struct st_pci *p, unsigned int off, void *buf,
		    size_t len)
{
	char path[256];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/config", p->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, off);
	err = errno;
	close(fd);
	return io_complete(n, len, err);
}

/* Offset of capability id in config space, 0 if it has none */
static unsigned int pci_find_cap(const uint8_t *cfg, uint8_t id)
{
	unsigned int pos = cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST ?
			   cfg[PCI_CAPABILITY_LIST] & ~3u : 0;
	int guard = 48;

	while (pos >= 0x40 && pos < 0xfc && guard--) {
		if (cfg[pos] == id)
			return pos;
		pos = cfg[pos + 1] & ~3u;
	}
	return 0;
}

void pci_irq_state(const struct st_pci *p, unsigned int irq, char *buf,
		   size_t len)
{
	uint8_t cfg[256];
	char line[160] = "";
	unsigned int msi, data_off;
	uint16_t cmd, status, ctrl;
	uint32_t addr, hi = 0, bar0;
	int n;

	if (pci_read_config(p, 0, cfg, sizeof(cfg))) {
		snprintf(buf, len, "config space of %s unreadable: %s", p->bdf,
			 strerror(errno));
		return;
	}
	cmd = (uint16_t)(cfg[PCI_COMMAND] | cfg[PCI_COMMAND + 1] << 8);
	status = (uint16_t)(cfg[PCI_STATUS] | cfg[PCI_STATUS + 1] << 8);
	memcpy(&bar0, cfg + PCI_BASE_ADDRESS_0, sizeof(bar0));
	n = snprintf(buf, len, "command 0x%04x (bus master %s, memory %s, INTx %s), interrupt status %d, BAR0 0x%08x",
		     cmd, cmd & PCI_COMMAND_MASTER ? "on" : "off",
		     cmd & PCI_COMMAND_MEMORY ? "on" : "off",
		     cmd & PCI_COMMAND_INTX_DISABLE ? "disabled" : "enabled",
		     !!(status & PCI_STATUS_INTERRUPT), le32toh(bar0));
	msi = pci_find_cap(cfg, PCI_CAP_ID_MSI);
	ctrl = msi ? (uint16_t)(cfg[msi + PCI_MSI_FLAGS] |
				cfg[msi + PCI_MSI_FLAGS + 1] << 8) : 0;
	data_off = msi + (ctrl & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 :
						      PCI_MSI_DATA_32);
	/* a capability near the end of the 256 bytes is malformed: not read */
	if (msi && data_off + 2 <= sizeof(cfg) && n >= 0 && (size_t)n < len) {
		memcpy(&addr, cfg + msi + PCI_MSI_ADDRESS_LO, sizeof(addr));
		if (ctrl & PCI_MSI_FLAGS_64BIT)
			memcpy(&hi, cfg + msi + PCI_MSI_ADDRESS_HI, sizeof(hi));
		n += snprintf(buf + n, len - (size_t)n,
			      ", MSI %s (control 0x%04x, address 0x%" PRIx64 ", data 0x%04x)",
			      ctrl & PCI_MSI_FLAGS_ENABLE ? "on" : "off", ctrl,
			      (uint64_t)le32toh(hi) << 32 | le32toh(addr),
			      cfg[data_off] | cfg[data_off + 1] << 8);
	}
	if (irq && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", /proc/interrupts: %s",
			 proc_irq_line(irq, line, sizeof(line)) ? line : "no line");
}

int pci_bus_master(const struct st_pci *p)
{
	uint8_t cmd;

	if (pci_read_config(p, PCI_COMMAND, &cmd, 1))
		return -1;
	return !!(cmd & PCI_COMMAND_MASTER);
}

int pci_intx_disabled(const struct st_pci *p)
{
	uint16_t cmd;

	if (pci_read_config(p, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	return !!(le16toh(cmd) & PCI_COMMAND_INTX_DISABLE);
}

int pci_msi_irqs(const struct st_pci *p, unsigned int *irqs, int max)
{
	char path[256];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/msi_irqs", p->bdf);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			irqs[n] = (unsigned int)strtoul(de->d_name, NULL, 10);
		n++;
	}
	closedir(dir);
	return n;
}

int pci_driver(const struct st_pci *p, char *buf, size_t len)
{
	return pci_driver_of(p->bdf, buf, len);
}

int at_open(void)
{
	return st_open(ATEMSYS_FILE_NAME, O_RDWR);
}

void at_desc_location(at_desc *d, const struct st_pci *p)
{
	memset(d, 0, sizeof(*d));
	d->domain = p->domain;
	d->bus = p->bus;
	d->device = p->dev;
	d->function = p->fn;
}

int at_find(int fd, int vendor, int device, int instance, at_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->vendor_id = vendor;
	d->device_id = device;
	d->instance = instance;
	/* FIND must write these back */
	d->bus = d->device = d->function = d->domain = -1;
	return ioctl(fd, ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12, d);
}

int at_conf(int fd, const struct st_pci *p, at_desc *d)
{
	struct atemsys_pci_loc loc = {
		.domain = p->domain, .bus = p->bus, .device = p->dev,
		.function = p->fn,
	};

	return atemsys_pci_conf(fd, &loc, d);
}

int at_connect(int fd)
{
	return atemsys_irq_connect(fd, ATEMSYS_USE_PCI_INT);
}

int at_disconnect(int fd)
{
	return atemsys_irq_disconnect(fd);
}

int at_irq(int fd, unsigned int *irq)
{
	struct atemsys_int_info info = { .irq = 0xdeadbeef };
	int ret = ioctl(fd, ATEMSYS_IOCTL_INT_INFO, &info);

	if (!ret)
		*irq = info.irq;
	return ret;
}

bool at_desc_is(const at_desc *d, const struct st_pci *p)
{
	return d->domain == p->domain && d->bus == p->bus &&
	       d->device == p->dev && d->function == p->fn;
}

enum st_result need_edu(void)
{
	return st_need(env.edu.present,
		       "no edu (%04x:%04x) in " PCI_SYSFS
		       ": QEMU needs -device edu,dma_mask=0xffffffff",
		       EDU_VENDOR, EDU_DEVICE);
}

enum st_result need_nic(void)
{
	return st_need(env.nic.present,
		       "no e1000e (%04x:%04x) in " PCI_SYSFS
		       ": QEMU needs -device e1000e",
		       NIC_VENDOR, NIC_DEVICE);
}

enum st_result check_conf_result(const struct st_pci *p, const at_desc *d)
{
	struct st_bar bars[ATEMSYS_PCI_MAXBAR];
	unsigned int irq;
	int n, i;

	n = pci_mem_bars(p, bars, ATEMSYS_PCI_MAXBAR);
	if (n < 0)
		return st_fail("%s: cannot read resource: %s", p->bdf,
			       strerror(errno));
	if (pci_read_irq(p, &irq))
		return st_fail("%s: cannot read irq: %s", p->bdf,
			       strerror(errno));

	EXPECT(d->bar_count == n,
	       "%s: CONF bar_count %d, sysfs has %d memory BARs", p->bdf,
	       d->bar_count, n);
	for (i = 0; i < n; i++) {
		EXPECT(d->bars[i].addr == bars[i].start,
		       "%s: CONF bars[%d].addr 0x%" PRIx64 ", sysfs 0x%" PRIx64,
		       p->bdf, i, (uint64_t)d->bars[i].addr, bars[i].start);
		EXPECT(d->bars[i].len == bars[i].len,
		       "%s: CONF bars[%d].len 0x%x, sysfs 0x%" PRIx64, p->bdf,
		       i, d->bars[i].len, bars[i].len);
	}
	EXPECT(d->irq == irq,
	       "%s: CONF irq %u, sysfs irq %u (read after CONF, i.e. after the device was enabled)",
	       p->bdf, d->irq, irq);
	return ST_PASS;
}
