// SPDX-License-Identifier: GPL-2.0
/*
 * EtherCAT slave controller model; see esc.h.
 */

#include <string.h>

#include "esc.h"

/* ESC information registers: an ET1100-like controller */
#define ESC_TYPE		0x11
#define ESC_FEATURES		0x01fc

void esc_init(struct esc_slave *s, uint16_t position, uint16_t out_len,
	      uint16_t in_len)
{
	memset(s, 0, sizeof(*s));
	s->position = position;
	s->out_len = out_len < ESC_PD_MAX ? out_len : ESC_PD_MAX;
	s->in_len = in_len < ESC_PD_MAX ? in_len : ESC_PD_MAX;
	s->mem[ESC_REG_TYPE] = ESC_TYPE;
	s->mem[ESC_REG_FMMU_COUNT] = ESC_FMMUS;
	s->mem[ESC_REG_SM_COUNT] = ESC_SMS;
	s->mem[ESC_REG_RAM_SIZE] = (ESC_MEM_SIZE - ESC_PRAM) / 1024;
	s->mem[ESC_REG_PORTS] = 0x0f;	/* ports 0 and 1: MII */
	put_le16(s->mem + ESC_REG_FEATURES, ESC_FEATURES);
	s->mem[ESC_REG_DL_STATUS] = 0x30;	/* link on ports 0 and 1 */
	s->mem[ESC_REG_AL_CONTROL] = AL_INIT;
	s->mem[ESC_REG_AL_STATUS] = AL_INIT;
}

/* May the master write register byte @a? (the rest is read-only to it) */
static bool writable(uint32_t a)
{
	return (a >= ESC_REG_STATION && a < ESC_REG_STATION + 2) ||
	       (a >= ESC_REG_DL_CONTROL && a < ESC_REG_DL_CONTROL + 4) ||
	       (a >= ESC_REG_AL_CONTROL && a < ESC_REG_AL_CONTROL + 2) ||
	       (a >= ESC_REG_EVENT_MASK && a < ESC_REG_EVENT_MASK + 2) ||
	       (a >= ESC_REG_FMMU(0) && a < ESC_REG_FMMU(ESC_FMMUS)) ||
	       (a >= ESC_REG_SM(0) && a < ESC_REG_SM(ESC_SMS)) ||
	       a >= ESC_PRAM;
}

static bool in_memory(uint32_t ado, uint16_t len)
{
	return ado + (uint32_t)len <= ESC_MEM_SIZE;
}

/* Physical read into the frame; @or: BRD ORs every slave's data */
static void phys_read(struct esc_slave *s, struct ecat_dg *d, bool or)
{
	uint16_t ado = ecat_dg_ado(d), i;

	for (i = 0; i < d->len; i++)
		d->data[i] = or ? d->data[i] | s->mem[ado + i] : s->mem[ado + i];
}

static void phys_write(struct esc_slave *s, const uint8_t *data, uint16_t ado,
		       uint16_t len)
{
	uint16_t i;

	for (i = 0; i < len; i++) {
		uint32_t a = (uint32_t)ado + i;

		if (!writable(a))
			continue;
		s->mem[a] = data[i];
		if (a == ESC_REG_AL_CONTROL)
			s->al_written = true;
	}
}

/*
 * One physical-addressing datagram addressed to this slave.
 * Working counter: +1 read, +1 write, +3 read-write (ETG.1000.4).
 */
static void phys_access(struct esc_slave *s, struct ecat_dg *d, bool broadcast)
{
	uint8_t tmp[ECAT_DG_DATA_MAX];
	uint16_t ado = ecat_dg_ado(d);

	if (!in_memory(ado, d->len) || d->len > sizeof(tmp))
		return;
	switch (d->cmd) {
	case ECAT_APRD:
	case ECAT_FPRD:
	case ECAT_BRD:
		phys_read(s, d, broadcast);
		ecat_dg_set_wkc(d, d->wkc + 1);
		break;
	case ECAT_APWR:
	case ECAT_FPWR:
	case ECAT_BWR:
		phys_write(s, d->data, ado, d->len);
		ecat_dg_set_wkc(d, d->wkc + 1);
		break;
	case ECAT_APRW:
	case ECAT_FPRW:
	case ECAT_BRW:
		/* the frame carries the old contents on, memory the new */
		memcpy(tmp, d->data, d->len);
		phys_read(s, d, broadcast);
		phys_write(s, tmp, ado, d->len);
		ecat_dg_set_wkc(d, d->wkc + 3);
		break;
	default:
		break;
	}
}

