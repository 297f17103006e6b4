// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: the PHY of a device-tree MAC, managed by Linux phylib while
 * userspace owns the MAC. The MAC's MDIO bus is a proxy: phylib's accesses
 * become "orders" that userspace fetches with GET_MDIO_ORDER, performs on the
 * MAC's registers and answers with RETURN_MDIO_ORDER. Every access waits at
 * most mdio_timeout_ms, so phylib never hangs on a userspace that does not
 * serve it. The ioctls that reach it, the bound fd's only, are in
 * atemsys_dt.c.
 */

#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/of_mdio.h>
#include <linux/phy.h>

#include "atemsys_dt.h"

#define ATEMSYS_MDIO_TIMEOUT_MAX_MS	60000U

static unsigned int mdio_timeout_ms = 1000;
module_param(mdio_timeout_ms, uint, 0644);
MODULE_PARM_DESC(mdio_timeout_ms,
		 "How long a phylib MDIO access waits for userspace to serve it (GET/RETURN_MDIO_ORDER) before it fails with -ETIMEDOUT, 1-60000 ms. Default 1000");

static bool atemsys_mdio_req_over(struct atemsys_mdio *m)
{
	bool over;

	spin_lock(&m->lock);
	over = m->req.state == ATEMSYS_REQ_DONE || m->stopping;
	spin_unlock(&m->lock);
	return over;
}

/*
 * How an access fails when the PHY is being stopped: phylib's state machine
 * takes -ENODEV as "the PHY is gone" and stops quietly; the start work gets
 * an error that ends the bus scan at once instead of trying every address.
 */
static int atemsys_mdio_stopped_err(struct atemsys_mdio *m)
{
	return current_work() == &m->start_work ? -ESHUTDOWN : -ENODEV;
}

/*
 * Post one access and wait for userspace to answer it. The bus lock of
 * phylib lets one access at a time through.
 */
static int atemsys_mdio_xfer(struct atemsys_mdio *m, bool write, int addr,
			     int devad, int reg, u16 val)
{
	unsigned int ms = clamp(READ_ONCE(mdio_timeout_ms), 1U,
				ATEMSYS_MDIO_TIMEOUT_MAX_MS);
	struct atemsys_mdio_req *r = &m->req;
	bool stalled, timed_out = false;
	int ret;

	spin_lock(&m->lock);
	if (m->stopping || r->state != ATEMSYS_REQ_NONE) {
		spin_unlock(&m->lock);
		return atemsys_mdio_stopped_err(m);
	}
	r->state = ATEMSYS_REQ_POSTED;
	r->write = write;
	r->addr = addr;
	r->devad = devad < 0 ? 0 :
		   ATEMSYS_MDIO_C45 | (devad & ATEMSYS_MDIO_C45_DEVAD_MASK);
	r->reg = reg;
	r->value = val;
	r->timed_out = false;
	spin_unlock(&m->lock);

	wait_event_timeout(m->wq, atemsys_mdio_req_over(m),
			   msecs_to_jiffies(ms));

	spin_lock(&m->lock);
	if (r->state == ATEMSYS_REQ_DONE) {
		ret = write ? 0 : r->value;
	} else if (m->stopping) {
		ret = atemsys_mdio_stopped_err(m);
	} else {
		ret = -ETIMEDOUT;
		r->timed_out = true;
		timed_out = true;
		if (m->state == ATEMSYS_PHY_STARTING)
			m->start_timed_out = true;
	}
	/*
	 * A running PHY's state machine treats any other error as a kernel
	 * bug (WARN) although userspace caused it; -ENODEV parks it quietly
	 * until PHY_START_STOP stops and restarts it.
	 */
	stalled = timed_out && m->state == ATEMSYS_PHY_RUNNING;
	if (stalled) {
		ret = -ENODEV;
		m->stalled = true;
		m->link = false;
		m->phy_ready = false;
	}
	r->state = ATEMSYS_REQ_NONE;
	spin_unlock(&m->lock);

	/* the master's duty, not a kernel problem: notice level */
	if (timed_out)
		dev_notice_ratelimited(&m->inst->pdev->dev,
				       "MDIO %s of PHY %d reg %#x not served within %u ms (GET/RETURN_MDIO_ORDER)%s\n",
				       write ? "write" : "read", addr, reg, ms,
				       stalled ? ": PHY parked until stopped and restarted" : "");
	return ret;
}

/* The proxy bus's callbacks; devad < 0: Clause 22 */
static int atemsys_mdio_read_c45(struct mii_bus *bus, int addr, int devad,
				 int reg)
{
	return atemsys_mdio_xfer(bus->priv, false, addr, devad, reg, 0);
}

