// SPDX-License-Identifier: GPL-2.0
/*
 * The UIO baseline: a PCI device bound to uio_pci_generic. Its interrupt is
 * INTx only; the kernel masks it (PCI 2.3 Interrupt Disable) when it fires,
 * and userspace unmasks it by clearing that bit through config space again
 * (Documentation/driver-api/uio-howto.rst, "uio_pci_generic").
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "guest.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_INTX_DISABLE 0x0400

static int find_uio(const char *bdf, char *name, size_t len)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/uio", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "uio", 3) && strlen(de->d_name) < len) {
			memcpy(name, de->d_name, strlen(de->d_name) + 1);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	errno = ENODEV;
	return -1;
}

/* The first page of BAR0 through sysfs (enabled first: arm needs it) */
static volatile void *map_resource0(const char *bdf)
{
	char path[160];
	void *p;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/enable", bdf);
	(void)write_file(path, "1");
	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int uio_open(struct uio_dev *u, const char *bdf, char *err, size_t errlen)
{
	char path[160], name[32];

	memset(u, 0, sizeof(*u));
	u->fd = u->cfg = -1;
	if (pci_bind(bdf, "uio_pci_generic")) {
		snprintf(err, errlen, "bind %s to uio_pci_generic: %s", bdf,
			 strerror(errno));
		return -1;
	}
	snprintf(u->bdf, sizeof(u->bdf), "%s", bdf);
	if (find_uio(bdf, name, sizeof(name))) {
		snprintf(err, errlen, "%s: no uio device after binding", bdf);
		uio_close(u);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/%s", name);
	u->fd = open(path, O_RDWR | O_CLOEXEC);
	if (u->fd >= 0) {
		snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/config", bdf);
		u->cfg = open(path, O_RDWR | O_CLOEXEC);
	}
	if (u->cfg >= 0)
		u->bar = map_resource0(bdf);
	if (!u->bar) {
		snprintf(err, errlen, "%s: %s: %s", bdf, path, strerror(errno));
		uio_close(u);
		return -1;
	}
	u->bar_len = 4096;
	return 0;
}

int uio_unmask(struct uio_dev *u)
{
	uint16_t cmd;

	if (pread(u->cfg, &cmd, 2, PCI_COMMAND) != 2)
		return -1;
	if (!(cmd & PCI_COMMAND_INTX_DISABLE))
		return 0;
	cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
	return pwrite(u->cfg, &cmd, 2, PCI_COMMAND) == 2 ? 0 : -1;
}

void uio_close(struct uio_dev *u)
{
	if (u->bar)
		munmap((void *)u->bar, u->bar_len);
	if (u->fd >= 0)
		close(u->fd);
	if (u->cfg >= 0)
		close(u->cfg);
	u->bar = NULL;
	u->fd = u->cfg = -1;
	if (u->bdf[0])
		pci_unbind(u->bdf);
}
