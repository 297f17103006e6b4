// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree mode helpers: the atemsys node in sysfs, GET_MAC_INFO, MDIO
 * through the MAC (its dt_mac_ops, in dt_mac.c) and an MDIO server thread.
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dt.h"
#include "sys.h"

#define DT_MDIO_TIMEOUT_MS	100u

struct st_dt dt_env;

/* Is str one of the NUL-separated strings of a DT string list? */
static bool dt_strlist_has(const char *list, size_t len, const char *str)
{
	size_t off = 0;

	while (off < len) {
		if (!strcmp(list + off, str))
			return true;
		off += strlen(list + off) + 1;
	}
	return false;
}

/* Big-endian cells of a property: count, or -1 */
static int dt_cells(const char *path, uint32_t *cells, int max)
{
	unsigned char buf[256];
	ssize_t n;
	int i;

	n = read_file((char *)buf, sizeof(buf), "%s", path);
	if (n < 0 || n % 4)
		return -1;
	for (i = 0; i < n / 4 && i < max; i++)
		cells[i] = (uint32_t)buf[4 * i] << 24 |
			   (uint32_t)buf[4 * i + 1] << 16 |
			   (uint32_t)buf[4 * i + 2] << 8 | buf[4 * i + 3];
	return i;
}

static uint32_t dt_u32(const char *node, const char *prop, uint32_t def)
{
	char path[PATH_MAX];
	uint32_t v;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", node, prop);
	if (n < 0 || (size_t)n >= sizeof(path))
		return def;
	return dt_cells(path, &v, 1) == 1 ? v : def;
}

static uint64_t dt_number(const uint32_t *cells, uint32_t n)
{
	return n == 2 ? (uint64_t)cells[0] << 32 | cells[1] : cells[0];
}

/* reg, in the cells its parent's #address-cells/#size-cells say */
static int dt_read_reg(struct st_dt *dt)
{
	char parent[PATH_MAX], path[PATH_MAX + 8], *slash;
	uint32_t ac, sc, cells[4];
	int n;

	snprintf(parent, sizeof(parent), "%s", dt->node);
	slash = strrchr(parent, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	ac = dt_u32(parent, "#address-cells", 2);
	sc = dt_u32(parent, "#size-cells", 1);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return -1;
	n = snprintf(path, sizeof(path), "%s/reg", dt->node);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    dt_cells(path, cells, 4) < (int)(ac + sc))
		return -1;
	dt->reg_addr = dt_number(cells, ac);
	dt->reg_size = dt_number(cells + ac, sc);
	return 0;
}

/*
 * The node under dir whose phandle is handle, looking depth levels down
 * (1: dir's children): its path into found, true if there is one
 */
