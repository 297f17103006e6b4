// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal EtherCAT master; see master.h for what it does.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "master.h"

#define STATE_TIMEOUT_MS	2000
#define SAFEOP_FRAMES		5	/* LRW frames before requesting OP */

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Outcome of one exchange */
enum xchg {
	XC_OK,
	XC_TIMEOUT,
	XC_FAILED,	/* res->status and res->error say why */
};

struct master {
	struct ecat_link *link;
	const struct master_config *cfg;
	struct master_result *res;
	uint8_t tx[ECAT_FRAME_MAX];
	uint8_t rx[ECAT_FRAME_MAX + 4];
	struct ecat_dg dg[ECAT_MAX_DATAGRAMS];
	unsigned int ndg;
	uint8_t ret_src[6];		/* source address of processed frames */
	uint8_t idx;
	unsigned int n;			/* slaves */
	uint16_t img_len;		/* process image: outputs, then inputs */
	uint8_t img[ECAT_DG_DATA_MAX];
	uint8_t prev[ECAT_DG_DATA_MAX];	/* outputs the slaves applied last */
	bool prev_known;		/* false after a lost frame */
	bool lrw_ok;			/* the last LRW's working counter was right */
	char malformed[160];		/* the last malformed answer */
};

void master_config_default(struct master_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->out_len = 4;
	cfg->in_len = 4;
	cfg->period_us = 1000;
	cfg->cycles = 1000;
	cfg->timeout_us = 100000;
	cfg->retries = 3;
	cfg->max_lost = 10;
	cfg->link_wait_ms = 30000;
}

const char *master_state_name(uint8_t state)
{
	static char buf[8];

	switch (state & AL_STATE_MASK) {
	case AL_INIT:
		return "INIT";
	case AL_PREOP:
		return "PRE-OP";
	case AL_BOOT:
		return "BOOT";
	case AL_SAFEOP:
		return "SAFE-OP";
	case AL_OP:
		return "OP";
	default:
		snprintf(buf, sizeof(buf), "0x%02x", state);
		return buf;
	}
}

const char *master_al_code_text(uint16_t code)
{
	switch (code) {
	case AL_CODE_NONE:
		return "no error";
	case AL_CODE_INVALID_CHANGE:
		return "invalid requested state change";
	case AL_CODE_UNKNOWN_STATE:
		return "unknown requested state";
	case AL_CODE_SM_WATCHDOG:
		return "sync manager watchdog: no outputs";
	case AL_CODE_INVALID_OUTPUTS:
		return "invalid output configuration";
	case AL_CODE_INVALID_INPUTS:
		return "invalid input configuration";
	default:
		return "";
	}
}

