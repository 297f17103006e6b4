// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs and procfs around a userspace driver; see guest.h.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

/* a driver name no driver has: driver_override keeps a device unbound */
#define NO_DRIVER	"atemsys-none"

int write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static int read_ulong(const char *path, unsigned long *val)
{
	char buf[32];

	if (read_line(path, buf, sizeof(buf)))
		return -1;
	*val = strtoul(buf, NULL, 0);
	return 0;
}

static int dot_filter(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int pci_find_id(int vendor, int device, unsigned int instance,
		   struct atemsys_pci_loc *loc)
{
	struct dirent **names;
	unsigned int found = 0;
	int n, i, ret = -1;

	n = scandir(PCI_DEVICES_DIR, &names, dot_filter, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		unsigned long v, d;

		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/vendor",
			 names[i]->d_name);
		if (read_ulong(path, &v))
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/device",
			 names[i]->d_name);
		if (read_ulong(path, &d))
			continue;
		if ((vendor >= 0 && v != (unsigned long)vendor) ||
		    (device >= 0 && d != (unsigned long)device))
			continue;
		if (found++ == instance && ret &&
		    !atemsys_pci_parse(names[i]->d_name, loc))
			ret = 0;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret)
		errno = ENODEV;
	return ret;
}

int pci_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -1;
		buf[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

int pci_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[64];

	if (pci_driver_of(bdf, drv, sizeof(drv)))
		return -1;
	if (drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/driver/unbind",
			 bdf);
		if (write_file(path, bdf))
			return -1;
	}
	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/driver_override", bdf);
	return write_file(path, "\n");
}

int pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], drv[64];

	if (pci_driver_of(bdf, drv, sizeof(drv)))
		return -1;
	if (!strcmp(drv, driver))
		return 0;
	if (!module_loaded(driver)) {
		struct atemsys_pci_loc loc;
		unsigned long v, d;

		/* loading the driver must not bind its other devices */
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/vendor", bdf);
		if (atemsys_pci_parse(bdf, &loc) || read_ulong(path, &v))
			return -1;
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/device", bdf);
		if (read_ulong(path, &d) || pci_keep_unbound((int)v, (int)d) ||
		    module_load(driver))
			return -1;
	}
	if (drv[0] && pci_unbind(bdf))
		return -1;
	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/driver_override", bdf);
	if (write_file(path, driver))
		return -1;
	if (write_file("/sys/bus/pci/drivers_probe", bdf))
		return -1;
	if (pci_driver_of(bdf, drv, sizeof(drv)))
		return -1;
	if (strcmp(drv, driver)) {
		errno = ENXIO;	/* the driver's probe refused it */
		return -1;
	}
	return 0;
}

int pci_keep_unbound(int vendor, int device)
{
	struct atemsys_pci_loc loc;
	unsigned int i;

	for (i = 0; !pci_find_id(vendor, device, i, &loc); i++) {
		char bdf[ATEMSYS_BDF_LEN], drv[64], path[PATH_MAX];

		atemsys_pci_format(&loc, bdf, sizeof(bdf));
		if (pci_driver_of(bdf, drv, sizeof(drv)) || drv[0])
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/driver_override",
			 bdf);
		if (write_file(path, NO_DRIVER))
			return -1;
	}
	return 0;
}

int pci_netdev(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/net", bdf);
	dir = opendir(path);
	if (!dir) {
		errno = ENODEV;
		return -1;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, len, "%s", de->d_name);
		closedir(dir);
		return 0;
	}
	closedir(dir);
	errno = ENODEV;
	return -1;
}

static bool route_irq(unsigned long irq, int cpu)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/irq/%lu/smp_affinity_list", irq);
	snprintf(val, sizeof(val), "%d", cpu);
	return irq && !write_file(path, val);
}

int pci_route_irqs(const char *bdf, int cpu)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned long irq;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/irq", bdf);
	if (!read_ulong(path, &irq) && route_irq(irq, cpu))
		n++;
	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/msi_irqs", bdf);
	dir = opendir(path);
	if (!dir)
		return n;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' &&
		    route_irq(strtoul(de->d_name, NULL, 10), cpu))
			n++;
	closedir(dir);
	return n;
}

int netdev_up(const char *ifname)
{
	struct ifreq ifr;
	char path[PATH_MAX];
	int s, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	/* without IPv6 in the kernel there is nothing to turn off */
	(void)write_file(path, "1");

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -1;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -1;
	}
	close(s);
	return ret;
}

static void module_norm(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = in[i] == '-' ? '_' : in[i];
	out[i] = '\0';
}

