// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: device-tree (platform device) mode. A MAC node with
 * compatible = "atemsys", atemsys-Ident and atemsys-Instance is bound to this
 * driver instead of its native one; the driver keeps the MAC powered and
 * clocked, and GET_MAC_INFO hands it to one fd: its registers become
 * mappable, DMA memory is allocated on it, its interrupts can be connected,
 * and its PHY is managed through atemsys_mdio.c. The ioctls that name an
 * instance by index start here.
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/of_net.h>
#include <linux/pinctrl/consumer.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "atemsys_dt.h"

#define ATEMSYS_PHY_RESET_MAX_MS	1000

/* instance list and each instance's owner (lock order: atemsys.h) */
static DEFINE_MUTEX(atemsys_dt_lock);
static LIST_HEAD(atemsys_dt_insts);
static DEFINE_IDA(atemsys_dt_ida);

/*
 * Keep the MAC alive as its native driver would: pinctrl default state, all
 * clocks, the PHY supply, resets deasserted, runtime PM active. devres
 * undoes it in reverse when the driver unbinds.
 */
static void atemsys_dt_pinctrl_sleep(void *data)
{
	pinctrl_pm_select_sleep_state(data);
}

static void atemsys_dt_clks_off(void *data)
{
	struct atemsys_dt_inst *inst = data;

	clk_bulk_disable_unprepare(inst->num_clks, inst->clks);
}

static void atemsys_dt_supply_off(void *data)
{
	regulator_disable(data);
}

static void atemsys_dt_reset_assert(void *data)
{
	reset_control_assert(data);
}

static void atemsys_dt_pm_off(void *data)
{
	struct device *dev = data;

	pm_runtime_disable(dev);
	pm_runtime_set_suspended(dev);
	pm_runtime_put_noidle(dev);
}

