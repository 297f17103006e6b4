/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * atemsys userspace API.
 *
 * Drop-in compatible with the ioctl numbers and struct layouts of acontis
 * atemsys 1.4.x, so existing EC-Master / EC-Simulator link layers work
 * unchanged. All structs are packed and made of fixed-width fields only, so
 * 32-bit and 64-bit processes share one layout.
 *
 * Field names follow kernel style; offsets and sizes are those of the
 * original header, which is what binaries depend on.
 *
 * Userspace may define USE_ATEMSYS_API_VERSION (built with
 * ATEMSYS_API_VERSION(a, b, c)) before including this file to select which
 * PCI select-desc revision ATEMSYS_IOCTL_PCI_FIND_DEVICE and
 * ATEMSYS_IOCTL_PCI_CONF_DEVICE resolve to. The kernel accepts all three
 * revisions at the same time: it tells them apart by the size encoded in
 * the command.
 */
#ifndef _UAPI_ATEMSYS_H
#define _UAPI_ATEMSYS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define ATEMSYS_API_VERSION(a, b, c)	(((a) << 16) | ((b) << 8) | (c))
/* historical spelling used by existing link layers */
#define EC_ATEMSYSVERSION(a, b, c)	ATEMSYS_API_VERSION(a, b, c)

/* ABI level this module implements (reported by MOD_GETVERSION) */
#define ATEMSYS_VERSION_MAJOR	1
#define ATEMSYS_VERSION_MINOR	4
#define ATEMSYS_VERSION_PATCH	39
#define ATEMSYS_VERSION_STR	"1.4.39"
#define ATEMSYS_VERSION_CODE	ATEMSYS_API_VERSION(1, 4, 39)

/* MOD_SET_API_VERSION >= this enables 64-bit DMA addresses for the fd */
#define ATEMSYS_API_64BIT_DMA	ATEMSYS_API_VERSION(1, 4, 15)

#define ATEMSYS_FILE_NAME	"/dev/atemsys"
#define ATEMSYS_MAJOR		101	/* also the ioctl type */
#define ATEMSYS_IOCTL_TYPE	ATEMSYS_MAJOR

#define ATEMSYS_PCI_MAXBAR	6
#define ATEMSYS_USE_PCI_INT	0xFFFFFFFFu
#define ATEMSYS_IDENT_MAX_LEN	0x20

struct atemsys_pci_membar_v1_0_00 {
	__u32 addr;		/* physical address */
	__u32 len;
} __attribute__((packed));

struct atemsys_pci_membar_v1_4_12 {
	__u64 addr;		/* physical address */
	__u32 len;
} __attribute__((packed));

/*
 * PCI select descriptor (field names differ from the original header; the
 * layout is identical). FIND: in vendor_id, device_id (-1: any), instance
 * (0: first); out domain, bus, device, function. CONF: in domain, bus,
 * device, function; out bar_count, bars[] (memory BARs only, packed without
 * gaps) and irq.
 */
struct atemsys_pci_select_desc_v1_0_00 {			/* 80 bytes */
	__s32 vendor_id;
	__s32 device_id;
	__s32 instance;
	__s32 bus;
	__s32 device;
	__s32 function;
	__s32 bar_count;
	__u32 irq;
	struct atemsys_pci_membar_v1_0_00 bars[ATEMSYS_PCI_MAXBAR];
} __attribute__((packed));

struct atemsys_pci_select_desc_v1_3_05 {			/* 84 bytes */
	__s32 vendor_id;
	__s32 device_id;
	__s32 instance;
	__s32 bus;
	__s32 device;
	__s32 function;
	__s32 bar_count;
	__u32 irq;
	struct atemsys_pci_membar_v1_0_00 bars[ATEMSYS_PCI_MAXBAR];
	__s32 domain;
} __attribute__((packed));

struct atemsys_pci_select_desc_v1_4_12 {			/* 108 bytes */
	__s32 vendor_id;
	__s32 device_id;
	__s32 instance;
	__s32 bus;
	__s32 device;
	__s32 function;
	__s32 bar_count;
	__u32 irq;
	struct atemsys_pci_membar_v1_4_12 bars[ATEMSYS_PCI_MAXBAR];
	__s32 domain;
} __attribute__((packed));

struct atemsys_int_info {
	__u32 irq;
} __attribute__((packed));

#define ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 0, struct atemsys_pci_select_desc_v1_0_00)
#define ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 0, struct atemsys_pci_select_desc_v1_3_05)
#define ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 0, struct atemsys_pci_select_desc_v1_4_12)
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 1, struct atemsys_pci_select_desc_v1_0_00)
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 1, struct atemsys_pci_select_desc_v1_3_05)
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12 \
	_IOWR(ATEMSYS_IOCTL_TYPE, 1, struct atemsys_pci_select_desc_v1_4_12)