static int atemsys_mdio_write_c45(struct mii_bus *bus, int addr, int devad,
				  int reg, u16 val)
{
	return atemsys_mdio_xfer(bus->priv, true, addr, devad, reg, val);
}

static int atemsys_mdio_read(struct mii_bus *bus, int addr, int regnum)
{
	return atemsys_mdio_read_c45(bus, addr, atemsys_mii_devad(regnum),
				     atemsys_mii_reg(regnum));
}

static int atemsys_mdio_write(struct mii_bus *bus, int addr, int regnum,
			      u16 val)
{
	return atemsys_mdio_write_c45(bus, addr, atemsys_mii_devad(regnum),
				      atemsys_mii_reg(regnum), val);
}

static struct atemsys_mdio *atemsys_mdio_of_ndev(struct net_device *ndev)
{
	return *(struct atemsys_mdio **)netdev_priv(ndev);
}

/* phylib's link-change callback: what GET_PHY_INFO reports */
static void atemsys_mdio_adjust_link(struct net_device *ndev)
{
	struct atemsys_mdio *m = atemsys_mdio_of_ndev(ndev);
	struct phy_device *phydev = ndev->phydev;
	bool changed;

	spin_lock(&m->lock);
	changed = !m->phy_ready || m->link != phydev->link;
	m->link = phydev->link;
	m->speed = phydev->speed;
	m->duplex = phydev->duplex;
	m->phy_ready = true;
	spin_unlock(&m->lock);

	if (!changed)
		return;
	if (phydev->link)
		dev_info(&m->inst->pdev->dev, "PHY link up, %s/%s\n",
			 phy_speed_to_str(phydev->speed),
			 phy_duplex_to_str(phydev->duplex));
	else
		dev_info(&m->inst->pdev->dev, "PHY link down\n");
}

/* Without phy-handle: the legacy phy_id's PHY, or the first one found */
static struct phy_device *atemsys_mdio_find_phy(struct atemsys_mdio *m)
{
	struct atemsys_dt_inst *inst = m->inst;
	struct phy_device *phydev;
	struct mii_bus *bus;

	if (!inst->phy_id_bus_np)
		return m->bus ? phy_find_first(m->bus) : NULL;

	bus = of_mdio_find_bus(inst->phy_id_bus_np);
	if (!bus)
		return NULL;
	phydev = mdiobus_get_phy(bus, inst->phy_addr);
	put_device(&bus->dev);
	return phydev;
}

static int atemsys_mdio_connect(struct atemsys_mdio *m)
{
	struct atemsys_dt_inst *inst = m->inst;
	struct device_node *np = inst->pdev->dev.of_node;
	struct phy_device *phydev;
	int ret;

	if (inst->fixed_link) {
		ret = of_phy_register_fixed_link(np);
		if (ret)
			return ret;
		m->fixed_link_registered = true;
		phydev = of_phy_connect(m->ndev, np, atemsys_mdio_adjust_link,
					0, inst->interface);
	} else if (inst->phy_np) {
		phydev = of_phy_connect(m->ndev, inst->phy_np,
					atemsys_mdio_adjust_link, 0,
					inst->interface);
	} else {
		phydev = atemsys_mdio_find_phy(m);
		if (phydev && phy_connect_direct(m->ndev, phydev,
						 atemsys_mdio_adjust_link,
						 inst->interface))
			phydev = NULL;
	}
	if (!phydev)
		return -ENODEV;
	m->phydev = phydev;
	return 0;
}

static bool atemsys_mdio_stopping(struct atemsys_mdio *m)
{
	bool stopping;

	spin_lock(&m->lock);
	stopping = m->stopping;
	spin_unlock(&m->lock);
	return stopping;
}

/* No operations: the device is never registered, phylib only attaches to it */
static const struct net_device_ops atemsys_mdio_netdev_ops;

/*
 * Register the proxy bus (from the MAC's mdio node, which also lets PHY
 * nodes without reg be found by scanning), connect the PHY to a net_device
 * that is never registered, cap its speed and start it.
 */
