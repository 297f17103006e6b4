/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of an EtherCAT slave controller (ESC) and the slave application
 * behind it, enough for a master to find, address, configure and run it:
 * what the slave simulator (sim.c) runs N of, in a row, on the wire.
 *
 * Facts: Beckhoff "EtherCAT Slave Controller, Section I - Technology"
 * (frame processing, addressing, working counter, FMMU, SyncManager, AL
 * state machine) and "Section II - Register Description" (offsets below);
 * ETG.1000.6 for the AL state machine and AL status codes.
 *
 * Memory: 8 KiB, registers at 0x0000-0x0fff, process RAM at 0x1000-0x1fff.
 * Each slave has a fixed process data image: out_len output bytes at
 * ESC_PD_OUT (SyncManager 2) and in_len input bytes at ESC_PD_IN (SM 3),
 * which the master must configure before SAFE-OP. The "application" loops
 * outputs back into inputs: esc_loopback() says how, for the master to check.
 *
 * Simplifications (documented, deliberate): FMMUs map whole bytes or bit
 * ranges at the same bit offset (logical start bit == physical start bit;
 * other FMMUs are ignored); no mailbox, no distributed clocks, no EEPROM
 * (alias 0); SyncManager buffers are plain memory.
 */
#ifndef ESC_H
#define ESC_H

#include <stdbool.h>
#include <stdint.h>

#include "ecat.h"

#define ESC_MEM_SIZE		0x2000
#define ESC_PRAM		0x1000	/* process RAM */
#define ESC_PD_OUT		0x1000	/* outputs (SM2) */
#define ESC_PD_IN		0x1800	/* inputs (SM3) */
#define ESC_PD_MAX		0x0800	/* bytes, each direction */

/* Registers (Section II) */
#define ESC_REG_TYPE		0x0000
#define ESC_REG_REVISION	0x0001
#define ESC_REG_BUILD		0x0002
#define ESC_REG_FMMU_COUNT	0x0004
#define ESC_REG_SM_COUNT	0x0005
#define ESC_REG_RAM_SIZE	0x0006	/* KiB */
#define ESC_REG_PORTS		0x0007
#define ESC_REG_FEATURES	0x0008
#define ESC_REG_STATION		0x0010	/* configured station address */
#define ESC_REG_ALIAS		0x0012
#define ESC_REG_DL_CONTROL	0x0100
#define ESC_REG_DL_STATUS	0x0110
#define ESC_REG_AL_CONTROL	0x0120
#define ESC_REG_AL_STATUS	0x0130
#define ESC_REG_AL_STATUS_CODE	0x0134
#define ESC_REG_EVENT_MASK	0x0200	/* ECAT event mask */
#define ESC_REG_AL_EVENT	0x0220	/* AL event request */
#define ESC_REG_FMMU(n)		(0x0600 + 16 * (n))
#define ESC_REG_SM(n)		(0x0800 + 8 * (n))
#define ESC_FMMUS		8
#define ESC_SMS			8

/* FMMU entry (16 bytes) */
#define FMMU_LOG_START		0	/* u32 */
#define FMMU_LENGTH		4	/* u16, bytes */
#define FMMU_LOG_START_BIT	6
#define FMMU_LOG_STOP_BIT	7
#define FMMU_PHYS_START		8	/* u16 */
#define FMMU_PHYS_START_BIT	10
#define FMMU_TYPE		11	/* bit 0 read, bit 1 write */
#define FMMU_ACTIVATE		12	/* bit 0 */
#define  FMMU_TYPE_READ		0x01
#define  FMMU_TYPE_WRITE	0x02

/* SyncManager entry (8 bytes) */
#define SM_PHYS_START		0	/* u16 */
#define SM_LENGTH		2	/* u16 */
#define SM_CONTROL		4
#define SM_STATUS		5
#define SM_ACTIVATE		6	/* bit 0 */
#define SM_PDI_CONTROL		7
#define  SM_CONTROL_MODE_MASK	0x03	/* 0 buffered, 2 mailbox */
#define  SM_CONTROL_DIR_MASK	0x0c	/* 0 ECAT reads, 4 ECAT writes */
#define  SM_CONTROL_DIR_WRITE	0x04
#define SM_PD_OUT		2	/* the SyncManager of the outputs */
#define SM_PD_IN		3

/* AL states and status codes (ETG.1000.6) */
#define AL_INIT			0x01
#define AL_PREOP		0x02
#define AL_BOOT			0x03
#define AL_SAFEOP		0x04
#define AL_OP			0x08
#define AL_STATE_MASK		0x0f
#define AL_ERROR		0x10	/* AL status: error; AL control: acknowledge */
#define AL_CODE_NONE		0x0000
#define AL_CODE_INVALID_CHANGE	0x0011
#define AL_CODE_UNKNOWN_STATE	0x0012
#define AL_CODE_SM_WATCHDOG	0x001b
#define AL_CODE_INVALID_OUTPUTS	0x001d
#define AL_CODE_INVALID_INPUTS	0x001e

/**
 * struct esc_slave - one slave
 * @position:    its place on the segment, 0 first
 * @out_len:     output bytes at ESC_PD_OUT; @in_len: input bytes at ESC_PD_IN
 * @pd_mute:     fault: its FMMUs stop counting (as if its SMs were off)
 */
struct esc_slave {
	uint8_t mem[ESC_MEM_SIZE];
	uint16_t position;
	uint16_t out_len;
	uint16_t in_len;
	bool pd_mute;
	bool al_written;	/* AL control written by the current frame */
	bool outputs_seen;	/* outputs written since SAFE-OP was entered */
};

/* Power-on state: INIT, station address 0, FMMUs and SMs off */
void esc_init(struct esc_slave *s, uint16_t position, uint16_t out_len,
	      uint16_t in_len);

/**
 * esc_process() - the ESC's part: every datagram of a frame passing this
 * slave, in place (addresses incremented, data read or written, working
 * counters incremented as the standard says: +1 per read, +1 per write,
 * +2 for the write of a read-write command, once per slave).
 */
void esc_process(struct esc_slave *s, struct ecat_dg *dg, unsigned int count);

/**
 * esc_application() - the application's part after a frame: AL control
 * requests (state changes, error acknowledge, with the standard's checks:
 * SM configuration before SAFE-OP, outputs before OP) and the inputs
 * refreshed from the outputs.
 */
void esc_application(struct esc_slave *s);

static inline uint8_t esc_al_status(const struct esc_slave *s)
{
	return s->mem[ESC_REG_AL_STATUS];
}

/**
 * esc_loopback() - the slave application's transfer function: the inputs a
 * slave at @position reports for the outputs it applied (all zero below OP):
 * in[i] = ~out[i] for i < out_len, else (uint8_t)(position + i).
 */
void esc_loopback(uint16_t position, const uint8_t *out, uint16_t out_len,
		  uint8_t *in, uint16_t in_len);

/**
 * esc_segment_process() - a frame through @count slaves in a row: parsed,
 * processed by each ESC and its application in turn, the source MAC marked
 * as processed (its locally-administered bit, 0x02 of the first byte, set as
 * ESCs do). In place.
 * Return: ECAT_OK, or the enum ecat_err that made it unprocessable (the
 * frame is then left as it was).
 */
int esc_segment_process(struct esc_slave *slaves, unsigned int count,
			uint8_t *frame, size_t len);

#endif /* ESC_H */