#define ATEMSYS_IOCTL_PCI_RELEASE_DEVICE	_IO(ATEMSYS_IOCTL_TYPE, 2)
/* INT_CONNECT takes the value itself as arg, not a pointer */
#define ATEMSYS_IOCTL_INT_CONNECT	_IOW(ATEMSYS_IOCTL_TYPE, 3, __u32)
#define ATEMSYS_IOCTL_INT_DISCONNECT	_IOW(ATEMSYS_IOCTL_TYPE, 4, __u32)
#define ATEMSYS_IOCTL_INT_INFO		_IOR(ATEMSYS_IOCTL_TYPE, 5, struct atemsys_int_info)
#define ATEMSYS_IOCTL_MOD_GETVERSION	_IOR(ATEMSYS_IOCTL_TYPE, 6, __u32)
#define ATEMSYS_IOCTL_CPU_ENABLE_CYCLE_COUNT _IOW(ATEMSYS_IOCTL_TYPE, 7, __u32)
/*
 * Declared _IOR for compatibility although the kernel reads the value; the
 * _IOW spelling of the same number is accepted too.
 */
#define ATEMSYS_IOCTL_MOD_SET_API_VERSION _IOR(ATEMSYS_IOCTL_TYPE, 13, __u32)
#define ATEMSYS_IOCTL_MOD_SET_API_VERSION_W _IOW(ATEMSYS_IOCTL_TYPE, 13, __u32)
/*
 * The size encoded in the command is the size of the CPU mask the caller
 * passes: 4 bytes (CPUs 0-31) for the historical number, or any size up to
 * ATEMSYS_CPU_AFFINITY_MAX_BYTES with ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N,
 * e.g. ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(sizeof(cpu_set_t)).
 */
#define ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY _IOWR(ATEMSYS_IOCTL_TYPE, 15, __u32)
#define ATEMSYS_IOCTL_INT_SET_CPU_AFFINITY_N(bytes) \
	_IOC(_IOC_READ | _IOC_WRITE, ATEMSYS_IOCTL_TYPE, 15, (bytes))
#define ATEMSYS_CPU_AFFINITY_MAX_BYTES	1024

/*
 * Device-tree (platform device) mode: a MAC node handed to atemsys with
 * compatible = "atemsys", atemsys-Ident and atemsys-Instance.
 *
 * Results of these ioctls also go into an error_code field, with the
 * EC-Master codes below; the ioctl itself returns a negative errno on
 * failure (unlike the original, which returned 0).
 */
#define ATEMSYS_EC_E_NOERROR		0x00000000u
#define ATEMSYS_EC_E_ERROR		0x98110000u
#define ATEMSYS_EC_E_NOTSUPPORTED	0x98110001u
#define ATEMSYS_EC_E_INVALIDINDEX	0x98110002u
#define ATEMSYS_EC_E_BUSY		0x98110008u
#define ATEMSYS_EC_E_NOTFOUND		0x9811000Cu
#define ATEMSYS_EC_E_TIMEOUT		0x98110010u

/* phy_mode: bit flags, as EC-Master's EC_T_PHYINTERFACE */
#define ATEMSYS_PHY_FIXED_LINK		0x001u
#define ATEMSYS_PHY_MII			0x002u
#define ATEMSYS_PHY_RMII		0x004u
#define ATEMSYS_PHY_GMII		0x008u
#define ATEMSYS_PHY_SGMII		0x010u
#define ATEMSYS_PHY_RGMII		0x020u
#define ATEMSYS_PHY_OSDRIVER		0x040u
#define ATEMSYS_PHY_RMII_50MHZ		0x080u
#define ATEMSYS_PHY_10GBASER		0x100u
#define ATEMSYS_PHY_25GBASER		0x200u
#define ATEMSYS_PHY_AUTO_ADDR		0xFFFFFFFFu

struct atemsys_mac_info {				/* 136 bytes */
	char ident[ATEMSYS_IDENT_MAX_LEN];	/* in: e.g. "FslFec" */
	__u32 instance;				/* in: atemsys-Instance */
	__u32 index;				/* out: handle for the PHY ioctls */
	__u64 reg_addr;				/* out: first "reg" range */
	__u32 reg_size;
	__u32 status;				/* out: 1 if status = "okay" */
	__u32 phy_mode;				/* out: ATEMSYS_PHY_* */
	__u32 no_mdio_bus;			/* out: PHY on another MAC's bus */
	__u32 phy_addr;
	__u32 error_code;			/* out: ATEMSYS_EC_E_* */
	__u32 phy_reset_supported;
	__u32 phy_c45_required;
	__u32 iommu_supported;
	__u32 reserved[13];
} __attribute__((packed));

struct atemsys_phy_start_stop_info {			/* 28 bytes */
	__u32 index;
	__u32 start;				/* 1 start, 0 stop */
	__u32 error_code;
	__u32 reserved[4];
} __attribute__((packed));