static int atemsys_dt_power_up(struct atemsys_dt_inst *inst)
{
	struct device *dev = &inst->pdev->dev;
	int ret;

	ret = pinctrl_pm_select_default_state(dev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot select pinctrl state\n");
	ret = devm_add_action_or_reset(dev, atemsys_dt_pinctrl_sleep, dev);
	if (ret)
		return ret;

	inst->num_clks = devm_clk_bulk_get_all(dev, &inst->clks);
	if (inst->num_clks < 0)
		return dev_err_probe(dev, inst->num_clks, "cannot get clocks\n");
	ret = clk_bulk_prepare_enable(inst->num_clks, inst->clks);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable clocks\n");
	ret = devm_add_action_or_reset(dev, atemsys_dt_clks_off, inst);
	if (ret)
		return ret;

	inst->phy_supply = devm_regulator_get_optional(dev, "phy");
	if (IS_ERR(inst->phy_supply)) {
		ret = PTR_ERR(inst->phy_supply);
		inst->phy_supply = NULL;
		if (ret != -ENODEV)
			return dev_err_probe(dev, ret, "cannot get phy-supply\n");
	} else {
		ret = regulator_enable(inst->phy_supply);
		if (ret)
			return dev_err_probe(dev, ret, "cannot enable phy-supply\n");
		ret = devm_add_action_or_reset(dev, atemsys_dt_supply_off,
					       inst->phy_supply);
		if (ret)
			return ret;
	}

	/* shared: a reset line may serve more than this MAC */
	inst->resets = devm_reset_control_array_get_optional_shared(dev);
	if (IS_ERR(inst->resets))
		return dev_err_probe(dev, PTR_ERR(inst->resets),
				     "cannot get resets\n");
	ret = reset_control_deassert(inst->resets);
	if (ret)
		return dev_err_probe(dev, ret, "cannot deassert resets\n");
	ret = devm_add_action_or_reset(dev, atemsys_dt_reset_assert,
				       inst->resets);
	if (ret)
		return ret;

	/* active from now on, and never suspended while bound */
	pm_runtime_get_noresume(dev);
	pm_runtime_set_active(dev);
	pm_runtime_enable(dev);
	return devm_add_action_or_reset(dev, atemsys_dt_pm_off, dev);
}

/* phy-mode as EC-Master's ATEMSYS_PHY_* flag; RGMII if unknown */
static u32 atemsys_dt_phy_mode(struct atemsys_dt_inst *inst,
			       struct device_node *np)
{
	struct device *dev = &inst->pdev->dev;

	if (of_get_phy_mode(np, &inst->interface)) {
		dev_warn(dev, "no or unknown phy-mode: assuming rgmii\n");
		inst->interface = PHY_INTERFACE_MODE_RGMII;
		return ATEMSYS_PHY_RGMII;
	}

	switch (inst->interface) {
	case PHY_INTERFACE_MODE_MII:
	case PHY_INTERFACE_MODE_REVMII:
		return ATEMSYS_PHY_MII;
	case PHY_INTERFACE_MODE_RMII:
		return ATEMSYS_PHY_RMII;
	case PHY_INTERFACE_MODE_GMII:
		return ATEMSYS_PHY_GMII;
	case PHY_INTERFACE_MODE_SGMII:
		return ATEMSYS_PHY_SGMII;
	case PHY_INTERFACE_MODE_RGMII:
	case PHY_INTERFACE_MODE_RGMII_ID:
	case PHY_INTERFACE_MODE_RGMII_RXID:
	case PHY_INTERFACE_MODE_RGMII_TXID:
		return ATEMSYS_PHY_RGMII;
	case PHY_INTERFACE_MODE_10GBASER:
		return ATEMSYS_PHY_10GBASER;
#ifdef ATEMSYS_HAVE_PHY_MODE_25GBASER
	case PHY_INTERFACE_MODE_25GBASER:
		return ATEMSYS_PHY_25GBASER;
#endif
	default:
		dev_warn(dev, "phy-mode %s has no EC-Master equivalent: reporting rgmii\n",
			 phy_modes(inst->interface));
		return ATEMSYS_PHY_RGMII;
	}
}

static bool atemsys_dt_is_child(struct device_node *np,
				struct device_node *parent)
{
	struct device_node *p = of_get_parent(np);
	bool child = p == parent;

	of_node_put(p);
	return child;
}

/* The first child of @np with one of the names in @names, or NULL */
static struct device_node *atemsys_dt_child(struct device_node *np,
					    const char * const *names)
{
	struct device_node *child;

	for (; *names; names++) {
		child = of_get_child_by_name(np, *names);
		if (child)
			return child;
	}
	return NULL;
}

/*
 * Where the PHY is: phy-handle (or legacy phy_id = <&mdio addr>), and which
 * node describes the MAC's own MDIO bus. Without either, the MAC's own bus
 * is scanned for the first PHY.
 */
static void atemsys_dt_parse_phy(struct atemsys_dt_inst *inst,
				 struct device_node *np)
{
	static const char * const bus_names[] = { "mdio", "mdio0", "mdio1", NULL };
	static const char * const phy_names[] = { "phy", "ethernet-phy", NULL };
	struct of_phandle_args args;
	struct device_node *child, *parent;
	u32 addr;

	inst->phy_addr = ATEMSYS_PHY_AUTO_ADDR;
	inst->fixed_link = atemsys_of_property_present(np, "fixed-link");
	child = of_get_child_by_name(np, "fixed-link");
	if (child) {
		inst->fixed_link = true;
		of_node_put(child);
	}
	if (inst->fixed_link) {
		inst->phy_mode |= ATEMSYS_PHY_FIXED_LINK;
		return;
	}

	inst->phy_np = of_parse_phandle(np, "phy-handle", 0);
	if (inst->phy_np) {
		if (!of_property_read_u32(inst->phy_np, "reg", &addr))
			inst->phy_addr = addr;
		inst->c45 = of_device_is_compatible(inst->phy_np,
						    "ethernet-phy-ieee802.3-c45");
	} else if (!of_parse_phandle_with_fixed_args(np, "phy_id", 1, 0,
						     &args)) {
		inst->phy_id_bus_np = args.np;
		inst->phy_addr = args.args[0];
	}

	inst->mdio_np = atemsys_dt_child(np, bus_names);
	if (inst->mdio_np)
		return;

	/* a PHY node right under the MAC, or under a child of it */
	child = inst->phy_np ? of_node_get(inst->phy_np) :
		atemsys_dt_child(np, phy_names);
	if (child) {
		parent = of_get_parent(child);
		if (parent == np || atemsys_dt_is_child(parent, np))
			inst->mdio_np = of_node_get(parent);
		of_node_put(parent);
		of_node_put(child);
	}
	if (inst->mdio_np)
		return;

	/* the PHY sits on another MAC's bus, driven by Linux */
	if (inst->phy_np)
		inst->no_mdio_bus = true;
	else if (inst->phy_id_bus_np)
		inst->no_mdio_bus = !atemsys_dt_is_child(inst->phy_id_bus_np, np);
}

/* atemsys-phy-reset-gpios and its timing; the reset is never done here */
static int atemsys_dt_parse_reset(struct atemsys_dt_inst *inst,
				  struct device_node *np)
{
	struct device *dev = &inst->pdev->dev;
	struct gpio_desc *gpio;

	gpio = devm_gpiod_get_optional(dev, "atemsys-phy-reset", GPIOD_ASIS);
	if (IS_ERR(gpio)) {
		if (PTR_ERR(gpio) == -EPROBE_DEFER)
			return -EPROBE_DEFER;
		dev_warn(dev, "atemsys-phy-reset-gpios unusable, PHY_RESET not supported: %ld\n",
			 PTR_ERR(gpio));
		gpio = NULL;
	}
	inst->reset_gpio = gpio;
	inst->reset_active_high =
		of_property_read_bool(np, "atemsys-phy-reset-active-high");
	inst->reset_duration_ms = 1;
	of_property_read_u32(np, "atemsys-phy-reset-duration",
			     &inst->reset_duration_ms);
	of_property_read_u32(np, "atemsys-phy-reset-post-delay",
			     &inst->reset_post_delay_ms);
	inst->reset_duration_ms = min_t(u32, inst->reset_duration_ms,
					ATEMSYS_PHY_RESET_MAX_MS);
	inst->reset_post_delay_ms = min_t(u32, inst->reset_post_delay_ms,
					  ATEMSYS_PHY_RESET_MAX_MS);
	return 0;
}

static int atemsys_dt_parse(struct atemsys_dt_inst *inst)
{
	struct device *dev = &inst->pdev->dev;
	struct device_node *np = dev->of_node;
	const char *ident;

	if (of_property_read_string(np, "atemsys-Ident", &ident)) {
		dev_err(dev, "no atemsys-Ident: cannot tell userspace which MAC this is\n");
		return -EINVAL;
	}
	if (strscpy(inst->ident, ident, sizeof(inst->ident)) < 0)
		dev_warn(dev, "atemsys-Ident longer than %d characters: truncated\n",
			 ATEMSYS_IDENT_MAX_LEN);
	of_property_read_u32(np, "atemsys-Instance", &inst->instance);
	inst->status_okay = of_device_is_available(np);
	inst->iommu = atemsys_of_property_present(np, "iommus");

	inst->phy_mode = atemsys_dt_phy_mode(inst, np);
	atemsys_dt_parse_phy(inst, np);

	inst->max_speed = ATEMSYS_PHY_MAX_SPEED;
	of_property_read_u32(np, "atemsys-phy-max-speed", &inst->max_speed);
	if (!inst->max_speed) {
		dev_warn(dev, "atemsys-phy-max-speed 0: using %u\n",
			 ATEMSYS_PHY_MAX_SPEED);
		inst->max_speed = ATEMSYS_PHY_MAX_SPEED;
	}

	return atemsys_dt_parse_reset(inst, np);
}

static void atemsys_dt_put_nodes(struct atemsys_dt_inst *inst)
{
	of_node_put(inst->phy_np);
	of_node_put(inst->mdio_np);
	of_node_put(inst->phy_id_bus_np);
}

/* Claim the reg ranges, as the native driver would; not fatal if shared */
static void atemsys_dt_claim_regs(struct atemsys_dt_inst *inst)
{
	struct platform_device *pdev = inst->pdev;
	unsigned int i;

	for (i = 0; i < pdev->num_resources; i++) {
		struct resource *res = &pdev->resource[i];

		if (resource_type(res) != IORESOURCE_MEM)
			continue;
		if (!devm_request_mem_region(&pdev->dev, res->start,
					     resource_size(res),
					     dev_name(&pdev->dev)))
			dev_warn(&pdev->dev, "%pR is claimed by another driver\n",
				 res);
	}
}

/* Give the instance an index and list it, unless its name is taken */
static int atemsys_dt_add(struct atemsys_dt_inst *inst)
{
	struct atemsys_dt_inst *other;
	int ret;

	mutex_lock(&atemsys_dt_lock);
	list_for_each_entry(other, &atemsys_dt_insts, node) {
		if (!strcmp(other->ident, inst->ident) &&
		    other->instance == inst->instance) {
			dev_err(&inst->pdev->dev, "%s instance %u is already %s\n",
				inst->ident, inst->instance,
				dev_name(&other->pdev->dev));
			ret = -EEXIST;
			goto out;
		}
	}
	ret = ida_alloc_max(&atemsys_dt_ida, ATEMSYS_DT_MAX_INSTANCES - 1,
			    GFP_KERNEL);
	if (ret < 0)
		goto out;
	inst->index = ret;
	list_add_tail(&inst->node, &atemsys_dt_insts);
	ret = 0;
out:
	mutex_unlock(&atemsys_dt_lock);
	return ret;
}

static int atemsys_dt_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct atemsys_dt_inst *inst;
	struct resource *res;
	int ret;

	inst = devm_kzalloc(dev, sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
	inst->pdev = pdev;
	atemsys_owner_init(&inst->owner, &atemsys_dt_lock);

	ret = atemsys_dt_power_up(inst);
	if (ret)
		return ret;
	ret = atemsys_dt_parse(inst);
	if (ret)
		goto err_nodes;

	/* a MAC's DMA engine is 32-bit unless the platform says otherwise */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(dev, "no usable DMA mask: %d\n", ret);
		goto err_nodes;
	}

	atemsys_dt_claim_regs(inst);
	atemsys_mdio_init(inst);
	platform_set_drvdata(pdev, inst);
	ret = atemsys_dt_add(inst);
	if (ret)
		goto err_nodes;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	dev_info(dev, "%s instance %u is index %u: reg %pR, %s, PHY %s%s\n",
		 inst->ident, inst->instance, inst->index, res,
		 phy_modes(inst->interface),
		 inst->fixed_link ? "fixed-link" :
		 inst->no_mdio_bus ? "on another MAC's MDIO bus" :
		 "on its own MDIO bus",
		 inst->reset_gpio ? ", PHY reset GPIO" : "");
	return 0;

err_nodes:
	atemsys_dt_put_nodes(inst);
	return ret;
}

