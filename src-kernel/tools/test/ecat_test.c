// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the EtherCAT frame codec and the slave model, built
 * with the sanitizers (make -C src-kernel/tools test). No device needed:
 * frames go through esc_segment_process() as they would through the wire.
 * Output: TAP, then "N passed, N failed"; exit status 1 if a test failed.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecat.h"
#include "esc.h"

static int failed, planned;
static const char *cur;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: %s: ", __FILE__, __LINE__, cur);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		return 1;						\
	}								\
} while (0)

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t master_mac[6] = { 0x50, 0x54, 0x00, 0x12, 0x34, 0x57 };

static struct esc_slave seg[3];

static void seg_init(unsigned int n, uint16_t out, uint16_t in)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		esc_init(&seg[i], (uint16_t)i, out, in);
}

/* One datagram through the segment; its data and wkc back */
static int xfer(unsigned int n, uint8_t cmd, uint32_t addr, void *data,
		uint16_t len, uint16_t *wkc, uint32_t *addr_back)
{
	uint8_t buf[ECAT_FRAME_MAX];
	struct ecat_frame f;
	struct ecat_dg dg[4];
	unsigned int count;
	size_t flen;
	int err;

	ecat_frame_init(&f, buf, bcast, master_mac);
	if (!ecat_frame_add(&f, cmd, 7, addr, len, data))
		return -1;
	flen = ecat_frame_finish(&f);
	err = esc_segment_process(seg, n, buf, flen);
	if (err)
		return err;
	if (ecat_parse(buf, flen, dg, 4, &count) || count != 1)
		return -2;
	memcpy(data, dg[0].data, len);
	*wkc = dg[0].wkc;
	if (addr_back)
		*addr_back = dg[0].addr;
	return buf[6] & 0x02 ? 0 : -3;
}

static int test_build_parse(void)
{
	uint8_t buf[ECAT_FRAME_MAX], d1[4] = { 1, 2, 3, 4 };
	struct ecat_frame f;
	struct ecat_dg dg[4];
	unsigned int n;
	size_t len;

	ecat_frame_init(&f, buf, bcast, master_mac);
	CHECK(ecat_frame_add(&f, ECAT_LRW, 1, 0x10000, 4, d1), "add LRW");
	CHECK(ecat_frame_add(&f, ECAT_BRD, 2, ecat_addr(0, 0x130), 2, NULL),
	      "add BRD");
	len = ecat_frame_finish(&f);
	CHECK(len == ECAT_FRAME_MIN, "padded to 60, got %zu", len);
	CHECK(buf[12] == 0x88 && buf[13] == 0xa4, "EtherType");
	/* 10+4+2 + 10+2+2 = 30 bytes of datagrams, type 1 */
	CHECK(get_le16(buf + 14) == (0x1000 | 30), "header 0x%04x",
	      get_le16(buf + 14));
	CHECK(ecat_parse(buf, len, dg, 4, &n) == ECAT_OK && n == 2,
	      "parse: %u datagrams", n);
	CHECK(dg[0].cmd == ECAT_LRW && dg[0].idx == 1 && dg[0].addr == 0x10000 &&
	      dg[0].len == 4 && dg[0].more && !memcmp(dg[0].data, d1, 4),
	      "first datagram");
	CHECK(dg[1].cmd == ECAT_BRD && ecat_dg_ado(&dg[1]) == 0x130 &&
	      !dg[1].more && dg[1].wkc == 0, "second datagram");
	CHECK(!strcmp(ecat_cmd_name(ECAT_FRMW), "FRMW") &&
	      ecat_cmd_by_name("LRW") == ECAT_LRW && ecat_cmd_by_name("XX") < 0,
	      "command names");
	return 0;
}