static bool dt_find_phandle(const char *dir, uint32_t handle, int depth,
			    char *found, size_t len)
{
	char child[PATH_MAX];
	struct dirent *de;
	bool hit = false;
	DIR *d;
	int n;

	d = opendir(dir);
	if (!d)
		return false;
	while (!hit && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		n = snprintf(child, sizeof(child), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		if (dt_u32(child, "phandle", 0) == handle) {
			snprintf(found, len, "%s", child);
			hit = true;
		} else if (depth > 1) {
			hit = dt_find_phandle(child, handle, depth - 1, found,
					      len);
		}
	}
	closedir(d);
	return hit;
}

/*
 * The PHY phy-handle names, where the kernel looks for the MAC's own bus:
 * right under the MAC or under a child of it (an mdio node). Its reg, or
 * ATEMSYS_PHY_AUTO_ADDR.
 */
static void dt_phy_addr(struct st_dt *dt)
{
	char phy[PATH_MAX];
	uint32_t handle;

	dt->phy_addr = ATEMSYS_PHY_AUTO_ADDR;
	handle = dt_u32(dt->node, "phy-handle", 0);
	if (!handle || !dt_find_phandle(dt->node, handle, 2, phy, sizeof(phy)))
		return;
	dt->phy_on_own_bus = true;
	dt->phy_addr = dt_u32(phy, "reg", ATEMSYS_PHY_AUTO_ADDR);
}

static int dt_fill(struct st_dt *dt, const char *name)
{
	char link[PATH_MAX], buf[sizeof(dt->phy_mode)];
	ssize_t n;

	n = snprintf(dt->name, sizeof(dt->name), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(dt->name))
		return -1;
	snprintf(link, sizeof(link), DT_PLATFORM_SYSFS "/%s/of_node", name);
	if (!realpath(link, dt->node))
		return -1;
	n = read_file(dt->ident, sizeof(dt->ident), "%s/atemsys-Ident",
		      dt->node);
	if (n < 0)
		dt->ident[0] = '\0';
	dt->instance = dt_u32(dt->node, "atemsys-Instance", 0);
	n = read_file(buf, sizeof(buf), "%s/phy-mode", dt->node);
	snprintf(dt->phy_mode, sizeof(dt->phy_mode), "%s", n > 0 ? buf : "");
	dt_phy_addr(dt);
	return dt_read_reg(dt);
}

/*
 * The atemsys platform device with the lowest atemsys-Instance, leaving
 * out @skip (a device name, or NULL): 0, or -1 if there is none
 */
static int dt_find(struct st_dt *dt, const char *skip)
{
	struct st_dt cand;
	char compat[512];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	memset(dt, 0, sizeof(*dt));
	d = opendir(DT_PLATFORM_SYSFS);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (skip && !strcmp(de->d_name, skip)))
			continue;
		n = read_file(compat, sizeof(compat),
			      DT_PLATFORM_SYSFS "/%s/of_node/compatible",
			      de->d_name);
		if (n <= 0 || !dt_strlist_has(compat, (size_t)n, "atemsys"))
			continue;
		memset(&cand, 0, sizeof(cand));
		if (dt_fill(&cand, de->d_name))
			continue;
		cand.present = true;
		if (!dt->present || cand.instance < dt->instance)
			*dt = cand;
	}
	closedir(d);
	return dt->present ? 0 : -1;
}

int dt_discover(struct st_dt *dt)
{
	return dt_find(dt, NULL);
}

int dt_discover_other(const struct st_dt *first, struct st_dt *other)
{
	return dt_find(other, first->name);
}

enum st_result need_dt(void)
{
	return st_need(dt_env.present,
		       "no platform device with compatible \"atemsys\" (and a reg) in " DT_PLATFORM_SYSFS
		       ": the board's device tree must hand a MAC to atemsys");
}

uint32_t dt_phy_mode_flag(const char *mode)
{
	if (!strncmp(mode, "rgmii", 5))
		return ATEMSYS_PHY_RGMII;
	if (!strcmp(mode, "rmii"))
		return ATEMSYS_PHY_RMII;
	if (!strcmp(mode, "mii"))
		return ATEMSYS_PHY_MII;
	if (!strcmp(mode, "gmii"))
		return ATEMSYS_PHY_GMII;
	if (!strcmp(mode, "sgmii"))
		return ATEMSYS_PHY_SGMII;
	return 0;
}

int dt_mac_info(int fd, const char *ident, uint32_t instance,
		struct atemsys_mac_info *mi)
{
	memset(mi, 0, sizeof(*mi));
	memcpy(mi->ident, ident, strnlen(ident, sizeof(mi->ident)));
	mi->instance = instance;
	mi->error_code = 0xdeadbeef;	/* must be written back */
	return ioctl(fd, ATEMSYS_IOCTL_GET_MAC_INFO, mi);
}