static atemsys_platform_remove_t atemsys_dt_remove(struct platform_device *pdev)
{
	struct atemsys_dt_inst *inst = platform_get_drvdata(pdev);

	atemsys_owner_remove(&inst->owner, &pdev->dev);

	mutex_lock(&atemsys_dt_lock);
	list_del(&inst->node);
	mutex_unlock(&atemsys_dt_lock);
	ida_free(&atemsys_dt_ida, inst->index);
	atemsys_dt_put_nodes(inst);
	/* while the device's DMA setup lasts (the driver core tears it down) */
	atemsys_dma_device_stopped(&pdev->dev, true);
	return ATEMSYS_PLATFORM_REMOVED;
}

static struct atemsys_dt_inst *atemsys_dt_find(const char *ident,
					       u32 instance)
{
	struct atemsys_dt_inst *inst;

	lockdep_assert_held(&atemsys_dt_lock);
	list_for_each_entry(inst, &atemsys_dt_insts, node)
		if (!inst->owner.removing && inst->instance == instance &&
		    !strcmp(inst->ident, ident))
			return inst;
	return NULL;
}

static void atemsys_dt_fill_info(struct atemsys_dt_inst *inst,
				 struct atemsys_mac_info *mi)
{
	struct resource *res;

	res = platform_get_resource(inst->pdev, IORESOURCE_MEM, 0);
	if (res) {
		mi->reg_addr = res->start;
		mi->reg_size = min_t(u64, resource_size(res), U32_MAX);
	}
	mi->index = inst->index;
	mi->status = inst->status_okay;
	mi->phy_mode = inst->phy_mode;
	mi->no_mdio_bus = inst->no_mdio_bus;
	mi->phy_addr = inst->phy_addr;
	mi->phy_reset_supported = !!inst->reset_gpio;
	mi->phy_c45_required = inst->c45;
	mi->iommu_supported = inst->iommu;
}

