/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atemsys device-tree (platform device) mode: types shared by the platform
 * driver and its ioctls (atemsys_dt.c), the PHY/MDIO proxy
 * (atemsys_mdio.c), the kernel-side register access (atemsys_iomem.c), and
 * the files that read a bound MAC's resources (atemsys_irq.c,
 * atemsys_mmap.c).
 */
#ifndef ATEMSYS_DT_H
#define ATEMSYS_DT_H

#include <linux/clk.h>
#include <linux/gpio/consumer.h>
#include <linux/of.h>
#include <linux/phy.h>
#include <linux/platform_device.h>
#include <linux/regulator/consumer.h>
#include <linux/reset.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "atemsys.h"

#define ATEMSYS_DT_MAX_INSTANCES	16
#define ATEMSYS_IOMEM_MAX_MAPS		16
#define ATEMSYS_PHY_MAX_SPEED		100	/* Mbit/s, EtherCAT's 100BASE-TX */

struct mii_bus;
struct net_device;

enum atemsys_phy_state {
	ATEMSYS_PHY_STOPPED,
	ATEMSYS_PHY_STARTING,	/* the start work is running */
	ATEMSYS_PHY_RUNNING,
	ATEMSYS_PHY_FAILED,	/* the start failed; start_err says why */
};

enum atemsys_req_state {
	ATEMSYS_REQ_NONE,
	ATEMSYS_REQ_POSTED,	/* waiting for GET_MDIO_ORDER */
	ATEMSYS_REQ_TAKEN,	/* handed to userspace, waiting for RETURN */
	ATEMSYS_REQ_DONE,	/* answered */
};

/* The one MDIO access in flight (the bus lock serialises them) */
struct atemsys_mdio_req {
	enum atemsys_req_state state;
	bool write;
	u16 addr;
	u16 devad;		/* ATEMSYS_MDIO_C45 | MMD, or 0 for Clause 22 */
	u16 reg;
	u16 value;		/* write data, or the value read */
	bool timed_out;		/* the last one was never answered */
};

/* phylib driving the MAC's PHY, its MDIO accesses served by userspace */
struct atemsys_mdio {
	struct atemsys_dt_inst *inst;
	spinlock_t lock;	/* req, state, stopping, start_err, link; */
				/* a leaf (lock order: atemsys.h) */
	wait_queue_head_t wq;	/* req answered, or stopping */
	struct atemsys_mdio_req req;
	enum atemsys_phy_state state;
	bool stopping;		/* fail every access at once */
	bool start_timed_out;	/* an access of the start timed out */
	bool stalled;		/* a running PHY's access timed out */
	int start_err;
	struct work_struct start_work;

	/* set up by the start work; torn down by it or, after it, by stop */
	struct mii_bus *bus;
	struct net_device *ndev;	/* never registered: phylib's handle */
	struct phy_device *phydev;
	bool fixed_link_registered;

	/* what the link-change callback saw */
	bool phy_ready;
	bool link;
	int speed;
	int duplex;
};

/* A register range mapped with IOMEM_CMD MAP_PERMANENT */
struct atemsys_iomem_map {
	u64 phys;
	u32 size;
	unsigned int refs;	/* 0: slot free */
	void __iomem *base;
};

/* A MAC node with compatible = "atemsys", bound to the platform driver */
struct atemsys_dt_inst {
	struct list_head node;		/* in atemsys_dt_insts */
	struct platform_device *pdev;
	u32 index;			/* handle of the PHY and IOMEM ioctls */

	/* from the device tree, fixed after probe */
	char ident[ATEMSYS_IDENT_MAX_LEN + 1];
	u32 instance;
	bool status_okay;
	u32 phy_mode;			/* ATEMSYS_PHY_* */
	phy_interface_t interface;
	u32 phy_addr;			/* ATEMSYS_PHY_AUTO_ADDR: scanned */
	bool no_mdio_bus;		/* PHY on another MAC's MDIO bus */
	bool c45;
	bool iommu;
	bool fixed_link;
	struct device_node *phy_np;	/* phy-handle (reference held) */
	struct device_node *mdio_np;	/* node of the own MDIO bus, or NULL */
	struct device_node *phy_id_bus_np; /* legacy phy_id's bus node */
	u32 max_speed;			/* Mbit/s */
	struct gpio_desc *reset_gpio;
	bool reset_active_high;
	u32 reset_duration_ms;
	u32 reset_post_delay_ms;

	/* what probe turned on, undone by devres in reverse */
	struct clk_bulk_data *clks;
	int num_clks;
	struct regulator *phy_supply;
	struct reset_control *resets;

	struct atemsys_owner owner;	/* the fd bound to it, if any */

	/* used by the owner only, under its af->lock */
	struct atemsys_iomem_map maps[ATEMSYS_IOMEM_MAX_MAPS];
	struct atemsys_mdio mdio;
};

/* atemsys_iomem.c */
int atemsys_iomem_run(struct atemsys_file *af, struct atemsys_dt_inst *inst,
		      struct atemsys_iomem_cmd *c);
void atemsys_iomem_unmap_all(struct atemsys_dt_inst *inst);

/* atemsys_mdio.c: needs phylib and of_mdio */
#if IS_REACHABLE(CONFIG_OF_MDIO)
void atemsys_mdio_init(struct atemsys_dt_inst *inst);
void atemsys_mdio_start(struct atemsys_dt_inst *inst);
void atemsys_mdio_stop(struct atemsys_dt_inst *inst);
void atemsys_mdio_take(struct atemsys_dt_inst *inst,
		       struct atemsys_mdio_order *o);
int atemsys_mdio_answer(struct atemsys_dt_inst *inst,
			const struct atemsys_mdio_order *o, u32 *ec);
u32 atemsys_mdio_phy_info(struct atemsys_dt_inst *inst,
			  struct atemsys_phy_info *info);
#else
static inline void atemsys_mdio_init(struct atemsys_dt_inst *inst)
{
}

static inline void atemsys_mdio_stop(struct atemsys_dt_inst *inst)
{
}

/* The PHY ioctls return -EOPNOTSUPP before any of these is called */
static inline void atemsys_mdio_start(struct atemsys_dt_inst *inst)
{
}

static inline void atemsys_mdio_take(struct atemsys_dt_inst *inst,
				     struct atemsys_mdio_order *o)
{
}

static inline int atemsys_mdio_answer(struct atemsys_dt_inst *inst,
				      const struct atemsys_mdio_order *o,
				      u32 *ec)
{
	return -EOPNOTSUPP;
}

static inline u32 atemsys_mdio_phy_info(struct atemsys_dt_inst *inst,
					struct atemsys_phy_info *info)
{
	return ATEMSYS_EC_E_NOTSUPPORTED;
}
#endif

#endif /* ATEMSYS_DT_H */