enum st_result dt_open(struct dt_mac *m, bool map_regs)
{
	memset(m, 0, sizeof(*m));
	EXPECT_PASS(need_dt());
	m->fd = st_open(ATEMSYS_FILE_NAME, O_RDWR);
	EXPECT(m->fd >= 0, "open " ATEMSYS_FILE_NAME ": %s", strerror(errno));
	EXPECT_OK(dt_mac_info(m->fd, dt_env.ident, dt_env.instance, &m->mi),
		  "GET_MAC_INFO(\"%s\", %u)", dt_env.ident, dt_env.instance);
	EXPECT(m->mi.error_code == ATEMSYS_EC_E_NOERROR,
	       "GET_MAC_INFO: error_code %#x", m->mi.error_code);
	if (!map_regs)
		return ST_PASS;
	m->ops = dt_mac_ops_find(dt_env.ident);
	EXPECT_PASS(st_need(m->ops,
			    "%s: no register ops for atemsys-Ident \"%s\" (dt_mac.c knows FslFec and GEM)",
			    dt_env.name, dt_env.ident));
	m->regs = st_mmap(m->fd, m->mi.reg_addr, m->mi.reg_size);
	EXPECT(m->regs, "mmap of reg %#llx+%#x: %s",
	       (unsigned long long)m->mi.reg_addr, m->mi.reg_size,
	       strerror(errno));
	return ST_PASS;
}

int dt_mdio(const struct dt_mac_ops *ops, volatile void *regs, bool write,
	    unsigned int phy, unsigned int reg, uint16_t *val)
{
	uint64_t deadline = now_ms() + DT_MDIO_TIMEOUT_MS;
	uint16_t got = 0;

	ops->mdio_start(regs, write, phy, reg, write ? *val : 0);
	while (!ops->mdio_done(regs, &got)) {
		if (now_ms() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	if (!write)
		*val = got;
	return 0;
}

int dt_phy_start_stop(int fd, uint32_t index, bool start, uint32_t *ec)
{
	struct atemsys_phy_start_stop_info info = {
		.index = index,
		.start = start,
		.error_code = 0xdeadbeef,
	};
	int ret = ioctl(fd, ATEMSYS_IOCTL_PHY_START_STOP, &info);

	if (ec)
		*ec = info.error_code;
	return ret;
}

int dt_phy_info(int fd, uint32_t index, struct atemsys_phy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	info->error_code = 0xdeadbeef;
	return ioctl(fd, ATEMSYS_IOCTL_GET_PHY_INFO, info);
}

/* Serve orders until stopped or the fd goes; C45 reads get all ones */
static void *dt_serve(void *arg)
{
	struct dt_server *s = arg;
	struct atemsys_mdio_order o;
	uint16_t val;

	while (!s->stop) {
		memset(&o, 0, sizeof(o));
		o.index = s->index;
		if (ioctl(s->fd, ATEMSYS_IOCTL_GET_MDIO_ORDER, &o)) {
			s->err = errno;
			break;
		}
		if (!o.in_use) {
			usleep(200);
			continue;
		}
		val = o.value;
		if (o.c45_dev_addr ||
		    dt_mdio(s->ops, s->regs, o.write_order, o.mdio_addr, o.reg,
			    &val))
			val = 0xffff;
		if (!o.write_order && (o.reg == 2 || o.reg == 3))
			s->id_reads++;
		o.value = val;
		/* fails if the kernel gave up on it meanwhile: go on */
		if (!ioctl(s->fd, ATEMSYS_IOCTL_RETURN_MDIO_ORDER, &o))
			s->served++;
	}
	return NULL;
}

enum st_result dt_server_start(struct dt_server *s, const struct dt_mac *m)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = m->fd;
	s->index = m->mi.index;
	s->regs = m->regs;
	s->ops = m->ops;
	ret = pthread_create(&s->thread, NULL, dt_serve, s);
	EXPECT(!ret, "pthread_create: %s", strerror(ret));
	s->running = true;
	return ST_PASS;
}

void dt_server_stop(struct dt_server *s)
{
	if (!s->running)
		return;
	s->stop = true;
	pthread_join(s->thread, NULL);
	s->running = false;
}

bool dt_phy_present(char *name, size_t len)
{
	char prefix[128];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "atemsys-%s:", dt_env.name);
	d = opendir(DT_MDIO_SYSFS);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		if (name)
			snprintf(name, len, "%s", de->d_name);
		found = true;
		break;
	}
	closedir(d);
	return found;
}

bool dt_bus_present(void)
{
	return path_exists(DT_MDIO_CLASS "/atemsys-%s", dt_env.name);
}