/* Bind the instance to @af, unless another fd holds it; both locks held */
static int atemsys_dt_bind(struct atemsys_file *af,
			   struct atemsys_dt_inst *inst, u32 *ec)
{
	struct device *dev = &inst->pdev->dev;
	struct atemsys_owner *o = &inst->owner;
	int ret;

	if (o->af == af)
		return 0;
	if (o->af) {
		dev_notice_ratelimited(dev, "pid %d: %s instance %u is held by pid %d (%s)\n",
				       task_pid_nr(current), inst->ident,
				       inst->instance, o->pid, o->comm);
		*ec = ATEMSYS_EC_E_BUSY;
		return -EBUSY;
	}
	if (af->dt || af->pdev) {
		dev_notice_ratelimited(dev, "pid %d: the fd already holds %s: one device per fd\n",
				       task_pid_nr(current),
				       af->dt ? dev_name(&af->dt->pdev->dev) :
				       pci_name(af->pdev));
		*ec = ATEMSYS_EC_E_BUSY;
		return -EBUSY;
	}

	ret = atemsys_owner_claim(o, af);
	if (ret) {	/* being removed */
		*ec = ATEMSYS_EC_E_NOTFOUND;
		return ret;
	}
	af->dt = inst;
	/* the MAC may DMA until the fd goes: keep its buffers until then */
	atemsys_dma_set_bus_master(af, true);
	dev_dbg(dev, "bound to pid %d\n", o->pid);
	return 0;
}

