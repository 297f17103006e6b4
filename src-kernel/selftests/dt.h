/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-tree mode: the MAC node handed to atemsys (compatible "atemsys"),
 * as the device tree in sysfs describes it, what the tests drive on that
 * MAC (struct dt_mac_ops, chosen by its atemsys-Ident: QEMU's i.MX FEC on
 * imx8mp-evk and sabrelite, its Cadence GEM on xlnx-zcu102), and an MDIO
 * server thread that serves the kernel's MDIO orders through the MAC.
 */
#ifndef ST_DT_H
#define ST_DT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <atemsys.h>

#include "ktap.h"

#define DT_PLATFORM_SYSFS	"/sys/bus/platform/devices"
#define DT_MDIO_SYSFS		"/sys/bus/mdio_bus/devices"
#define DT_MDIO_CLASS		"/sys/class/mdio_bus"
#define DT_MAC_SAVED_MAX	16

/* The atemsys platform device, from sysfs */
struct st_dt {
	bool present;
	char name[64];		/* e.g. "30be0000.ethernet" */
	char node[PATH_MAX];	/* its node under /sys/firmware/devicetree */
	char ident[ATEMSYS_IDENT_MAX_LEN + 1];
	uint32_t instance;
	uint64_t reg_addr;
	uint64_t reg_size;
	char phy_mode[32];	/* "" if the node has none */
	/* ATEMSYS_PHY_AUTO_ADDR: no phy-handle, or a PHY node without reg */
	uint32_t phy_addr;
	/* the phy-handle's node is the MAC's child or grandchild (its bus) */
	bool phy_on_own_bus;
};

extern struct st_dt dt_env;

/*
 * The atemsys platform device with the lowest atemsys-Instance (the one
 * the dt tests drive; a board may hand over more, e.g. a second MAC for
 * the ll group's slave simulator): 0, or -1 if there is none
 */
int dt_discover(struct st_dt *dt);
/* The next such device besides @first: 0, or -1 if there is none */
int dt_discover_other(const struct st_dt *first, struct st_dt *other);
enum st_result need_dt(void);

/* The ATEMSYS_PHY_* flag of a phy-mode string, 0 if unknown */
uint32_t dt_phy_mode_flag(const char *mode);

struct dt_mac;

/*
 * What the tests drive on one kind of MAC, by its atemsys-Ident. regs is
 * the node's reg range, mapped.
 */
struct dt_mac_ops {
	const char *ident;	/* atemsys-Ident */
	const char *name;	/* for messages */
	/* the PHY built into QEMU's model: PHYSID1 << 16 | PHYSID2 */
	uint32_t qemu_phy_id;

	/* station address: register with bytes 0-3, and all six bytes */
	unsigned int mac_lo;
	void (*mac_get)(volatile void *regs, uint8_t mac[6]);
	void (*mac_set)(volatile void *regs, const uint8_t mac[6]);

	/* Start a Clause 22 frame, once the previous one is over */
	void (*mdio_start)(volatile void *regs, bool write, unsigned int phy,
			   unsigned int reg, uint16_t val);
	/* Is the frame over? Then *val gets what a read frame read */
	bool (*mdio_done)(volatile void *regs, uint16_t *val);

	/*
	 * An interrupt the tests raise at will: setup saves what it changes
	 * (in m->saved) and unmasks only this event, raise makes the MAC
	 * signal it, pending reads its status bit (which may clear it, as a
	 * clear-on-read status register does), ack clears it, restore undoes
	 * setup.
	 */
	const char *irq_event;
	enum st_result (*irq_setup)(struct dt_mac *m);
	void (*irq_raise)(struct dt_mac *m);
	bool (*irq_pending)(struct dt_mac *m);
	void (*irq_ack)(struct dt_mac *m);
	void (*irq_restore)(struct dt_mac *m);
};

/* The ops for an atemsys-Ident, or NULL */
const struct dt_mac_ops *dt_mac_ops_find(const char *ident);

/* An fd with the instance bound and, optionally, its registers mapped */
struct dt_mac {
	int fd;
	struct atemsys_mac_info mi;
	volatile void *regs;	/* reg range of the node, or NULL */
	const struct dt_mac_ops *ops;	/* set when regs are mapped */
	/* the interrupt source's state (irq_setup .. irq_restore) */
	uint32_t saved[DT_MAC_SAVED_MAX];
	volatile uint32_t *dma;	/* a DMA page, if the source needs one */
	uint32_t dma_bus;
};

int dt_mac_info(int fd, const char *ident, uint32_t instance,
		struct atemsys_mac_info *mi);
/*
 * open /dev/atemsys, GET_MAC_INFO(atemsys-Ident, atemsys-Instance) of the
 * node, and with map_regs, map the registers and pick the MAC's ops
 */
enum st_result dt_open(struct dt_mac *m, bool map_regs);

/* One Clause 22 MDIO frame through the MAC: 0, or -1 (ETIMEDOUT) */
int dt_mdio(const struct dt_mac_ops *ops, volatile void *regs, bool write,
	    unsigned int phy, unsigned int reg, uint16_t *val);

/* PHY ioctls by index: ioctl's result, error_code in *ec (if not NULL) */
int dt_phy_start_stop(int fd, uint32_t index, bool start, uint32_t *ec);
int dt_phy_info(int fd, uint32_t index, struct atemsys_phy_info *info);

/* A thread serving GET/RETURN_MDIO_ORDER through the MAC until stopped */
struct dt_server {
	pthread_t thread;
	bool running;
	int fd;
	uint32_t index;
	volatile void *regs;
	const struct dt_mac_ops *ops;
	volatile bool stop;
	volatile unsigned int served;	/* orders answered */
	volatile unsigned int id_reads;	/* reads of PHYSID1/2 */
	volatile int err;		/* errno that ended the loop, or 0 */
};

enum st_result dt_server_start(struct dt_server *s, const struct dt_mac *m);
void dt_server_stop(struct dt_server *s);

/* The PHY of the instance under /sys/bus/mdio_bus/devices, if there */
bool dt_phy_present(char *name, size_t len);
/* The proxy bus under /sys/class/mdio_bus */
bool dt_bus_present(void);

#endif /* ST_DT_H */
