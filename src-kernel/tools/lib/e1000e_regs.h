/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel 82574L (e1000e, 8086:10d3): the registers and descriptor formats a
 * minimal polling/interrupt driver uses. Offsets and bits: Intel 82574 GbE
 * Controller Family Datasheet, chapter 10 "Register Descriptions" (CSR space,
 * BAR0, 128 KiB) and 7.1.4/7.2.10 (legacy descriptors); checked against
 * QEMU's e1000e model (hw/net/e1000e_core.c), which is what the guests run.
 */
#ifndef E1000E_REGS_H
#define E1000E_REGS_H

#include <stdint.h>

#define E1000E_BAR0_SIZE	0x20000u	/* 128 KiB of CSRs */

/* General (datasheet 10.2.2) */
#define E1000_CTRL		0x00000
#define  E1000_CTRL_SLU		0x00000040u	/* set link up */
#define  E1000_CTRL_RST		0x04000000u	/* software reset, self-clearing */
#define E1000_STATUS		0x00008
#define  E1000_STATUS_FD	0x00000001u
#define  E1000_STATUS_LU	0x00000002u	/* link up */
#define  E1000_STATUS_SPEED_MASK 0x000000c0u
#define  E1000_STATUS_SPEED_SHIFT 6	/* 0: 10, 1: 100, 2/3: 1000 Mb/s */
#define E1000_EERD		0x00014		/* NVM read */
#define E1000_CTRL_EXT		0x00018

/* Interrupts (10.2.4) */
#define E1000_ICR		0x000c0		/* cause, read clears (not MSI-X), W1C */
#define E1000_ITR		0x000c4
#define E1000_ICS		0x000c8
#define E1000_IMS		0x000d0		/* mask set */
#define E1000_IMC		0x000d8		/* mask clear */
#define E1000_EIAC		0x000dc		/* MSI-X auto clear */
#define E1000_IVAR		0x000e4		/* MSI-X cause -> vector */
#define  E1000_ICR_TXDW		0x00000001u
#define  E1000_ICR_LSC		0x00000004u	/* link status change */
#define  E1000_ICR_RXO		0x00000040u	/* receiver overrun */
#define  E1000_ICR_RXT0		0x00000080u	/* receive timer (INTx, MSI) */
#define  E1000_ICR_RXQ0		0x00100000u	/* RX queue 0 (MSI-X) */
#define  E1000_ICR_TXQ0		0x00400000u
#define  E1000_ICR_OTHER	0x01000000u	/* LSC and others (MSI-X) */
#define  E1000_ICR_ASSERTED	0x80000000u
/* IVAR: 4 bits per cause, vector in bits 2:0, valid in bit 3 */
#define  E1000_IVAR_RXQ0(v)	(((v) & 7u) | 0x8u)
#define  E1000_IVAR_TXQ0(v)	((((v) & 7u) | 0x8u) << 8)
#define  E1000_IVAR_OTHER(v)	((((v) & 7u) | 0x8u) << 16)

/* Receive (10.2.5) */
#define E1000_RCTL		0x00100
#define  E1000_RCTL_EN		0x00000002u
#define  E1000_RCTL_SBP		0x00000004u
#define  E1000_RCTL_UPE		0x00000008u	/* unicast promiscuous */
#define  E1000_RCTL_MPE		0x00000010u	/* multicast promiscuous */
#define  E1000_RCTL_LPE		0x00000020u
#define  E1000_RCTL_BAM		0x00008000u	/* accept broadcast */
#define  E1000_RCTL_BSIZE_2048	0x00000000u	/* BSIZE 00, BSEX 0 */
#define  E1000_RCTL_SECRC	0x04000000u	/* strip the FCS */
#define E1000_RDBAL		0x02800
#define E1000_RDBAH		0x02804
#define E1000_RDLEN		0x02808		/* bytes, multiple of 128 */
#define E1000_RDH		0x02810
#define E1000_RDT		0x02818
#define E1000_RDTR		0x02820
#define E1000_RADV		0x0282c
#define E1000_RFCTL		0x05008		/* EXTEN 0: legacy descriptors */
#define E1000_RAL0		0x05400
#define E1000_RAH0		0x05404
#define  E1000_RAH_AV		0x80000000u

/* Transmit (10.2.6) */
#define E1000_TCTL		0x00400
#define  E1000_TCTL_EN		0x00000002u
#define  E1000_TCTL_PSP		0x00000008u	/* pad short packets */
#define  E1000_TCTL_CT(x)	((uint32_t)(x) << 4)	/* collision threshold */
#define  E1000_TCTL_COLD(x)	((uint32_t)(x) << 12)	/* collision distance */
#define E1000_TIPG		0x00410
#define E1000_TDBAL		0x03800
#define E1000_TDBAH		0x03804
#define E1000_TDLEN		0x03808
#define E1000_TDH		0x03810
#define E1000_TDT		0x03818
#define E1000_TIDV		0x03820
#define E1000_TARC0		0x03840
#define  E1000_TARC_ENABLE	0x00000400u	/* queue enable; set by reset */

/* Statistics (10.2.7); QEMU clears these on read */
#define E1000_CRCERRS		0x04000
#define E1000_MPC		0x04010
#define E1000_GPRC		0x04074
#define E1000_GPTC		0x04080
#define E1000_RNBC		0x040a0
#define E1000_RUC		0x040a4
#define E1000_ROC		0x040ac
#define E1000_TPR		0x040d0
#define E1000_TPT		0x040d4

/* Legacy receive descriptor (7.1.4.1), written back by the device */
struct e1000e_rx_desc {
	uint64_t addr;		/* buffer bus address */
	uint16_t length;	/* bytes in the buffer */
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __attribute__((packed));
#define E1000_RXD_STAT_DD	0x01u	/* descriptor done */
#define E1000_RXD_STAT_EOP	0x02u	/* end of packet */
#define E1000_RXD_ERR_MASK	0xffu	/* CE, SE, SEQ, CXE, TCPE, IPE, RXE */
#define E1000_RXD_ERR_CSUM	0x60u	/* TCPE | IPE: not frame errors */

/* Legacy transmit descriptor (7.2.10.1) */
struct e1000e_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
} __attribute__((packed));
#define E1000_TXD_CMD_EOP	0x01u
#define E1000_TXD_CMD_IFCS	0x02u	/* insert FCS */
#define E1000_TXD_CMD_RS	0x08u	/* report status: write back DD */
#define E1000_TXD_STAT_DD	0x01u

#endif /* E1000E_REGS_H */