/* Byte mask of FMMU byte k (0..len-1) from its start and stop bits */
static uint8_t fmmu_mask(const uint8_t *f, uint16_t k, uint16_t len)
{
	uint8_t mask = 0xff;

	if (k == 0)
		mask &= (uint8_t)(0xff << (f[FMMU_LOG_START_BIT] & 7));
	if (k == len - 1)
		mask &= (uint8_t)(0xff >> (7 - (f[FMMU_LOG_STOP_BIT] & 7)));
	return mask;
}

/*
 * Logical addressing: every active FMMU whose logical window overlaps the
 * datagram maps those bytes to or from its physical window.
 */
static void logical_access(struct esc_slave *s, struct ecat_dg *d)
{
	bool rd = d->cmd == ECAT_LRD || d->cmd == ECAT_LRW;
	bool wr = d->cmd == ECAT_LWR || d->cmd == ECAT_LRW;
	bool did_rd = false, did_wr = false;
	uint8_t state = esc_al_status(s) & AL_STATE_MASK;
	int n;

	/* SyncManagers 2 and 3 only run in SAFE-OP and OP */
	if ((state != AL_SAFEOP && state != AL_OP) || s->pd_mute)
		return;
	for (n = 0; n < ESC_FMMUS; n++) {
		const uint8_t *f = s->mem + ESC_REG_FMMU(n);
		uint32_t ls = get_le32(f + FMMU_LOG_START), dl = d->addr;
		uint16_t flen = get_le16(f + FMMU_LENGTH);
		uint16_t ps = get_le16(f + FMMU_PHYS_START);
		uint64_t from, to, a;

		if (!(f[FMMU_ACTIVATE] & 1) || !flen ||
		    (f[FMMU_LOG_START_BIT] & 7) != (f[FMMU_PHYS_START_BIT] & 7) ||
		    !in_memory(ps, flen))
			continue;
		from = ls > dl ? ls : dl;
		to = (uint64_t)ls + flen < (uint64_t)dl + d->len ?
		     (uint64_t)ls + flen : (uint64_t)dl + d->len;
		for (a = from; a < to; a++) {
			uint16_t k = (uint16_t)(a - ls);
			uint8_t *fb = d->data + (a - dl), *mb = s->mem + ps + k;
			uint8_t m = fmmu_mask(f, k, flen);

			if (wr && (f[FMMU_TYPE] & FMMU_TYPE_WRITE)) {
				*mb = (uint8_t)((*mb & ~m) | (*fb & m));
				did_wr = true;
			}
			if (rd && (f[FMMU_TYPE] & FMMU_TYPE_READ)) {
				*fb = (uint8_t)((*fb & ~m) | (*mb & m));
				did_rd = true;
			}
		}
	}
	if (did_wr)
		s->outputs_seen = true;
	ecat_dg_set_wkc(d, (uint16_t)(d->wkc + did_rd + (did_wr ? (rd ? 2 : 1) : 0)));
}

void esc_process(struct esc_slave *s, struct ecat_dg *dg, unsigned int count)
{
	uint16_t station = get_le16(s->mem + ESC_REG_STATION);
	uint16_t events = get_le16(s->mem + ESC_REG_AL_EVENT) &
			  get_le16(s->mem + ESC_REG_EVENT_MASK);
	unsigned int i;

	for (i = 0; i < count; i++) {
		struct ecat_dg *d = &dg[i];
		uint16_t adp = ecat_dg_adp(d);

		switch (d->cmd) {
		case ECAT_APRD:
		case ECAT_APWR:
		case ECAT_APRW:
			/* the slave that sees position 0 is addressed */
			if (adp == 0)
				phys_access(s, d, false);
			ecat_dg_set_addr(d, ecat_addr((uint16_t)(adp + 1),
						      ecat_dg_ado(d)));
			break;
		case ECAT_FPRD:
		case ECAT_FPWR:
		case ECAT_FPRW:
			if (adp == station)
				phys_access(s, d, false);
			break;
		case ECAT_BRD:
		case ECAT_BWR:
		case ECAT_BRW:
			phys_access(s, d, true);
			ecat_dg_set_addr(d, ecat_addr((uint16_t)(adp + 1),
						      ecat_dg_ado(d)));
			break;
		case ECAT_LRD:
		case ECAT_LWR:
		case ECAT_LRW:
			logical_access(s, d);
			break;
		default:	/* NOP, ARMW, FRMW: not modelled */
			break;
		}
		if (events) {
			d->irq |= events;
			put_le16(d->hdr + 8, d->irq);
		}
	}
}

void esc_loopback(uint16_t position, const uint8_t *out, uint16_t out_len,
		  uint8_t *in, uint16_t in_len)
{
	uint16_t i;

	for (i = 0; i < in_len; i++)
		in[i] = i < out_len ? (uint8_t)~out[i] : (uint8_t)(position + i);
}