bool module_loaded(const char *name)
{
	char n[64], path[PATH_MAX];

	module_norm(name, n, sizeof(n));
	snprintf(path, sizeof(path), "/sys/module/%s", n);
	return access(path, F_OK) == 0;
}

static int load_one(const char *name)
{
	char path[PATH_MAX];
	int fd, ret, err;

	if (module_loaded(name))
		return 0;
	snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	if (ret && err == EEXIST)
		ret = 0;
	errno = err;
	return ret;
}

int module_load(const char *name)
{
	char want[64], line[1024], *save = NULL, *tok;
	size_t wl;
	FILE *f;
	int ret = -1;

	module_norm(name, want, sizeof(want));
	if (module_loaded(want))
		return 0;
	f = fopen(MODULES_ONDEMAND, "re");
	if (!f) {
		errno = ENOENT;
		return -1;
	}
	wl = strlen(want);
	errno = ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, wl) || line[wl] != ':')
			continue;
		ret = 0;
		for (tok = strtok_r(line + wl + 1, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (load_one(tok)) {
				ret = -1;
				break;
			}
		}
		break;
	}
	fclose(f);
	return ret;
}

int rt_setup(int cpu, int prio)
{
	int ret = 0, err = 0;

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			ret = -1;
			err = errno;
		}
	}
	if (prio > 0) {
		struct sched_param sp = { .sched_priority = prio };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) && !ret) {
			ret = -1;
			err = errno;
		}
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) && !ret) {
		ret = -1;
		err = errno;
	}
	errno = err;
	return ret;
}

#define DT_BASE			"/sys/firmware/devicetree/base"
#define PLATFORM_DEVICES_DIR	"/sys/bus/platform/devices"
#define DT_NODES_MAX		16

/* A whole small sysfs file; its length, or -1 */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

/* Is @s one of the NUL-separated strings of @list? */
static bool strlist_has(const char *list, size_t len, const char *s)
{
	size_t off = 0;

	while (off < len) {
		if (!strcmp(list + off, s))
			return true;
		off += strlen(list + off) + 1;
	}
	return false;
}

int dt_atemsys_nic(unsigned int n, char *buf, size_t len)
{
	struct { uint32_t instance; char nic[ATEMSYS_IDENT_MAX_LEN + 12]; } found[DT_NODES_MAX], t;
	char path[PATH_MAX], compat[256], ident[ATEMSYS_IDENT_MAX_LEN + 1];
	unsigned char inst[4];
	unsigned int count = 0, i, j;
	struct dirent *de;
	ssize_t r;
	DIR *d;

	d = opendir(PLATFORM_DEVICES_DIR);
	if (!d)
		return -1;
	while ((de = readdir(d)) && count < DT_NODES_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PLATFORM_DEVICES_DIR "/%s/of_node/compatible",
			 de->d_name);
		r = read_small(path, compat, sizeof(compat) - 1);
		if (r <= 0)
			continue;
		compat[r] = '\0';
		if (!strlist_has(compat, (size_t)r, "atemsys"))
			continue;
		snprintf(path, sizeof(path), PLATFORM_DEVICES_DIR "/%s/of_node/atemsys-Ident",
			 de->d_name);
		r = read_small(path, ident, sizeof(ident) - 1);
		if (r <= 0)
			continue;
		ident[r] = '\0';
		snprintf(path, sizeof(path), PLATFORM_DEVICES_DIR "/%s/of_node/atemsys-Instance",
			 de->d_name);
		if (read_small(path, (char *)inst, sizeof(inst)) != sizeof(inst))
			continue;
		found[count].instance = (uint32_t)inst[0] << 24 |
					(uint32_t)inst[1] << 16 |
					(uint32_t)inst[2] << 8 | inst[3];
		snprintf(found[count].nic, sizeof(found[count].nic), "%s:%u", ident,
			 found[count].instance);
		count++;
	}
	closedir(d);
	/* by atemsys-Instance */
	for (i = 1; i < count; i++)
		for (j = i; j > 0 && found[j].instance < found[j - 1].instance; j--) {
			t = found[j];
			found[j] = found[j - 1];
			found[j - 1] = t;
		}
	if (n >= count) {
		errno = ENODEV;
		return -1;
	}
	snprintf(buf, len, "%s", found[n].nic);
	return 0;
}

int dt_netdev_of_node(const char *node, char *buf, size_t len)
{
	char want[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -1;

	snprintf(path, sizeof(path), DT_BASE "%s", node);
	if (!realpath(path, want)) {
		errno = ENOENT;
		return -1;
	}
	d = opendir("/sys/class/net");
	if (!d)
		return -1;
	errno = ENODEV;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/of_node",
			 de->d_name);
		if (!realpath(path, real) || strcmp(real, want))
			continue;
		snprintf(buf, len, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}