static int atemsys_mdio_bring_up(struct atemsys_mdio *m)
{
	struct atemsys_dt_inst *inst = m->inst;
	struct device *dev = &inst->pdev->dev;
	struct mii_bus *bus;
	int ret;

	m->ndev = alloc_etherdev(sizeof(m));
	if (!m->ndev)
		return -ENOMEM;
	/* phylib reads the ops of the device it attaches to (Linux 7: its ops lock) */
	m->ndev->netdev_ops = &atemsys_mdio_netdev_ops;
	SET_NETDEV_DEV(m->ndev, dev);
	*(struct atemsys_mdio **)netdev_priv(m->ndev) = m;

	if (!inst->no_mdio_bus && !inst->fixed_link) {
		bus = mdiobus_alloc();
		if (!bus)
			return -ENOMEM;
		bus->name = "atemsys MDIO proxy";
		snprintf(bus->id, MII_BUS_ID_SIZE, "atemsys-%s", dev_name(dev));
		bus->priv = m;
		bus->parent = dev;
		bus->read = atemsys_mdio_read;
		bus->write = atemsys_mdio_write;
		atemsys_mii_bus_set_c45(bus, atemsys_mdio_read_c45,
					atemsys_mdio_write_c45);
		ret = of_mdiobus_register(bus, inst->mdio_np);
		if (ret) {
			mdiobus_free(bus);
			return ret;
		}
		m->bus = bus;
	}
	if (atemsys_mdio_stopping(m))
		return -ENODEV;

	ret = atemsys_mdio_connect(m);
	if (ret)
		return ret;
	phy_set_max_speed(m->phydev, inst->max_speed);
	phy_attached_info(m->phydev);
	phy_start(m->phydev);
	return 0;
}

/* Undo what the start did, whatever it got to; idempotent */
static void atemsys_mdio_teardown(struct atemsys_mdio *m)
{
	if (m->phydev) {
		phy_disconnect(m->phydev);	/* stops it if started */
		m->phydev = NULL;
	}
	if (m->fixed_link_registered) {
		of_phy_deregister_fixed_link(m->inst->pdev->dev.of_node);
		m->fixed_link_registered = false;
	}
	if (m->bus) {
		mdiobus_unregister(m->bus);
		mdiobus_free(m->bus);
		m->bus = NULL;
	}
	if (m->ndev) {
		free_netdev(m->ndev);
		m->ndev = NULL;
	}

	spin_lock(&m->lock);
	m->phy_ready = false;
	m->link = false;
	m->speed = SPEED_UNKNOWN;
	m->duplex = DUPLEX_UNKNOWN;
	spin_unlock(&m->lock);
}

/*
 * The start runs here, not in the ioctl: its MDIO accesses need userspace
 * to serve them, possibly from the thread that asked for the start.
 */
static void atemsys_mdio_start_work(struct work_struct *work)
{
	struct atemsys_mdio *m = container_of(work, struct atemsys_mdio,
					      start_work);
	struct device *dev = &m->inst->pdev->dev;
	int ret;

	ret = atemsys_mdio_bring_up(m);
	if (ret) {
		/* unserved MDIO orders are the master's doing: notice level */
		bool stopping = atemsys_mdio_stopping(m);

		if (!stopping && m->start_timed_out)
			dev_notice(dev, "PHY start failed: %d (MDIO accesses were not served: GET/RETURN_MDIO_ORDER)\n",
				   ret);
		else if (!stopping)
			dev_notice(dev, "PHY start failed: %d%s\n", ret,
				   ret == -ENODEV ?
				   " (no PHY answered the MDIO orders served)" : "");
		atemsys_mdio_teardown(m);
	}

	spin_lock(&m->lock);
	m->start_err = ret;
	m->state = ret ? ATEMSYS_PHY_FAILED : ATEMSYS_PHY_RUNNING;
	spin_unlock(&m->lock);
}

/*
 * Start the PHY: returns at once, the start work does it. Called with the
 * owner's af->lock held (PHY_START_STOP).
 */
void atemsys_mdio_start(struct atemsys_dt_inst *inst)
{
	struct atemsys_mdio *m = &inst->mdio;

	spin_lock(&m->lock);
	if (m->state == ATEMSYS_PHY_STARTING ||
	    m->state == ATEMSYS_PHY_RUNNING) {
		spin_unlock(&m->lock);
		return;
	}
	m->state = ATEMSYS_PHY_STARTING;
	m->stopping = false;
	m->start_err = 0;
	m->start_timed_out = false;
	m->stalled = false;
	spin_unlock(&m->lock);

	queue_work(atemsys_unbound_wq(), &m->start_work);
}

/*
 * Stop the PHY, disconnect it and unregister the bus. Pending and new MDIO
 * accesses fail at once, so this never waits for userspace. Called with the
 * owner's af->lock held (PHY_START_STOP, close).
 */