/**
 * atemsys_ioctl_get_mac_info() - ATEMSYS_IOCTL_GET_MAC_INFO
 * @af: the calling fd
 * @arg: struct atemsys_mac_info, always written back
 *
 * Binds the instance named by ident and instance to @af.
 *
 * Return: 0; -ENOENT (EC_E_NOTFOUND) if there is none; -EBUSY (EC_E_BUSY)
 * if another fd holds it or @af holds another device; -EFAULT.
 */
long atemsys_ioctl_get_mac_info(struct atemsys_file *af, void __user *arg)
{
	char ident[ATEMSYS_IDENT_MAX_LEN + 1];
	struct atemsys_mac_info mi;
	struct atemsys_dt_inst *inst;
	u32 ec = ATEMSYS_EC_E_NOERROR;
	long ret;

	if (copy_from_user(&mi, arg, sizeof(mi)))
		return -EFAULT;
	memcpy(ident, mi.ident, ATEMSYS_IDENT_MAX_LEN);
	ident[ATEMSYS_IDENT_MAX_LEN] = '\0';

	mutex_lock(&af->lock);
	mutex_lock(&atemsys_dt_lock);
	inst = atemsys_dt_find(ident, mi.instance);
	if (!inst) {
		ec = ATEMSYS_EC_E_NOTFOUND;
		ret = -ENOENT;
	} else {
		ret = atemsys_dt_bind(af, inst, &ec);
		if (!ret)
			atemsys_dt_fill_info(inst, &mi);
	}
	mutex_unlock(&atemsys_dt_lock);
	mutex_unlock(&af->lock);

	mi.error_code = ec;
	if (copy_to_user(arg, &mi, sizeof(mi)))
		return -EFAULT;
	return ret;
}