/*
 * c45_dev_addr of a Clause 45 order: this flag (MII_ADDR_C45 >> 16, as the
 * original passed it) ORed with the MMD device address; 0 for Clause 22.
 */
#define ATEMSYS_MDIO_C45		0x4000u
#define ATEMSYS_MDIO_C45_DEVAD_MASK	0x001Fu

struct atemsys_mdio_order {				/* 46 bytes */
	__u32 index;
	__u32 in_use;				/* out: an order is pending */
	__u32 in_use_by_ioctl;
	__u32 write_order;			/* out: 1 write, 0 read */
	__u16 mdio_addr;
	__u16 reg;
	__u16 value;				/* write data / read result */
	__u32 timeout_ms;
	__u32 error_code;
	__u16 c45_dev_addr;
	__u16 reserved16;
	__u32 reserved[3];
} __attribute__((packed));

struct atemsys_phy_info {				/* 40 bytes */
	__u32 index;
	__u32 link;
	__u32 duplex;				/* 0 half, 1 full, 0xFF unknown */
	__u32 speed;				/* Mbit/s */
	__u32 phy_ready;
	__u32 error_code;
	__u32 reserved[4];
} __attribute__((packed));

#define ATEMSYS_IOMEM_CMD_MAP_PERMANENT		1
#define ATEMSYS_IOMEM_CMD_UNMAP_PERMANENT	2
#define ATEMSYS_IOMEM_CMD_READ			3
#define ATEMSYS_IOMEM_CMD_WRITE			4

struct atemsys_iomem_cmd {				/* 44 bytes */
	__u32 index;
	__u32 cmd;				/* ATEMSYS_IOMEM_CMD_* */
	__u64 phys;				/* start of the mapping */
	__u32 size;				/* of the mapping */
	__u32 offset;				/* of the access in the mapping */
	__u32 data_size;			/* 1, 2, 4, 8 or up to 16 */
	__u32 data[4];
} __attribute__((packed));

#define ATEMSYS_IOCTL_GET_MAC_INFO	_IOWR(ATEMSYS_IOCTL_TYPE, 8, struct atemsys_mac_info)
#define ATEMSYS_IOCTL_PHY_START_STOP \
	_IOWR(ATEMSYS_IOCTL_TYPE, 9, struct atemsys_phy_start_stop_info)
#define ATEMSYS_IOCTL_GET_MDIO_ORDER	_IOWR(ATEMSYS_IOCTL_TYPE, 10, struct atemsys_mdio_order)
#define ATEMSYS_IOCTL_RETURN_MDIO_ORDER	_IOWR(ATEMSYS_IOCTL_TYPE, 11, struct atemsys_mdio_order)
#define ATEMSYS_IOCTL_GET_PHY_INFO	_IOWR(ATEMSYS_IOCTL_TYPE, 12, struct atemsys_phy_info)
/* in: the instance index; out: an ATEMSYS_EC_E_* code */
#define ATEMSYS_IOCTL_PHY_RESET		_IOWR(ATEMSYS_IOCTL_TYPE, 14, __u32)
#define ATEMSYS_IOCTL_IOMEM_CMD		_IOWR(ATEMSYS_IOCTL_TYPE, 16, struct atemsys_iomem_cmd)
/*
 * The original's TI K3 CPSWG DMA set-up (1.4.26, a 180-byte struct not
 * declared here): not implemented, -EOPNOTSUPP. Any other size or
 * direction of a device-tree command's number (8-12, 14, 16, 17) is
 * -EOPNOTSUPP too.
 */
#define ATEMSYS_IOCTL_CPSWG_CMD \
	_IOC(_IOC_READ | _IOC_WRITE, ATEMSYS_IOCTL_TYPE, 17, 180)

#ifndef USE_ATEMSYS_API_VERSION
#define USE_ATEMSYS_API_VERSION	ATEMSYS_API_VERSION(1, 0, 0)
#endif

#if ATEMSYS_API_VERSION(1, 4, 12) <= USE_ATEMSYS_API_VERSION
#define ATEMSYS_IOCTL_PCI_FIND_DEVICE	ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_4_12
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE	ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_4_12
#define atemsys_pci_select_desc atemsys_pci_select_desc_v1_4_12
#elif ATEMSYS_API_VERSION(1, 3, 5) <= USE_ATEMSYS_API_VERSION
#define ATEMSYS_IOCTL_PCI_FIND_DEVICE	ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_3_05
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE	ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_3_05
#define atemsys_pci_select_desc atemsys_pci_select_desc_v1_3_05
#else
#define ATEMSYS_IOCTL_PCI_FIND_DEVICE	ATEMSYS_IOCTL_PCI_FIND_DEVICE_v1_0_00
#define ATEMSYS_IOCTL_PCI_CONF_DEVICE	ATEMSYS_IOCTL_PCI_CONF_DEVICE_v1_0_00
#define atemsys_pci_select_desc atemsys_pci_select_desc_v1_0_00
#endif

#endif /* _UAPI_ATEMSYS_H */
