/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-tree mode: the MAC node handed to atemsys (compatible "atemsys"),
 * as the device tree in sysfs describes it, the i.MX FEC registers the tests
 * drive (QEMU's imx_fec on imx8mp-evk and sabrelite), and an MDIO server
 * thread that serves the kernel's MDIO orders through those registers.
 */
#ifndef ST_DT_H
#define ST_DT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <atemsys.h>

#include "ktap.h"

#define DT_IDENT		"FslFec"
#define DT_INSTANCE		1u
#define DT_PLATFORM_SYSFS	"/sys/bus/platform/devices"
#define DT_MDIO_SYSFS		"/sys/bus/mdio_bus/devices"
#define DT_MDIO_CLASS		"/sys/class/mdio_bus"
/* the PHY QEMU emulates behind the FEC (an SMSC LAN911x internal PHY) */
#define DT_PHY_ID		0x0007c0d1u

/* i.MX FEC registers */
#define FEC_EIR			0x004	/* interrupt events, write 1 to clear */
#define FEC_EIMR		0x008	/* interrupt mask */
#define  FEC_EIR_MII		0x00800000u
#define FEC_MMFR		0x040	/* MII management frame */
#define FEC_MSCR		0x044	/* MII speed control */
#define FEC_PALR		0x0e4	/* MAC address, bytes 0-3 */
#define FEC_PAUR		0x0e8	/* bytes 4-5 in bits 31:16 */

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
	uint32_t phy_addr;	/* ATEMSYS_PHY_AUTO_ADDR: PHY node without reg */
};

extern struct st_dt dt_env;

/* Find the first atemsys platform device; 0, or -1 if there is none */
int dt_discover(struct st_dt *dt);
enum st_result need_dt(void);

/* The ATEMSYS_PHY_* flag of a phy-mode string, 0 if unknown */
uint32_t dt_phy_mode_flag(const char *mode);

/* An fd with the instance bound and, optionally, its registers mapped */
struct dt_mac {
	int fd;
	struct atemsys_mac_info mi;
	volatile void *regs;	/* reg range of the node, or NULL */
};

int dt_mac_info(int fd, const char *ident, uint32_t instance,
		struct atemsys_mac_info *mi);
/* open /dev/atemsys, GET_MAC_INFO(FslFec, 1), map the registers */
enum st_result dt_open(struct dt_mac *m, bool map_regs);

/* Start a Clause 22 MDIO frame; EIR.MII flags its end */
void fec_mdio_start(volatile void *regs, bool write, unsigned int phy,
		    unsigned int reg, uint16_t val);
/* One Clause 22 MDIO frame through the FEC: 0, or -1 (ETIMEDOUT) */
int fec_mdio(volatile void *regs, bool write, unsigned int phy,
	     unsigned int reg, uint16_t *val);

/* PHY ioctls by index: ioctl's result, error_code in *ec (if not NULL) */
int dt_phy_start_stop(int fd, uint32_t index, bool start, uint32_t *ec);
int dt_phy_info(int fd, uint32_t index, struct atemsys_phy_info *info);

/* A thread serving GET/RETURN_MDIO_ORDER on the FEC until stopped */
struct dt_server {
	pthread_t thread;
	bool running;
	int fd;
	uint32_t index;
	volatile void *regs;
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