/*
 * The instance @index if @af bound it. Otherwise an ERR_PTR, with @ec set
 * and a warning saying why: no such index (-ENODEV), held by another fd
 * (-EBUSY), or not bound by any (-EPERM: GET_MAC_INFO first). af->lock
 * held. What every ioctl that names an instance by index starts with.
 */
static struct atemsys_dt_inst *atemsys_dt_owned(struct atemsys_file *af,
						u32 index, u32 *ec)
{
	struct atemsys_dt_inst *inst, *found = NULL;
	int ret;

	lockdep_assert_held(&af->lock);
	if (af->dt && af->dt->index == index)
		return af->dt;

	mutex_lock(&atemsys_dt_lock);
	list_for_each_entry(inst, &atemsys_dt_insts, node)
		if (inst->index == index)
			found = inst;
	if (!found) {
		dev_notice_ratelimited(atemsys_dev, "pid %d: no device-tree instance has index %u\n",
				       task_pid_nr(current), index);
		*ec = ATEMSYS_EC_E_INVALIDINDEX;
		ret = -ENODEV;
	} else if (found->owner.af) {
		dev_notice_ratelimited(&found->pdev->dev, "pid %d: index %u is held by pid %d (%s)\n",
				       task_pid_nr(current), index,
				       found->owner.pid, found->owner.comm);
		*ec = ATEMSYS_EC_E_BUSY;
		ret = -EBUSY;
	} else {
		dev_notice_ratelimited(&found->pdev->dev, "pid %d: index %u is not bound to this fd: call GET_MAC_INFO first\n",
				       task_pid_nr(current), index);
		*ec = ATEMSYS_EC_E_ERROR;
		ret = -EPERM;
	}
	mutex_unlock(&atemsys_dt_lock);
	return ERR_PTR(ret);
}

/* Pulse atemsys-phy-reset-gpios: assert, hold, release, settle */
static void atemsys_dt_pulse_reset(struct atemsys_dt_inst *inst)
{
	int active = inst->reset_active_high ? 1 : 0;

	gpiod_direction_output_raw(inst->reset_gpio, active);
	fsleep(inst->reset_duration_ms * USEC_PER_MSEC);
	gpiod_set_raw_value_cansleep(inst->reset_gpio, !active);
	if (inst->reset_post_delay_ms)
		fsleep(inst->reset_post_delay_ms * USEC_PER_MSEC);
}

