/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EtherCAT frames: building and parsing datagrams.
 *
 * Wire format (IEC 61158-4-12 / ETG.1000.4, "EtherCAT data link layer";
 * Beckhoff "EtherCAT Slave Controller" hardware data sheet section I):
 *
 *   Ethernet header   dst[6] src[6] EtherType 0x88A4            14 bytes
 *   EtherCAT header   u16 LE: bits 0-10 length of what follows,  2 bytes
 *                     bit 11 reserved, bits 12-15 type (1 = datagrams)
 *   datagram          cmd u8, idx u8, address u32 LE            10 bytes
 *                     (ADP u16 + ADO u16, or a 32-bit logical address),
 *                     u16 LE: bits 0-10 data length, bit 14 circulating,
 *                     bit 15 more datagrams follow; u16 IRQ
 *                     data[length]
 *                     working counter u16 LE                     2 bytes
 *   ... more datagrams, then padding up to the 60-byte Ethernet minimum
 *
 * All multi-byte fields are little-endian. Nothing here allocates.
 */
#ifndef ECAT_H
#define ECAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECAT_ETHERTYPE		0x88A4
#define ECAT_ETH_HDR_LEN	14
#define ECAT_HDR_LEN		2
#define ECAT_DG_HDR_LEN		10
#define ECAT_WKC_LEN		2
#define ECAT_FRAME_MIN		60	/* Ethernet minimum without FCS */
#define ECAT_FRAME_MAX		1514	/* Ethernet maximum without FCS */
#define ECAT_TYPE_DATAGRAMS	1
#define ECAT_LEN_MASK		0x07ff
/* data bytes of one datagram alone in a full frame */
#define ECAT_DG_DATA_MAX	(ECAT_FRAME_MAX - ECAT_ETH_HDR_LEN - ECAT_HDR_LEN - \
				 ECAT_DG_HDR_LEN - ECAT_WKC_LEN)
#define ECAT_DG_MORE		0x8000	/* in the length word */
#define ECAT_DG_CIRCULATING	0x4000
#define ECAT_MAX_DATAGRAMS	64	/* what the parser returns at most */

/* Commands (ETG.1000.4 table "EtherCAT command types") */
enum ecat_cmd {
	ECAT_NOP = 0,
	ECAT_APRD,	/* auto-increment physical read */
	ECAT_APWR,	/* auto-increment physical write */
	ECAT_APRW,	/* auto-increment physical read-write */
	ECAT_FPRD,	/* configured address physical read */
	ECAT_FPWR,
	ECAT_FPRW,
	ECAT_BRD,	/* broadcast read */
	ECAT_BWR,
	ECAT_BRW,
	ECAT_LRD,	/* logical memory read */
	ECAT_LWR,
	ECAT_LRW,
	ECAT_ARMW,	/* auto-increment read multiple write */
	ECAT_FRMW,	/* configured address read multiple write */
	ECAT_CMD_COUNT,
};

/* "BRD" for ECAT_BRD; "?" for an unknown code */
const char *ecat_cmd_name(unsigned int cmd);
/* the command of that name, or -1 */
int ecat_cmd_by_name(const char *name);

/* Physical address of ADP/ADO as the 32-bit address field holds it */
static inline uint32_t ecat_addr(uint16_t adp, uint16_t ado)
{
	return (uint32_t)adp | (uint32_t)ado << 16;
}

/**
 * struct ecat_dg - one datagram of a parsed frame (pointers into the frame,
 * so a slave can process it in place)
 * @hdr:   the 10-byte header; @data its data; @wkc_at the working counter
 * @addr:  the 32-bit address field (ADP in bits 0-15, ADO in 16-31; or the
 *         logical address)
 */
struct ecat_dg {
	uint8_t cmd;
	uint8_t idx;
	uint32_t addr;
	uint16_t len;
	uint16_t irq;
	bool more;
	bool circulating;
	uint16_t wkc;
	uint8_t *hdr;
	uint8_t *data;
	uint8_t *wkc_at;
};

static inline uint16_t ecat_dg_adp(const struct ecat_dg *d)
{
	return (uint16_t)d->addr;
}

static inline uint16_t ecat_dg_ado(const struct ecat_dg *d)
{
	return (uint16_t)(d->addr >> 16);
}

/* Parse results; ecat_strerror() explains them */
enum ecat_err {
	ECAT_OK = 0,
	ECAT_E_SHORT,		/* not even Ethernet + EtherCAT header */
	ECAT_E_ETHERTYPE,	/* not 0x88A4 */
	ECAT_E_TYPE,		/* EtherCAT header type is not "datagrams" */
	ECAT_E_LENGTH,		/* header length runs past the frame's end */
	ECAT_E_TRUNCATED,	/* a datagram runs past the header length */
	ECAT_E_EMPTY,		/* no datagram */
	ECAT_E_TOO_MANY,	/* more than ECAT_MAX_DATAGRAMS */
};

const char *ecat_strerror(int err);

/**
 * ecat_parse() - check a received frame (@len bytes from the destination
 * MAC, no FCS) and find its datagrams; up to @max go into @dg.
 * Return: ECAT_OK with *@count set, or an enum ecat_err.
 */
int ecat_parse(uint8_t *frame, size_t len, struct ecat_dg *dg, unsigned int max,
	       unsigned int *count);

/* The working counter of a parsed datagram, written into the frame */
static inline void ecat_dg_set_wkc(struct ecat_dg *d, uint16_t wkc)
{
	d->wkc = wkc;
	d->wkc_at[0] = (uint8_t)wkc;
	d->wkc_at[1] = (uint8_t)(wkc >> 8);
}

/* The address field of a parsed datagram, written into the frame */
static inline void ecat_dg_set_addr(struct ecat_dg *d, uint32_t addr)
{
	d->addr = addr;
	d->hdr[2] = (uint8_t)addr;
	d->hdr[3] = (uint8_t)(addr >> 8);
	d->hdr[4] = (uint8_t)(addr >> 16);
	d->hdr[5] = (uint8_t)(addr >> 24);
}

/**
 * struct ecat_frame - a frame being built in a caller's buffer of at least
 * ECAT_FRAME_MAX bytes
 */
struct ecat_frame {
	uint8_t *buf;
	size_t len;		/* bytes so far */
	uint8_t *last;		/* header of the last datagram, for "more" */
	unsigned int count;	/* datagrams */
};

/* Ethernet and EtherCAT headers; no datagram yet */
void ecat_frame_init(struct ecat_frame *f, uint8_t *buf, const uint8_t dst[6],
		     const uint8_t src[6]);

/**
 * ecat_frame_add() - append a datagram with @len data bytes, copied from
 * @data (NULL: zeros), working counter 0.
 * Return: where its data sits in the frame (to fill or read later), or NULL
 * if it does not fit.
 */
uint8_t *ecat_frame_add(struct ecat_frame *f, uint8_t cmd, uint8_t idx,
			uint32_t addr, uint16_t len, const void *data);

/* Finish the EtherCAT header and pad to 60 bytes; the frame's length */
size_t ecat_frame_finish(struct ecat_frame *f);

/* Little-endian helpers */
static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif /* ECAT_H */