/* SyncManager @n set up for @len bytes at @addr in the given direction? */
static bool sm_ok(const struct esc_slave *s, int n, uint16_t addr,
		  uint16_t len, bool ecat_writes)
{
	const uint8_t *sm = s->mem + ESC_REG_SM(n);

	if (!len)
		return true;
	return get_le16(sm + SM_PHYS_START) == addr &&
	       get_le16(sm + SM_LENGTH) == len &&
	       (sm[SM_CONTROL] & SM_CONTROL_MODE_MASK) == 0 &&
	       ((sm[SM_CONTROL] & SM_CONTROL_DIR_MASK) == SM_CONTROL_DIR_WRITE) ==
	       ecat_writes &&
	       (sm[SM_ACTIVATE] & 1);
}

/* Is the transition allowed? 0, or the AL status code that refuses it */
static uint16_t al_check(const struct esc_slave *s, uint8_t from, uint8_t to)
{
	switch (to) {
	case AL_INIT:
		return AL_CODE_NONE;
	case AL_PREOP:
		return from == AL_BOOT ? AL_CODE_INVALID_CHANGE : AL_CODE_NONE;
	case AL_BOOT:
		return from == AL_INIT ? AL_CODE_NONE : AL_CODE_INVALID_CHANGE;
	case AL_SAFEOP:
		if (from != AL_PREOP && from != AL_OP)
			return AL_CODE_INVALID_CHANGE;
		if (!sm_ok(s, SM_PD_OUT, ESC_PD_OUT, s->out_len, true))
			return AL_CODE_INVALID_OUTPUTS;
		if (!sm_ok(s, SM_PD_IN, ESC_PD_IN, s->in_len, false))
			return AL_CODE_INVALID_INPUTS;
		return AL_CODE_NONE;
	case AL_OP:
		if (from != AL_SAFEOP)
			return AL_CODE_INVALID_CHANGE;
		/* the SM watchdog wants outputs before OP */
		if (s->out_len && !s->outputs_seen)
			return AL_CODE_SM_WATCHDOG;
		return AL_CODE_NONE;
	default:
		return AL_CODE_UNKNOWN_STATE;
	}
}

static void al_control(struct esc_slave *s)
{
	uint8_t ctl = s->mem[ESC_REG_AL_CONTROL];
	uint8_t status = s->mem[ESC_REG_AL_STATUS];
	uint8_t cur = status & AL_STATE_MASK, req = ctl & AL_STATE_MASK;
	uint16_t code;

	/* an error is cleared only by a request that acknowledges it */
	if (status & AL_ERROR) {
		if (!(ctl & AL_ERROR))
			return;
		status = cur;
		put_le16(s->mem + ESC_REG_AL_STATUS_CODE, AL_CODE_NONE);
	}
	if (req == cur) {
		s->mem[ESC_REG_AL_STATUS] = status;
		return;
	}
	code = al_check(s, cur, req);
	if (code) {
		s->mem[ESC_REG_AL_STATUS] = cur | AL_ERROR;
		put_le16(s->mem + ESC_REG_AL_STATUS_CODE, code);
		return;
	}
	if (req == AL_SAFEOP && cur == AL_PREOP)
		s->outputs_seen = false;
	if (req != AL_OP && req != AL_SAFEOP)
		memset(s->mem + ESC_PD_OUT, 0, s->out_len);
	s->mem[ESC_REG_AL_STATUS] = req;
}

void esc_application(struct esc_slave *s)
{
	static const uint8_t zeros[ESC_PD_MAX];
	uint8_t state;

	if (s->al_written) {
		s->al_written = false;
		al_control(s);
	}
	state = esc_al_status(s) & AL_STATE_MASK;
	if (state == AL_SAFEOP || state == AL_OP)
		esc_loopback(s->position,
			     state == AL_OP ? s->mem + ESC_PD_OUT : zeros,
			     s->out_len, s->mem + ESC_PD_IN, s->in_len);
}

int esc_segment_process(struct esc_slave *slaves, unsigned int count,
			uint8_t *frame, size_t len)
{
	struct ecat_dg dg[ECAT_MAX_DATAGRAMS];
	unsigned int n, i;
	int err;

	err = ecat_parse(frame, len, dg, ECAT_MAX_DATAGRAMS, &n);
	if (err)
		return err;
	for (i = 0; i < count; i++) {
		esc_process(&slaves[i], dg, n);
		esc_application(&slaves[i]);
	}
	if (count)
		frame[6] |= 0x02;
	return ECAT_OK;
}