/**
 * atemsys_ioctl_phy_reset() - ATEMSYS_IOCTL_PHY_RESET
 * @af: the calling fd
 * @arg: u32, in: the instance index; out: an ATEMSYS_EC_E_* code
 *
 * Pulses the PHY reset GPIO of the instance @af bound.
 *
 * Return: 0; -EOPNOTSUPP (EC_E_NOTSUPPORTED) without a reset GPIO; the
 * errors of an instance index (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_phy_reset(struct atemsys_file *af, void __user *arg)
{
	u32 __user *uarg = arg;
	struct atemsys_dt_inst *inst;
	u32 index, ec = ATEMSYS_EC_E_NOERROR;
	long ret = 0;

	if (get_user(index, uarg))
		return -EFAULT;

	mutex_lock(&af->lock);
	inst = atemsys_dt_owned(af, index, &ec);
	if (IS_ERR(inst)) {
		ret = PTR_ERR(inst);
	} else if (!inst->reset_gpio) {
		ec = ATEMSYS_EC_E_NOTSUPPORTED;
		ret = -EOPNOTSUPP;
	} else {
		atemsys_dt_pulse_reset(inst);
	}
	mutex_unlock(&af->lock);

	if (put_user(ec, uarg))
		return -EFAULT;
	return ret;
}

/**
 * atemsys_ioctl_phy_start_stop() - ATEMSYS_IOCTL_PHY_START_STOP
 * @af: the calling fd
 * @arg: struct atemsys_phy_start_stop_info, error_code written back
 *
 * Starts (returns at once: a work item does it) or stops the PHY of the
 * instance @af bound.
 *
 * Return: 0; -EOPNOTSUPP without of_mdio; the errors of an instance index
 * (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_phy_start_stop(struct atemsys_file *af, void __user *arg)
{
	struct atemsys_phy_start_stop_info info;
	struct atemsys_dt_inst *inst;
	u32 ec = ATEMSYS_EC_E_NOERROR;
	long ret = 0;

	if (!IS_REACHABLE(CONFIG_OF_MDIO))
		return -EOPNOTSUPP;
	if (copy_from_user(&info, arg, sizeof(info)))
		return -EFAULT;

	mutex_lock(&af->lock);
	inst = atemsys_dt_owned(af, info.index, &ec);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else if (info.start)
		atemsys_mdio_start(inst);
	else
		atemsys_mdio_stop(inst);
	mutex_unlock(&af->lock);

	info.error_code = ec;
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return ret;
}

/* GET_MDIO_ORDER (hand out the pending access) or RETURN_MDIO_ORDER */
static long atemsys_dt_mdio_order(struct atemsys_file *af, void __user *arg,
				  bool answer)
{
	struct atemsys_mdio_order o;
	struct atemsys_dt_inst *inst;
	u32 ec = ATEMSYS_EC_E_NOERROR;
	long ret = 0;

	if (!IS_REACHABLE(CONFIG_OF_MDIO))
		return -EOPNOTSUPP;
	if (copy_from_user(&o, arg, sizeof(o)))
		return -EFAULT;

	mutex_lock(&af->lock);
	inst = atemsys_dt_owned(af, o.index, &ec);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else if (answer)
		ret = atemsys_mdio_answer(inst, &o, &ec);
	else
		atemsys_mdio_take(inst, &o);
	mutex_unlock(&af->lock);

	o.error_code = ec;
	if (copy_to_user(arg, &o, sizeof(o)))
		return -EFAULT;
	return ret;
}

/**
 * atemsys_ioctl_get_mdio_order() - ATEMSYS_IOCTL_GET_MDIO_ORDER
 * @af: the calling fd
 * @arg: struct atemsys_mdio_order: the pending access, in_use 0 if none
 *
 * Return: 0; -EOPNOTSUPP without of_mdio; the errors of an instance index
 * (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_get_mdio_order(struct atemsys_file *af, void __user *arg)
{
	return atemsys_dt_mdio_order(af, arg, false);
}

/**
 * atemsys_ioctl_return_mdio_order() - ATEMSYS_IOCTL_RETURN_MDIO_ORDER
 * @af: the calling fd
 * @arg: struct atemsys_mdio_order: the answer (value of a read)
 *
 * Return: 0; -EINVAL (EC_E_ERROR) if no access is handed out; -ETIMEDOUT
 * (EC_E_TIMEOUT) if it timed out; -EOPNOTSUPP without of_mdio; the errors
 * of an instance index (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_return_mdio_order(struct atemsys_file *af,
				     void __user *arg)
{
	return atemsys_dt_mdio_order(af, arg, true);
}

/**
 * atemsys_ioctl_get_phy_info() - ATEMSYS_IOCTL_GET_PHY_INFO
 * @af: the calling fd
 * @arg: struct atemsys_phy_info: link, speed, duplex, phy_ready and, in
 *	error_code, why the last start failed
 *
 * Return: 0; -EOPNOTSUPP without of_mdio; the errors of an instance index
 * (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_get_phy_info(struct atemsys_file *af, void __user *arg)
{
	struct atemsys_phy_info info;
	struct atemsys_dt_inst *inst;
	u32 ec = ATEMSYS_EC_E_NOERROR;
	long ret = 0;

	if (!IS_REACHABLE(CONFIG_OF_MDIO))
		return -EOPNOTSUPP;
	if (copy_from_user(&info, arg, sizeof(info)))
		return -EFAULT;

	mutex_lock(&af->lock);
	inst = atemsys_dt_owned(af, info.index, &ec);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else
		ec = atemsys_mdio_phy_info(inst, &info);
	mutex_unlock(&af->lock);

	info.error_code = ec;
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return ret;
}

/**
 * atemsys_ioctl_iomem_cmd() - ATEMSYS_IOCTL_IOMEM_CMD
 * @af: the calling fd
 * @arg: struct atemsys_iomem_cmd, written back by READ only
 *
 * Return: as atemsys_iomem_run(); the errors of an instance index
 * (atemsys_dt_owned()); -EFAULT.
 */