static int test_parse_errors(void)
{
	uint8_t buf[ECAT_FRAME_MAX], data[100] = { 0 };
	struct ecat_frame f;
	struct ecat_dg dg[2];
	unsigned int n;
	size_t len;

	ecat_frame_init(&f, buf, bcast, master_mac);
	ecat_frame_add(&f, ECAT_LRD, 0, 0, sizeof(data), data);
	len = ecat_frame_finish(&f);
	CHECK(len == 14 + 2 + 10 + 100 + 2, "length %zu", len);

	CHECK(ecat_parse(buf, 15, dg, 2, &n) == ECAT_E_SHORT, "short");
	CHECK(ecat_parse(buf, len / 2, dg, 2, &n) == ECAT_E_LENGTH,
	      "truncated frame");
	buf[12] = 0x08;
	CHECK(ecat_parse(buf, len, dg, 2, &n) == ECAT_E_ETHERTYPE, "EtherType");
	buf[12] = 0x88;
	put_le16(buf + 14, 0x5000 | (uint16_t)(len - 16));
	CHECK(ecat_parse(buf, len, dg, 2, &n) == ECAT_E_TYPE, "type");
	/* the header says less than the datagram needs */
	put_le16(buf + 14, 0x1000 | 50);
	CHECK(ecat_parse(buf, len, dg, 2, &n) == ECAT_E_TRUNCATED,
	      "datagram past the header length");
	put_le16(buf + 14, 0x1000 | 4);
	CHECK(ecat_parse(buf, len, dg, 2, &n) == ECAT_E_EMPTY, "no datagram");
	/* "more" set on the last datagram: the next one is missing */
	put_le16(buf + 14, (uint16_t)(0x1000 | (len - 16)));
	put_le16(buf + 16 + 6, 100 | ECAT_DG_MORE);
	CHECK(ecat_parse(buf, len, dg, 2, &n) == ECAT_E_TRUNCATED,
	      "more-follows without a datagram");
	CHECK(strstr(ecat_strerror(ECAT_E_LENGTH), "too short"), "strerror");
	return 0;
}

static int test_count_and_address(void)
{
	uint8_t d[2] = { 0 };
	uint16_t wkc, st;
	uint32_t back;
	int i;

	seg_init(3, 4, 4);
	/* BRD of the type register: every slave counts, ORs its value */
	CHECK(!xfer(3, ECAT_BRD, ecat_addr(0, ESC_REG_TYPE), d, 2, &wkc, &back),
	      "BRD");
	CHECK(wkc == 3 && d[0] == 0x11, "BRD wkc %u type 0x%02x", wkc, d[0]);
	CHECK(ecat_dg_adp(&(struct ecat_dg){ .addr = back }) == 3,
	      "BRD position incremented by each slave: %u", back & 0xffff);

	/* auto-increment: position -k addresses slave k */
	for (i = 0; i < 3; i++) {
		st = (uint16_t)(0x1001 + i);
		put_le16(d, st);
		CHECK(!xfer(3, ECAT_APWR, ecat_addr((uint16_t)-i, ESC_REG_STATION),
			    d, 2, &wkc, NULL) && wkc == 1, "APWR slave %d wkc %u",
		      i, wkc);
	}
	CHECK(get_le16(seg[2].mem + ESC_REG_STATION) == 0x1003,
	      "slave 2 station address");
	memset(d, 0, 2);
	CHECK(!xfer(3, ECAT_FPRD, ecat_addr(0x1002, ESC_REG_STATION), d, 2, &wkc,
		    NULL) && wkc == 1 && get_le16(d) == 0x1002, "FPRD");
	CHECK(!xfer(3, ECAT_FPRD, ecat_addr(0x2000, ESC_REG_STATION), d, 2, &wkc,
		    NULL) && wkc == 0, "FPRD nobody: wkc %u", wkc);
	/* read-only register: the write is dropped, AL status stays */
	d[0] = AL_OP;
	CHECK(!xfer(3, ECAT_BWR, ecat_addr(0, ESC_REG_AL_STATUS), d, 1, &wkc,
		    NULL) && esc_al_status(&seg[0]) == AL_INIT, "AL status RO");
	/* out of memory: no access, no count */
	CHECK(!xfer(3, ECAT_APRD, ecat_addr(0, 0x1fff), d, 2, &wkc, NULL) &&
	      wkc == 0, "APRD past the end: wkc %u", wkc);
	/* read-write: +3 */
	d[0] = 0x34;
	d[1] = 0x12;
	CHECK(!xfer(3, ECAT_FPRW, ecat_addr(0x1001, ESC_REG_STATION), d, 2, &wkc,
		    NULL) && wkc == 3 && get_le16(d) == 0x1001 &&
	      get_le16(seg[0].mem + ESC_REG_STATION) == 0x1234, "FPRW");
	return 0;
}

static int request(unsigned int n, uint8_t state)
{
	uint8_t d[2] = { state, 0 };
	uint16_t wkc;

	if (xfer(n, ECAT_BWR, ecat_addr(0, ESC_REG_AL_CONTROL), d, 2, &wkc, NULL))
		return -1;
	return wkc == n ? 0 : -1;
}