void atemsys_mdio_stop(struct atemsys_dt_inst *inst)
{
	struct atemsys_mdio *m = &inst->mdio;

	spin_lock(&m->lock);
	if (m->state == ATEMSYS_PHY_STOPPED) {
		spin_unlock(&m->lock);
		return;
	}
	m->stopping = true;
	spin_unlock(&m->lock);
	wake_up_all(&m->wq);

	cancel_work_sync(&m->start_work);
	atemsys_mdio_teardown(m);

	spin_lock(&m->lock);
	m->state = ATEMSYS_PHY_STOPPED;
	m->start_err = 0;
	spin_unlock(&m->lock);
	dev_dbg(&inst->pdev->dev, "PHY stopped\n");
}

void atemsys_mdio_init(struct atemsys_dt_inst *inst)
{
	struct atemsys_mdio *m = &inst->mdio;

	m->inst = inst;
	spin_lock_init(&m->lock);
	init_waitqueue_head(&m->wq);
	INIT_WORK(&m->start_work, atemsys_mdio_start_work);
	m->state = ATEMSYS_PHY_STOPPED;
	m->stopping = true;
	m->speed = SPEED_UNKNOWN;
	m->duplex = DUPLEX_UNKNOWN;
}

/* GET_MDIO_ORDER: hand out the posted access, once; in_use 0 if none */
void atemsys_mdio_take(struct atemsys_dt_inst *inst,
		       struct atemsys_mdio_order *o)
{
	struct atemsys_mdio *m = &inst->mdio;
	struct atemsys_mdio_req *r = &m->req;
	bool taken = false;

	spin_lock(&m->lock);
	if (r->state == ATEMSYS_REQ_POSTED) {
		r->state = ATEMSYS_REQ_TAKEN;
		taken = true;
		o->write_order = r->write;
		o->mdio_addr = r->addr;
		o->reg = r->reg;
		o->value = r->write ? r->value : 0;
		o->c45_dev_addr = r->devad;
	}
	spin_unlock(&m->lock);

	o->in_use = taken;
	o->in_use_by_ioctl = taken;
	if (!taken) {
		o->write_order = 0;
		o->mdio_addr = 0;
		o->reg = 0;
		o->value = 0;
		o->c45_dev_addr = 0;
	}
}

/*
 * RETURN_MDIO_ORDER: answer the access handed out (value of a read).
 * -ETIMEDOUT (@ec EC_E_TIMEOUT) if it timed out, -EINVAL (EC_E_ERROR) if
 * none is out.
 */
int atemsys_mdio_answer(struct atemsys_dt_inst *inst,
			const struct atemsys_mdio_order *o, u32 *ec)
{
	struct atemsys_mdio *m = &inst->mdio;
	struct atemsys_mdio_req *r = &m->req;
	int ret = 0;

	spin_lock(&m->lock);
	if (r->state == ATEMSYS_REQ_TAKEN) {
		r->value = o->value;
		r->state = ATEMSYS_REQ_DONE;
	} else if (r->timed_out) {
		*ec = ATEMSYS_EC_E_TIMEOUT;
		ret = -ETIMEDOUT;
	} else {
		*ec = ATEMSYS_EC_E_ERROR;
		ret = -EINVAL;
	}
	spin_unlock(&m->lock);

	if (!ret)
		wake_up(&m->wq);
	return ret;
}

/* Why the last start failed, as an EC-Master code */
static u32 atemsys_mdio_start_ec(struct atemsys_mdio *m)
{
	if (m->state == ATEMSYS_PHY_RUNNING && m->stalled)
		return ATEMSYS_EC_E_TIMEOUT;
	if (m->state != ATEMSYS_PHY_FAILED)
		return ATEMSYS_EC_E_NOERROR;
	if (m->start_timed_out)
		return ATEMSYS_EC_E_TIMEOUT;
	if (m->start_err == -ENODEV || m->start_err == -EPROBE_DEFER)
		return ATEMSYS_EC_E_NOTFOUND;
	return ATEMSYS_EC_E_ERROR;
}

/* GET_PHY_INFO: what phylib's link callback saw; returns an EC code */
u32 atemsys_mdio_phy_info(struct atemsys_dt_inst *inst,
			  struct atemsys_phy_info *info)
{
	struct atemsys_mdio *m = &inst->mdio;
	u32 ec;

	spin_lock(&m->lock);
	info->link = m->link;
	info->speed = m->link && m->speed > 0 ? m->speed : 0;
	info->duplex = m->link && m->duplex != DUPLEX_UNKNOWN ?
		       m->duplex : DUPLEX_UNKNOWN;
	info->phy_ready = m->phy_ready;
	ec = atemsys_mdio_start_ec(m);
	spin_unlock(&m->lock);
	return ec;
}