long atemsys_ioctl_iomem_cmd(struct atemsys_file *af, void __user *arg)
{
	struct atemsys_iomem_cmd c;
	struct atemsys_dt_inst *inst;
	u32 ec;
	long ret;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;

	mutex_lock(&af->lock);
	inst = atemsys_dt_owned(af, c.index, &ec);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else
		ret = atemsys_iomem_run(af, inst, &c);
	mutex_unlock(&af->lock);

	if (!ret && c.cmd == ATEMSYS_IOMEM_CMD_READ &&
	    copy_to_user(arg, &c, sizeof(c)))
		return -EFAULT;
	return ret;
}

/*
 * Pulse the MAC's resets (the node's "resets", if any): the MAC stops its
 * DMA and comes back with its interrupt sources off, as after power-up.
 * The controls are shared, so a line that also serves a MAC still in use
 * elsewhere is not asserted (reset_control_assert() on a shared control;
 * that case cannot be told apart). Returns whether the pulse was given.
 */
static bool atemsys_dt_reset_mac(struct atemsys_dt_inst *inst)
{
	if (!inst->resets)
		return false;
	if (reset_control_assert(inst->resets)) {
		dev_warn(&inst->pdev->dev, "cannot assert resets: the MAC was not reset on release\n");
		return false;
	}
	usleep_range(10, 20);
	if (reset_control_deassert(inst->resets))
		dev_warn(&inst->pdev->dev, "cannot deassert resets after release\n");
	return true;
}

/*
 * Give the fd's DT MAC back, on close or process death; af->lock held.
 * Interrupt (free_irq() leaves the line masked at the controller), PHY and
 * MDIO bus, kernel mappings go first, then the MAC is reset where its node
 * gives the means, then the DMA memory it could have written to is freed,
 * then the binding.
 */
void atemsys_dt_release(struct atemsys_file *af)
{
	struct atemsys_dt_inst *inst = af->dt;

	if (!inst)
		return;

	atemsys_irq_disconnect(af);
	atemsys_mdio_stop(inst);
	atemsys_iomem_unmap_all(inst);
	/* a MAC not reset may go on writing its rings: their memory is kept */
	atemsys_dma_device_stopped(&inst->pdev->dev,
				   atemsys_dt_reset_mac(inst));
	atemsys_dma_set_bus_master(af, false);
	atemsys_dma_free_unmapped(af);

	atemsys_owner_release(&inst->owner);
	af->dt = NULL;
	dev_dbg(&inst->pdev->dev, "released\n");
}

static const struct of_device_id atemsys_dt_ids[] = {
	{ .compatible = "atemsys" },
	{ }
};
MODULE_DEVICE_TABLE(of, atemsys_dt_ids);

static struct platform_driver atemsys_dt_driver = {
	.probe	= atemsys_dt_probe,
	.driver	= {
		.name		= ATEMSYS_DRV_NAME,
		.of_match_table	= atemsys_dt_ids,
	},
};

int atemsys_dt_driver_register(void)
{
	atemsys_platform_set_remove(&atemsys_dt_driver, atemsys_dt_remove);
	return platform_driver_register(&atemsys_dt_driver);
}

void atemsys_dt_driver_unregister(void)
{
	platform_driver_unregister(&atemsys_dt_driver);
}