static void write_sm(struct esc_slave *s, int n, uint16_t addr, uint16_t len,
		     uint8_t control)
{
	uint8_t *sm = s->mem + ESC_REG_SM(n);

	put_le16(sm + SM_PHYS_START, addr);
	put_le16(sm + SM_LENGTH, len);
	sm[SM_CONTROL] = control;
	sm[SM_ACTIVATE] = 1;
}

static void write_fmmu(struct esc_slave *s, int n, uint32_t log, uint16_t len,
		       uint16_t phys, uint8_t type)
{
	uint8_t *f = s->mem + ESC_REG_FMMU(n);

	put_le32(f + FMMU_LOG_START, log);
	put_le16(f + FMMU_LENGTH, len);
	f[FMMU_LOG_STOP_BIT] = 7;
	put_le16(f + FMMU_PHYS_START, phys);
	f[FMMU_TYPE] = type;
	f[FMMU_ACTIVATE] = 1;
}

static int test_al_state_machine(void)
{
	uint8_t pd[16] = { 0 };
	uint16_t wkc;
	int i;

	seg_init(2, 4, 4);
	CHECK(!request(2, AL_PREOP) && esc_al_status(&seg[1]) == AL_PREOP,
	      "INIT -> PREOP");
	/* PREOP -> OP is not a transition */
	CHECK(!request(2, AL_OP), "request OP");
	CHECK(esc_al_status(&seg[0]) == (AL_PREOP | AL_ERROR) &&
	      get_le16(seg[0].mem + ESC_REG_AL_STATUS_CODE) == AL_CODE_INVALID_CHANGE,
	      "PREOP -> OP refused with 0x0011: status 0x%02x",
	      esc_al_status(&seg[0]));
	/* not acknowledged: stays in error */
	CHECK(!request(2, AL_PREOP) && (esc_al_status(&seg[0]) & AL_ERROR),
	      "error needs acknowledge");
	CHECK(!request(2, AL_PREOP | AL_ERROR) && esc_al_status(&seg[0]) == AL_PREOP &&
	      get_le16(seg[0].mem + ESC_REG_AL_STATUS_CODE) == 0, "acknowledged");
	/* SAFEOP without SyncManagers: invalid output configuration */
	CHECK(!request(2, AL_SAFEOP) && esc_al_status(&seg[0]) == (AL_PREOP | AL_ERROR) &&
	      get_le16(seg[0].mem + ESC_REG_AL_STATUS_CODE) == AL_CODE_INVALID_OUTPUTS,
	      "SAFEOP without SMs refused with 0x001D");
	for (i = 0; i < 2; i++) {
		write_sm(&seg[i], SM_PD_OUT, ESC_PD_OUT, 4, 0x64);
		write_sm(&seg[i], SM_PD_IN, ESC_PD_IN, 4, 0x20);
		write_fmmu(&seg[i], 0, (uint32_t)(4 * i), 4, ESC_PD_OUT, FMMU_TYPE_WRITE);
		write_fmmu(&seg[i], 1, (uint32_t)(8 + 4 * i), 4, ESC_PD_IN, FMMU_TYPE_READ);
	}
	CHECK(!request(2, AL_SAFEOP | AL_ERROR) && esc_al_status(&seg[1]) == AL_SAFEOP,
	      "PREOP -> SAFEOP: 0x%02x", esc_al_status(&seg[1]));
	/* OP before any outputs: SM watchdog */
	CHECK(!request(2, AL_OP) && esc_al_status(&seg[0]) == (AL_SAFEOP | AL_ERROR) &&
	      get_le16(seg[0].mem + ESC_REG_AL_STATUS_CODE) == AL_CODE_SM_WATCHDOG,
	      "OP without outputs refused with 0x001B");
	CHECK(!request(2, AL_SAFEOP | AL_ERROR), "ack");

	/* SAFE-OP: LRW counts 3 per slave, inputs are the loopback of zeros */
	for (i = 0; i < 8; i++)
		pd[i] = (uint8_t)(0x10 + i);
	CHECK(!xfer(2, ECAT_LRW, 0, pd, 16, &wkc, NULL) && wkc == 6,
	      "LRW in SAFEOP wkc %u", wkc);
	CHECK(!xfer(2, ECAT_LRW, 0, pd, 16, &wkc, NULL), "LRW");
	CHECK(pd[8] == 0xff && pd[15] == 0xff, "SAFEOP inputs 0x%02x", pd[8]);
	CHECK(!request(2, AL_OP) && esc_al_status(&seg[1]) == AL_OP, "SAFEOP -> OP");
	for (i = 0; i < 8; i++)
		pd[i] = (uint8_t)(0x20 + i);
	CHECK(!xfer(2, ECAT_LRW, 0, pd, 16, &wkc, NULL) && wkc == 6, "LRW in OP");
	/* inputs of this frame still show the previous outputs' loopback */
	for (i = 0; i < 8; i++)
		pd[i] = (uint8_t)(0x30 + i);
	CHECK(!xfer(2, ECAT_LRW, 0, pd, 16, &wkc, NULL) && wkc == 6, "LRW");
	for (i = 0; i < 8; i++)
		CHECK(pd[8 + i] == (uint8_t)~(0x20 + i), "input %d: 0x%02x, expected 0x%02x",
		      i, pd[8 + i], (uint8_t)~(0x20 + i));
	/* LRD reads, LWR writes only */
	CHECK(!xfer(2, ECAT_LRD, 0, pd, 16, &wkc, NULL) && wkc == 2, "LRD wkc %u", wkc);
	CHECK(!xfer(2, ECAT_LWR, 0, pd, 16, &wkc, NULL) && wkc == 2, "LWR wkc %u", wkc);
	/* a muted slave stops counting */
	seg[1].pd_mute = true;
	CHECK(!xfer(2, ECAT_LRW, 0, pd, 16, &wkc, NULL) && wkc == 3, "muted wkc %u", wkc);
	/* back to INIT: outputs cleared */
	CHECK(!request(2, AL_INIT) && esc_al_status(&seg[0]) == AL_INIT &&
	      seg[0].mem[ESC_PD_OUT] == 0, "OP -> INIT");
	return 0;
}

