// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: IOMEM_CMD, register accesses done by the kernel for registers a
 * link layer should not (or cannot) map itself. A range of the fd's own
 * device-tree MAC is mapped permanently, then read and written through MMIO
 * accessors, each access checked against its mapping. The ioctl that
 * reaches it is in atemsys_dt.c.
 */

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/string.h>

#include "atemsys_dt.h"

#define ATEMSYS_IOMEM_MAX_DATA	sizeof_field(struct atemsys_iomem_cmd, data)

static struct atemsys_iomem_map *atemsys_iomem_find(struct atemsys_dt_inst *inst,
						    u64 phys)
{
	unsigned int i;

	for (i = 0; i < ATEMSYS_IOMEM_MAX_MAPS; i++)
		if (inst->maps[i].refs && inst->maps[i].phys == phys)
			return &inst->maps[i];
	return NULL;
}

static int atemsys_iomem_map(struct atemsys_file *af,
			     struct atemsys_dt_inst *inst,
			     const struct atemsys_iomem_cmd *c)
{
	struct device *dev = &inst->pdev->dev;
	struct atemsys_iomem_map *map;
	const char *refusal;
	unsigned int i;

	if (!c->size)
		return -EINVAL;
	refusal = atemsys_io_refusal(af, c->phys, c->size, false);
	if (refusal) {
		dev_notice_ratelimited(dev, "pid %d: IOMEM_CMD: refused to map %#llx+%#x: %s\n",
				       task_pid_nr(current), c->phys, c->size,
				       refusal);
		return -EPERM;
	}

	/* the same range again: counted, one unmap each */
	map = atemsys_iomem_find(inst, c->phys);
	if (map) {
		if (map->size != c->size)
			return -EEXIST;
		map->refs++;
		return 0;
	}

	for (i = 0; i < ATEMSYS_IOMEM_MAX_MAPS; i++)
		if (!inst->maps[i].refs)
			break;
	if (i == ATEMSYS_IOMEM_MAX_MAPS) {
		dev_notice_ratelimited(dev, "pid %d: IOMEM_CMD: all %d mappings in use\n",
				       task_pid_nr(current),
				       ATEMSYS_IOMEM_MAX_MAPS);
		return -ENOSPC;
	}

	map = &inst->maps[i];
	map->base = ioremap(c->phys, c->size);
	if (!map->base)
		return -ENOMEM;
	map->phys = c->phys;
	map->size = c->size;
	map->refs = 1;
	return 0;
}

static int atemsys_iomem_unmap(struct atemsys_dt_inst *inst,
			       const struct atemsys_iomem_cmd *c)
{
	struct atemsys_iomem_map *map = atemsys_iomem_find(inst, c->phys);

	if (!map)
		return -ENOENT;
	if (!--map->refs) {
		iounmap(map->base);
		map->base = NULL;
	}
	return 0;
}

void atemsys_iomem_unmap_all(struct atemsys_dt_inst *inst)
{
	unsigned int i;

	for (i = 0; i < ATEMSYS_IOMEM_MAX_MAPS; i++) {
		if (!inst->maps[i].refs)
			continue;
		iounmap(inst->maps[i].base);
		inst->maps[i].base = NULL;
		inst->maps[i].refs = 0;
	}
}

/*
 * The access width: 8 bytes only as one 64-bit access, 2 as one 16-bit one,
 * multiples of 4 as 32-bit accesses, all of them naturally aligned; any
 * other size or alignment goes byte by byte.
 */
static unsigned int atemsys_iomem_width(u64 addr, u32 size)
{
	if (size == 8 && IS_ALIGNED(addr, 8))
		return 8;
	if (size == 2 && IS_ALIGNED(addr, 2))
		return 2;
	if (!(size % 4) && IS_ALIGNED(addr, 4))
		return 4;
	return 1;
}