static void say(struct master *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct master *m, const char *fmt, ...)
{
	va_list ap;

	if (!m->cfg->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "master: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Record the run's first error; returns XC_FAILED */
static enum xchg fail(struct master *m, enum master_status st,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum xchg fail(struct master *m, enum master_status st,
		      const char *fmt, ...)
{
	va_list ap;

	if (m->res->status != MASTER_OK)
		return XC_FAILED;
	m->res->status = st;
	va_start(ap, fmt);
	vsnprintf(m->res->error, sizeof(m->res->error), fmt, ap);
	va_end(ap);
	return XC_FAILED;
}

static void count_sent(struct master *m, const struct ecat_frame *f)
{
	struct ecat_dg dg[ECAT_MAX_DATAGRAMS];
	unsigned int n, i;

	if (ecat_parse(f->buf, f->len, dg, ECAT_MAX_DATAGRAMS, &n))
		return;
	for (i = 0; i < n; i++)
		if (dg[i].cmd < ECAT_CMD_COUNT)
			m->res->wire.sent[dg[i].cmd]++;
}

static void count_returned(struct master *m)
{
	unsigned int i;

	for (i = 0; i < m->ndg; i++) {
		if (m->dg[i].cmd >= ECAT_CMD_COUNT)
			continue;
		m->res->wire.returned[m->dg[i].cmd]++;
		m->res->wire.wkc[m->dg[i].cmd] += m->dg[i].wkc;
	}
}

/*
 * Send the frame, wait up to @timeout_us for it to come back through the
 * slaves (source address marked, same index, same datagram count). Frames
 * of other EtherTypes and other EtherCAT frames are counted and skipped;
 * a malformed answer ends the wait.
 */
static enum xchg exchange(struct master *m, struct ecat_frame *f,
			  uint32_t timeout_us)
{
	uint64_t deadline;
	unsigned int sent = f->count;
	uint8_t idx = f->buf[ECAT_ETH_HDR_LEN + ECAT_HDR_LEN + 1];
	size_t len = ecat_frame_finish(f);
	int n, err;

	count_sent(m, f);
	if (ecat_link_send(m->link, f->buf, len))
		return fail(m, MASTER_E_LINK, "%s", m->link->err);
	deadline = now_ns() + (uint64_t)timeout_us * NSEC_PER_USEC;
	for (;;) {
		uint64_t now = now_ns();

		if (now >= deadline)
			return XC_TIMEOUT;
		n = ecat_link_recv(m->link, m->rx, sizeof(m->rx),
				   (uint32_t)((deadline - now) / NSEC_PER_USEC) + 1);
		if (n < 0)
			return fail(m, MASTER_E_LINK, "%s", m->link->err);
		if (!n)
			return XC_TIMEOUT;
		err = ecat_parse(m->rx, (size_t)n, m->dg, ECAT_MAX_DATAGRAMS,
				 &m->ndg);
		if (err == ECAT_E_ETHERTYPE || err == ECAT_E_SHORT) {
			m->res->ignored++;
			continue;
		}
		if (memcmp(m->rx + 6, m->ret_src, 6)) {
			m->res->stale++;	/* not ours, or not processed */
			continue;
		}
		if (err) {
			m->res->malformed++;
			snprintf(m->malformed, sizeof(m->malformed),
				 "%s (%d bytes received, the EtherCAT header says %u after it)",
				 ecat_strerror(err), n,
				 get_le16(m->rx + ECAT_ETH_HDR_LEN) & ECAT_LEN_MASK);
			return fail(m, MASTER_E_ECAT,
				    "a frame came back malformed: %s",
				    m->malformed);
		}
		count_returned(m);
		if (m->dg[0].idx != idx || m->ndg != sent) {
			m->res->stale++;	/* a late answer to an earlier frame */
			continue;
		}
		return XC_OK;
	}
}

static enum xchg timeout_error(struct master *m, const char *what,
			       unsigned int tries)
{
	char extra[96] = "";

	if (m->res->ignored)
		snprintf(extra, sizeof(extra),
			 "; %u frame(s) of other EtherTypes came and were ignored",
			 m->res->ignored);
	return fail(m, MASTER_E_TIMEOUT,
		    "%s: no EtherCAT frame came back within %u us (%u tries): is the segment connected and the slave simulator running?%s",
		    what, m->cfg->timeout_us, tries, extra);
}

/*
 * One datagram alone in a frame, with retries; its data is copied back to
 * @data. @want_wkc >= 0: the working counter it must come back with.
 */
static enum xchg single(struct master *m, uint8_t cmd, uint32_t addr,
			void *data, uint16_t len, int want_wkc,
			const char *what)
{
	struct ecat_frame f;
	unsigned int t;
	enum xchg r;

	for (t = 0; t < m->cfg->retries; t++) {
		ecat_frame_init(&f, m->tx, broadcast, m->cfg->src);
		ecat_frame_add(&f, cmd, ++m->idx, addr, len, data);
		r = exchange(m, &f, m->cfg->timeout_us);
		if (r == XC_TIMEOUT) {
			m->res->lost++;
			continue;
		}
		if (r != XC_OK)
			return r;
		memcpy(data, m->dg[0].data, len);
		if (want_wkc >= 0 && m->dg[0].wkc != want_wkc)
			return fail(m, MASTER_E_ECAT,
				    "%s: working counter %u, expected %d",
				    what, m->dg[0].wkc, want_wkc);
		return XC_OK;
	}
	return timeout_error(m, what, m->cfg->retries);
}

static uint16_t station(unsigned int s)
{
	return (uint16_t)(MASTER_STATION_BASE + s);
}

static enum xchg read_al(struct master *m, unsigned int s, uint8_t *status,
			 uint16_t *code)
{
	uint8_t d[6] = { 0 };
	char what[64];

	snprintf(what, sizeof(what), "FPRD 0x%04x AL status", station(s));
	if (single(m, ECAT_FPRD, ecat_addr(station(s), ESC_REG_AL_STATUS), d,
		   sizeof(d), 1, what))
		return XC_FAILED;
	*status = d[0];
	*code = get_le16(d + 4);	/* 0x0134 is 4 bytes on */
	return XC_OK;
}

/* Request @state from all slaves, wait until each has it or refuses */
static enum xchg request_state(struct master *m, uint8_t state)
{
	uint8_t d[2] = { state, 0 };
	char what[64];
	unsigned int s;

	say(m, "requesting %s", master_state_name(state));
	snprintf(what, sizeof(what), "BWR AL control %s",
		 master_state_name(state));
	if (single(m, ECAT_BWR, ecat_addr(0, ESC_REG_AL_CONTROL), d, sizeof(d),
		   (int)m->n, what))
		return XC_FAILED;
	for (s = 0; s < m->n; s++) {
		uint64_t deadline = now_ns() + STATE_TIMEOUT_MS * NSEC_PER_MSEC;
		uint8_t status;
		uint16_t code;

		for (;;) {
			if (read_al(m, s, &status, &code))
				return XC_FAILED;
			if (status & AL_ERROR)
				return fail(m, MASTER_E_ECAT,
					    "slave %u (station 0x%04x) refused %s: AL status 0x%02x (%s, error), AL status code 0x%04x (%s)",
					    s, station(s), master_state_name(state),
					    status, master_state_name(status),
					    code, master_al_code_text(code));
			if ((status & AL_STATE_MASK) == state)
				break;
			if (now_ns() > deadline)
				return fail(m, MASTER_E_ECAT,
					    "slave %u (station 0x%04x) did not reach %s within %u ms: AL status 0x%02x",
					    s, station(s), master_state_name(state),
					    STATE_TIMEOUT_MS, status);
			usleep(1000);
		}
	}
	m->res->state = state;
	return XC_OK;
}

static enum xchg scan(struct master *m)
{
	uint8_t d[2] = { 0 };

	if (single(m, ECAT_BRD, ecat_addr(0, ESC_REG_TYPE), d, sizeof(d), -1,
		   "BRD 0x0000 (count the slaves)"))
		return XC_FAILED;
	m->n = m->dg[0].wkc;
	m->res->slaves = m->n;
	say(m, "%u slave(s) answered BRD 0x0000 (ESC type 0x%02x)", m->n, d[0]);
	if (!m->n)
		return fail(m, MASTER_E_ECAT,
			    "no slave on the segment: BRD 0x0000 came back with working counter 0");
	if (m->cfg->slaves && m->n != m->cfg->slaves)
		return fail(m, MASTER_E_ECAT,
			    "found %u slave(s) (BRD working counter), expected %u",
			    m->n, m->cfg->slaves);
	/* the LRW and the 2-byte BRD must fit one frame */
	if (m->n > MASTER_SLAVES_MAX ||
	    (size_t)m->n * (m->cfg->out_len + m->cfg->in_len) >
	    ECAT_DG_DATA_MAX - (ECAT_DG_HDR_LEN + 2 + ECAT_WKC_LEN))
		return fail(m, MASTER_E_USAGE,
			    "%u slaves x %u+%u bytes of process data do not fit one frame",
			    m->n, m->cfg->out_len, m->cfg->in_len);
	m->img_len = (uint16_t)(m->n * (m->cfg->out_len + m->cfg->in_len));
	return XC_OK;
}

/* INIT with acknowledge, FMMUs and SMs off, station addresses */
static enum xchg reset_and_address(struct master *m)
{
	uint8_t zero[ESC_REG_FMMU(ESC_FMMUS) - ESC_REG_FMMU(0)] = { 0 };
	uint8_t d[2] = { AL_INIT | AL_ERROR, 0 };
	unsigned int s;

	if (single(m, ECAT_BWR, ecat_addr(0, ESC_REG_AL_CONTROL), d, 2,
		   (int)m->n, "BWR AL control INIT + acknowledge") ||
	    single(m, ECAT_BWR, ecat_addr(0, ESC_REG_FMMU(0)), zero,
		   sizeof(zero), (int)m->n, "BWR FMMUs off") ||
	    single(m, ECAT_BWR, ecat_addr(0, ESC_REG_SM(0)), zero,
		   ESC_REG_SM(ESC_SMS) - ESC_REG_SM(0), (int)m->n,
		   "BWR SyncManagers off"))
		return XC_FAILED;
	for (s = 0; s < m->n; s++) {
		char what[64];

		put_le16(d, station(s));
		snprintf(what, sizeof(what), "APWR position %u station address", s);
		if (single(m, ECAT_APWR,
			   ecat_addr((uint16_t)(0x10000 - s), ESC_REG_STATION),
			   d, 2, 1, what))
			return XC_FAILED;
		d[0] = d[1] = 0;
		snprintf(what, sizeof(what), "APRD position %u station address", s);
		if (single(m, ECAT_APRD,
			   ecat_addr((uint16_t)(0x10000 - s), ESC_REG_STATION),
			   d, 2, 1, what))
			return XC_FAILED;
		if (get_le16(d) != station(s))
			return fail(m, MASTER_E_ECAT,
				    "slave %u reads back station address 0x%04x, 0x%04x was written",
				    s, get_le16(d), station(s));
	}
	say(m, "station addresses 0x%04x..0x%04x assigned", station(0),
	    station(m->n - 1));
	return request_state(m, AL_INIT);
}

/* SM2/SM3 and FMMU0/FMMU1 of slave s: the process image layout */
static enum xchg map_process_data(struct master *m, unsigned int s)
{
	const struct master_config *c = m->cfg;
	uint8_t sm[16] = { 0 }, fmmu[32] = { 0 };
	char what[64];

	/* SM2: outputs, buffered, ECAT writes; SM3: inputs, ECAT reads */
	put_le16(sm + SM_PHYS_START, ESC_PD_OUT);
	put_le16(sm + SM_LENGTH, c->out_len);
	sm[SM_CONTROL] = 0x64;
	sm[SM_ACTIVATE] = c->out_len ? 1 : 0;
	put_le16(sm + 8 + SM_PHYS_START, ESC_PD_IN);
	put_le16(sm + 8 + SM_LENGTH, c->in_len);
	sm[8 + SM_CONTROL] = 0x20;
	sm[8 + SM_ACTIVATE] = c->in_len ? 1 : 0;
	snprintf(what, sizeof(what), "FPWR 0x%04x SyncManagers 2, 3", station(s));
	if (single(m, ECAT_FPWR, ecat_addr(station(s), ESC_REG_SM(SM_PD_OUT)),
		   sm, sizeof(sm), 1, what))
		return XC_FAILED;

	put_le32(fmmu + FMMU_LOG_START, (uint32_t)(s * c->out_len));
	put_le16(fmmu + FMMU_LENGTH, c->out_len);
	fmmu[FMMU_LOG_STOP_BIT] = 7;
	put_le16(fmmu + FMMU_PHYS_START, ESC_PD_OUT);
	fmmu[FMMU_TYPE] = FMMU_TYPE_WRITE;
	fmmu[FMMU_ACTIVATE] = c->out_len ? 1 : 0;
	put_le32(fmmu + 16 + FMMU_LOG_START,
		 (uint32_t)(m->n * c->out_len + s * c->in_len));
	put_le16(fmmu + 16 + FMMU_LENGTH, c->in_len);
	fmmu[16 + FMMU_LOG_STOP_BIT] = 7;
	put_le16(fmmu + 16 + FMMU_PHYS_START, ESC_PD_IN);
	fmmu[16 + FMMU_TYPE] = FMMU_TYPE_READ;
	fmmu[16 + FMMU_ACTIVATE] = c->in_len ? 1 : 0;
	snprintf(what, sizeof(what), "FPWR 0x%04x FMMUs 0, 1", station(s));
	return single(m, ECAT_FPWR, ecat_addr(station(s), ESC_REG_FMMU(0)), fmmu,
		      sizeof(fmmu), 1, what);
}

static uint16_t lrw_wkc(const struct master *m)
{
	return (uint16_t)(m->n * ((m->cfg->in_len ? 1 : 0) +
				  (m->cfg->out_len ? 2 : 0)));
}

static void fill_outputs(struct master *m, uint32_t k)
{
	unsigned int s, i;
	uint8_t *o = m->img;

	for (s = 0; s < m->n; s++)
		for (i = 0; i < m->cfg->out_len; i++)
			*o++ = (uint8_t)(k * 13 + s * 7 + i * 3 + 1);
	memset(m->img + m->n * m->cfg->out_len, 0,
	       m->n * m->cfg->in_len);
}

/* Inputs of the answer against the loopback of @applied (the outputs) */
static bool check_inputs(struct master *m, const uint8_t *got,
			 const uint8_t *applied, uint32_t k)
{
	const struct master_config *c = m->cfg;
	uint8_t want[ESC_PD_MAX];
	unsigned int s, i;

	for (s = 0; s < m->n; s++) {
		const uint8_t *in = got + m->n * c->out_len + s * c->in_len;

		esc_loopback((uint16_t)s, applied + s * c->out_len, c->out_len,
			     want, c->in_len);
		for (i = 0; i < c->in_len; i++) {
			if (in[i] == want[i])
				continue;
			m->res->data_errors++;
			fail(m, MASTER_E_ECAT,
			     "cycle %u: slave %u input byte %u is 0x%02x, expected 0x%02x",
			     k, s, i, in[i], want[i]);
			return false;
		}
	}
	return true;
}

/* LRW of the whole image and BRD of the AL status, in one frame */
static enum xchg pd_frame(struct master *m, uint32_t k, uint8_t state,
			  uint64_t *t_send, uint64_t *t_done)
{
	struct ecat_frame f;
	enum xchg r;
	uint8_t al;

	fill_outputs(m, k);
	ecat_frame_init(&f, m->tx, broadcast, m->cfg->src);
	ecat_frame_add(&f, ECAT_LRW, ++m->idx, 0, m->img_len, m->img);
	ecat_frame_add(&f, ECAT_BRD, m->idx, ecat_addr(0, ESC_REG_AL_STATUS), 2,
		       NULL);
	*t_send = now_ns();
	m->lrw_ok = false;
	r = exchange(m, &f, m->cfg->timeout_us);
	*t_done = now_ns();
	if (r != XC_OK) {
		/* the slaves may or may not have got these outputs */
		m->prev_known = false;
		return r;
	}
	m->lrw_ok = m->dg[0].wkc == lrw_wkc(m);
	if (!m->lrw_ok) {
		m->res->wkc_errors++;
		fail(m, MASTER_E_ECAT,
		     "cycle %u: LRW working counter %u, expected %u (%u slaves x %s): a slave's process data is not served",
		     k, m->dg[0].wkc, lrw_wkc(m), m->n,
		     m->cfg->in_len && m->cfg->out_len ? "read 1 + write 2" : "1");
	}
	al = m->dg[1].data[0];
	if (m->dg[1].wkc != m->n || al != state) {
		m->res->wkc_errors++;
		fail(m, MASTER_E_ECAT,
		     "cycle %u: BRD AL status came back 0x%02x with working counter %u, expected %s from %u slaves",
		     k, al, m->dg[1].wkc, master_state_name(state), m->n);
	}
	if (state == AL_OP) {
		if (m->prev_known)
			check_inputs(m, m->dg[0].data, m->prev, k);
		memcpy(m->prev, m->img, m->n * m->cfg->out_len);
		m->prev_known = true;
	}
	return XC_OK;
}

static enum xchg start(struct master *m)
{
	static const uint8_t zeros[ECAT_DG_DATA_MAX];
	uint64_t t1, t2;
	unsigned int s, i;

	if (scan(m) || reset_and_address(m) || request_state(m, AL_PREOP))
		return XC_FAILED;
	for (s = 0; s < m->n; s++)
		if (map_process_data(m, s))
			return XC_FAILED;
	say(m, "process image: %u output + %u input bytes at logical 0x0",
	    m->n * m->cfg->out_len, m->n * m->cfg->in_len);
	if (request_state(m, AL_SAFEOP))
		return XC_FAILED;
	/* SAFE-OP: inputs valid, outputs not applied (loopback of zeros) */
	for (i = 0; i < SAFEOP_FRAMES; i++) {
		enum xchg r;

		r = pd_frame(m, i, AL_SAFEOP, &t1, &t2);
		if (r == XC_TIMEOUT)
			return timeout_error(m, "LRW in SAFE-OP", 1);
		if (r)
			return r;
		if (!check_inputs(m, m->dg[0].data, zeros, i))
			return XC_FAILED;
	}
	if (m->res->status)
		return XC_FAILED;
	/* the outputs of the last frame are what the slaves apply in OP */
	memcpy(m->prev, m->img, m->n * m->cfg->out_len);
	m->prev_known = true;
	return request_state(m, AL_OP);
}

/*
 * The link is down: wait for it to come back (frames that arrive meanwhile
 * are dropped; receiving also lets a device-tree link serve phylib, which
 * is what notices the link back). XC_OK once it is up, or stopped.
 */
static enum xchg link_wait(struct master *m)
{
	uint64_t t0 = now_ns(), waited;
	uint64_t deadline = t0 + (uint64_t)m->cfg->link_wait_ms * NSEC_PER_MSEC;
	enum xchg r = XC_OK;

	m->res->link_losses++;
	say(m, "link down: waiting up to %u ms for it", m->cfg->link_wait_ms);
	while (ecat_link_state(m->link) == ECAT_LINK_DOWN) {
		if (m->cfg->stop && *m->cfg->stop)
			break;
		if (now_ns() > deadline) {
			r = fail(m, MASTER_E_LINK,
				 "the link went down and stayed down for %u ms",
				 m->cfg->link_wait_ms);
			break;
		}
		if (ecat_link_recv(m->link, m->rx, sizeof(m->rx), 10000) < 0) {
			r = fail(m, MASTER_E_LINK, "%s", m->link->err);
			break;
		}
	}
	waited = (now_ns() - t0) / NSEC_PER_MSEC;
	m->res->link_down_ms += (uint32_t)waited;
	if (r == XC_OK)
		say(m, "link up again after %llu ms", (unsigned long long)waited);
	return r;
}

/* A lost cyclic frame: a link loss, or one more lost frame */
static enum xchg cyclic_lost(struct master *m, unsigned int *lost_in_row)
{
	if (m->cfg->link_wait_ms &&
	    ecat_link_state(m->link) == ECAT_LINK_DOWN) {
		/* the frames lost since the last answer went with the link */
		m->res->lost -= *lost_in_row;
		m->res->lost_link += *lost_in_row + 1;
		*lost_in_row = 0;
		return link_wait(m);
	}
	if (!m->cfg->link_wait_ms &&
	    ecat_link_state(m->link) == ECAT_LINK_DOWN)
		return fail(m, MASTER_E_LINK, "the link went down");
	m->res->lost++;
	if (++*lost_in_row >= m->cfg->max_lost)
		return timeout_error(m, "cyclic LRW", *lost_in_row);
	return XC_TIMEOUT;
}

enum master_status master_run(struct ecat_link *link,
			      const struct master_config *cfg,
			      struct master_result *res)
{
	static struct master m;	/* frames and images: not on the stack */
	uint64_t period = (uint64_t)cfg->period_us * NSEC_PER_USEC;
	uint64_t next, t_send, t_done, prev_done = 0;
	unsigned int lost_in_row = 0;
	uint32_t k;
	enum xchg r;

	memset(&m, 0, sizeof(m));
	memset(res, 0, sizeof(*res));
	m.link = link;
	m.cfg = cfg;
	m.res = res;
	memcpy(m.ret_src, cfg->src, 6);
	m.ret_src[0] |= 0x02;
	if (cfg->src[0] & 0x02) {
		fail(&m, MASTER_E_USAGE,
		     "source MAC %02x:..: its locally-administered bit (0x02) is set; slaves set it on frames they processed, so the master's must be clear",
		     cfg->src[0]);
		return res->status;
	}

	if (start(&m))
		goto stop;
	say(&m, "OP: %u cyclic frames every %u us", cfg->cycles, cfg->period_us);
	if (cfg->on_op)
		cfg->on_op(m.n);
	res->wire.lrw_laddr = 0;
	res->wire.lrw_len = m.img_len;
	res->wire.lrw_wkc = lrw_wkc(&m);

	next = now_ns() + period;
	for (k = 0; k < cfg->cycles && !(cfg->stop && *cfg->stop); k++) {
		sleep_until_ns(next);
		r = pd_frame(&m, k, AL_OP, &t_send, &t_done);
		res->cycles++;
		if (r == XC_FAILED)
			break;
		if (r == XC_TIMEOUT) {
			prev_done = 0;
			r = cyclic_lost(&m, &lost_in_row);
			if (r == XC_FAILED)
				break;
			if (r == XC_OK) {
				/* after a link loss: a new period grid */
				next = now_ns() + period;
				continue;
			}
		} else {
			lost_in_row = 0;
			if (m.lrw_ok)
				res->wire.lrw_cycles++;
			if (cfg->rtt)
				samples_add(cfg->rtt, t_done - t_send);
			if (cfg->jitter && prev_done) {
				uint64_t d = t_done - prev_done;

				samples_add(cfg->jitter, d > period ? d - period : period - d);
			}
			prev_done = t_done;
		}
		next += period;
		if (now_ns() > next) {
			/* the frame came back after the next cycle's start */
			res->late++;
			next = now_ns();
		}
	}
	if (!res->status && res->lost)
		fail(&m, MASTER_E_ECAT, "%u of %u cyclic frames were lost",
		     res->lost, res->cycles);

stop:
	if (!cfg->keep_op && m.n && res->status != MASTER_E_LINK &&
	    res->status != MASTER_E_TIMEOUT) {
		uint8_t d[2] = { AL_INIT, 0 };
		/* an error here does not hide an earlier one (fail() keeps the first) */
		single(&m, ECAT_BWR, ecat_addr(0, ESC_REG_AL_CONTROL), d, 2, -1,
		       "BWR AL control INIT");
	}
	return res->status;
}