static int test_fmmu_bits(void)
{
	uint8_t pd[1] = { 0xff };
	uint16_t wkc;
	uint8_t *f;

	seg_init(1, 1, 0);
	write_sm(&seg[0], SM_PD_OUT, ESC_PD_OUT, 1, 0x64);
	write_fmmu(&seg[0], 0, 0x100, 1, ESC_PD_OUT, FMMU_TYPE_WRITE);
	f = seg[0].mem + ESC_REG_FMMU(0);
	f[FMMU_LOG_START_BIT] = 2;
	f[FMMU_PHYS_START_BIT] = 2;
	f[FMMU_LOG_STOP_BIT] = 5;
	CHECK(!request(1, AL_PREOP) && !request(1, AL_SAFEOP), "to SAFEOP");
	CHECK(!xfer(1, ECAT_LWR, 0x100, pd, 1, &wkc, NULL) && wkc == 1, "LWR");
	CHECK(seg[0].mem[ESC_PD_OUT] == 0x3c, "bits 2-5 written: 0x%02x",
	      seg[0].mem[ESC_PD_OUT]);
	/* a logical window the datagram misses: no count */
	CHECK(!xfer(1, ECAT_LWR, 0x101, pd, 1, &wkc, NULL) && wkc == 0, "miss");
	return 0;
}

static int test_non_ecat_left_alone(void)
{
	uint8_t buf[60] = { 0 };

	seg_init(1, 0, 0);
	buf[12] = 0x08;
	CHECK(esc_segment_process(seg, 1, buf, sizeof(buf)) == ECAT_E_ETHERTYPE &&
	      buf[6] == 0, "IPv4 frame untouched");
	return 0;
}

static void run(const char *name, int (*fn)(void))
{
	cur = name;
	planned++;
	if (fn()) {
		failed++;
		printf("not ok %d - %s\n", planned, name);
	} else {
		printf("ok %d - %s\n", planned, name);
	}
}

int main(void)
{
	printf("TAP version 13\n1..6\n");
	run("build_parse", test_build_parse);
	run("parse_errors", test_parse_errors);
	run("count_and_address", test_count_and_address);
	run("al_state_machine", test_al_state_machine);
	run("fmmu_bits", test_fmmu_bits);
	run("non_ecat_left_alone", test_non_ecat_left_alone);
	/* the summary line make test counts */
	printf("%d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