static void atemsys_iomem_read(void __iomem *p, u8 *buf, u32 size,
			       unsigned int width)
{
	u64 q;
	u32 l;
	u16 w;
	u32 i;

	for (i = 0; i < size; i += width) {
		switch (width) {
		case 8:
			q = readq(p + i);
			memcpy(buf + i, &q, 8);
			break;
		case 4:
			l = readl(p + i);
			memcpy(buf + i, &l, 4);
			break;
		case 2:
			w = readw(p + i);
			memcpy(buf + i, &w, 2);
			break;
		default:
			buf[i] = readb(p + i);
			break;
		}
	}
}

static void atemsys_iomem_write(void __iomem *p, const u8 *buf, u32 size,
				unsigned int width)
{
	u64 q;
	u32 l;
	u16 w;
	u32 i;

	for (i = 0; i < size; i += width) {
		switch (width) {
		case 8:
			memcpy(&q, buf + i, 8);
			writeq(q, p + i);
			break;
		case 4:
			memcpy(&l, buf + i, 4);
			writel(l, p + i);
			break;
		case 2:
			memcpy(&w, buf + i, 2);
			writew(w, p + i);
			break;
		default:
			writeb(buf[i], p + i);
			break;
		}
	}
}

/* READ/WRITE of data_size bytes at offset in the mapping starting at phys */
static int atemsys_iomem_access(struct atemsys_dt_inst *inst,
				struct atemsys_iomem_cmd *c, bool write)
{
	struct atemsys_iomem_map *map = atemsys_iomem_find(inst, c->phys);
	u8 buf[ATEMSYS_IOMEM_MAX_DATA];
	unsigned int width;

	if (!map)
		return -ENOENT;
	if (!c->data_size || c->data_size > ATEMSYS_IOMEM_MAX_DATA ||
	    (u64)c->offset + c->data_size > map->size) {
		dev_notice_ratelimited(&inst->pdev->dev, "pid %d: IOMEM_CMD: %u bytes at offset %#x are outside the %#x-byte mapping at %#llx (or over %zu bytes)\n",
				       task_pid_nr(current), c->data_size,
				       c->offset, map->size, map->phys,
				       ATEMSYS_IOMEM_MAX_DATA);
		return -EINVAL;
	}

	width = atemsys_iomem_width(map->phys + c->offset, c->data_size);
	if (write) {
		memcpy(buf, c->data, c->data_size);
		atemsys_iomem_write(map->base + c->offset, buf, c->data_size,
				    width);
	} else {
		memset(c->data, 0, sizeof(c->data));
		atemsys_iomem_read(map->base + c->offset, buf, c->data_size,
				   width);
		memcpy(c->data, buf, c->data_size);
	}
	return 0;
}

/**
 * atemsys_iomem_run() - one IOMEM_CMD on the fd's device-tree MAC
 * @af: the fd, with af->lock held
 * @inst: the MAC bound to @af
 * @c: the command; READ fills c->data
 *
 * Return: 0; -EINVAL for an unknown command, a size of 0 or an access
 * outside its mapping; -EPERM for a range the fd does not own; -EEXIST for
 * a mapped start with another size; -ENOSPC with every mapping in use;
 * -ENOENT for no mapping at c->phys; -ENOMEM if ioremap() fails.
 */
int atemsys_iomem_run(struct atemsys_file *af, struct atemsys_dt_inst *inst,
		      struct atemsys_iomem_cmd *c)
{
	lockdep_assert_held(&af->lock);
	switch (c->cmd) {
	case ATEMSYS_IOMEM_CMD_MAP_PERMANENT:
		return atemsys_iomem_map(af, inst, c);
	case ATEMSYS_IOMEM_CMD_UNMAP_PERMANENT:
		return atemsys_iomem_unmap(inst, c);
	case ATEMSYS_IOMEM_CMD_READ:
		return atemsys_iomem_access(inst, c, false);
	case ATEMSYS_IOMEM_CMD_WRITE:
		return atemsys_iomem_access(inst, c, true);
	default:
		return -EINVAL;
	}
}
