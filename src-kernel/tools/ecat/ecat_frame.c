// SPDX-License-Identifier: GPL-2.0
/*
 * EtherCAT frame codec; see ecat.h for the format.
 */

#include <string.h>

#include "ecat.h"

static const char *const cmd_names[ECAT_CMD_COUNT] = {
	"NOP", "APRD", "APWR", "APRW", "FPRD", "FPWR", "FPRW", "BRD", "BWR",
	"BRW", "LRD", "LWR", "LRW", "ARMW", "FRMW",
};

const char *ecat_cmd_name(unsigned int cmd)
{
	return cmd < ECAT_CMD_COUNT ? cmd_names[cmd] : "?";
}

int ecat_cmd_by_name(const char *name)
{
	int i;

	for (i = 0; i < ECAT_CMD_COUNT; i++)
		if (!strcmp(cmd_names[i], name))
			return i;
	return -1;
}

const char *ecat_strerror(int err)
{
	switch (err) {
	case ECAT_OK:
		return "ok";
	case ECAT_E_SHORT:
		return "frame too short for the Ethernet and EtherCAT headers";
	case ECAT_E_ETHERTYPE:
		return "not an EtherCAT frame (EtherType is not 0x88A4)";
	case ECAT_E_TYPE:
		return "EtherCAT header type is not 1 (datagrams)";
	case ECAT_E_LENGTH:
		return "frame too short: the EtherCAT header's length runs past its end";
	case ECAT_E_TRUNCATED:
		return "truncated datagram: it runs past the EtherCAT header's length";
	case ECAT_E_EMPTY:
		return "no datagram in the frame";
	case ECAT_E_TOO_MANY:
		return "more datagrams than one frame can hold";
	default:
		return "unknown error";
	}
}

int ecat_parse(uint8_t *frame, size_t len, struct ecat_dg *dg, unsigned int max,
	       unsigned int *count)
{
	size_t off, end;
	uint16_t hdr;
	unsigned int n = 0;

	*count = 0;
	if (len < ECAT_ETH_HDR_LEN + ECAT_HDR_LEN)
		return ECAT_E_SHORT;
	if ((frame[12] << 8 | frame[13]) != ECAT_ETHERTYPE)
		return ECAT_E_ETHERTYPE;
	hdr = get_le16(frame + ECAT_ETH_HDR_LEN);
	if (hdr >> 12 != ECAT_TYPE_DATAGRAMS)
		return ECAT_E_TYPE;
	off = ECAT_ETH_HDR_LEN + ECAT_HDR_LEN;
	end = off + (hdr & ECAT_LEN_MASK);
	if (end > len)
		return ECAT_E_LENGTH;

	for (;;) {
		uint8_t *p = frame + off;
		uint16_t lw;

		if (off + ECAT_DG_HDR_LEN + ECAT_WKC_LEN > end)
			return n ? ECAT_E_TRUNCATED : ECAT_E_EMPTY;
		lw = get_le16(p + 6);
		if (off + ECAT_DG_HDR_LEN + (lw & ECAT_LEN_MASK) + ECAT_WKC_LEN > end)
			return ECAT_E_TRUNCATED;
		if (n >= max)
			return ECAT_E_TOO_MANY;
		dg[n] = (struct ecat_dg){
			.cmd = p[0],
			.idx = p[1],
			.addr = get_le32(p + 2),
			.len = lw & ECAT_LEN_MASK,
			.more = lw & ECAT_DG_MORE,
			.circulating = lw & ECAT_DG_CIRCULATING,
			.irq = get_le16(p + 8),
			.hdr = p,
			.data = p + ECAT_DG_HDR_LEN,
		};
		dg[n].wkc_at = dg[n].data + dg[n].len;
		dg[n].wkc = get_le16(dg[n].wkc_at);
		off += ECAT_DG_HDR_LEN + dg[n].len + ECAT_WKC_LEN;
		if (!dg[n++].more)
			break;
	}
	*count = n;
	return ECAT_OK;
}

void ecat_frame_init(struct ecat_frame *f, uint8_t *buf, const uint8_t dst[6],
		     const uint8_t src[6])
{
	f->buf = buf;
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = ECAT_ETHERTYPE >> 8;
	buf[13] = ECAT_ETHERTYPE & 0xff;
	put_le16(buf + ECAT_ETH_HDR_LEN, ECAT_TYPE_DATAGRAMS << 12);
	f->len = ECAT_ETH_HDR_LEN + ECAT_HDR_LEN;
	f->last = NULL;
	f->count = 0;
}

uint8_t *ecat_frame_add(struct ecat_frame *f, uint8_t cmd, uint8_t idx,
			uint32_t addr, uint16_t len, const void *data)
{
	uint8_t *p = f->buf + f->len;

	if (len > ECAT_LEN_MASK ||
	    f->len + ECAT_DG_HDR_LEN + len + ECAT_WKC_LEN > ECAT_FRAME_MAX)
		return NULL;
	if (f->last)
		put_le16(f->last + 6, get_le16(f->last + 6) | ECAT_DG_MORE);
	p[0] = cmd;
	p[1] = idx;
	put_le32(p + 2, addr);
	put_le16(p + 6, len);
	put_le16(p + 8, 0);
	if (data)
		memcpy(p + ECAT_DG_HDR_LEN, data, len);
	else
		memset(p + ECAT_DG_HDR_LEN, 0, len);
	put_le16(p + ECAT_DG_HDR_LEN + len, 0);
	f->last = p;
	f->count++;
	f->len += ECAT_DG_HDR_LEN + len + ECAT_WKC_LEN;
	return p + ECAT_DG_HDR_LEN;
}

size_t ecat_frame_finish(struct ecat_frame *f)
{
	size_t payload = f->len - ECAT_ETH_HDR_LEN - ECAT_HDR_LEN;

	put_le16(f->buf + ECAT_ETH_HDR_LEN,
		 (uint16_t)(ECAT_TYPE_DATAGRAMS << 12 | payload));
	if (f->len < ECAT_FRAME_MIN) {
		memset(f->buf + f->len, 0, ECAT_FRAME_MIN - f->len);
		f->len = ECAT_FRAME_MIN;
	}
	return f->len;
}
