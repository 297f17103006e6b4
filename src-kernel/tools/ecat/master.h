/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal EtherCAT master: scan, addressing, AL state machine, process
 * data mapping and cyclic LRW exchange, checked datagram by datagram.
 *
 * Start-up, as ETG.1000/ETG.1020 masters do it:
 *  1. BRD 0x0000          count the slaves (working counter)
 *  2. BWR 0x0120          INIT with error acknowledge; FMMUs and SMs off
 *  3. APWR 0x0010         station addresses 0x1001, 0x1002, ... by position
 *  4. BWR 0x0120 PRE-OP   then FPRD 0x0130 per slave until it is there
 *  5. FPWR SM2/SM3, FMMU0/FMMU1 per slave: the process image is all
 *     outputs (slave 0 first) followed by all inputs, from logical 0
 *  6. SAFE-OP; a few LRW with outputs (the SM watchdog wants them); OP
 *  7. cyclic: one frame per period: LRW of the whole image + BRD 0x0130
 *     (every slave must still be in OP). Each frame's working counters, the
 *     AL states and every input byte are checked: a slave's inputs must be
 *     esc_loopback() of the outputs it got one cycle before.
 *  8. INIT again (unless keep_op).
 * Any failure stops with a message that says what came back and what was
 * expected.
 */
#ifndef ECAT_MASTER_H
#define ECAT_MASTER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecat.h"
#include "link.h"
#include "timing.h"

/* Exit statuses of the master (atemsys-ecat master) */
enum master_status {
	MASTER_OK = 0,
	MASTER_E_ECAT = 1,	/* slaves, states, working counters, data */
	MASTER_E_USAGE = 2,
	MASTER_E_LINK = 3,	/* the NIC could not be opened or used */
	MASTER_E_TIMEOUT = 4,	/* no frame came back */
};

#define MASTER_STATION_BASE	0x1001
#define MASTER_SLAVES_MAX	256

/**
 * struct master_config - what the master does
 * @slaves:     slaves expected (0: as many as the scan finds)
 * @out_len:    output bytes per slave; @in_len: input bytes per slave
 * @period_us:  cycle period, µs
 * @cycles:     cyclic frames to exchange
 * @timeout_us: how long to wait for a frame to come back, µs
 * @retries:    tries of a start-up frame before giving up
 * @max_lost:   consecutive lost cyclic frames that abort the run (while
 *              the link is up: see @link_wait_ms)
 * @link_wait_ms: when a cyclic frame is lost and the link layer says the
 *              link is down (ecat_link_state()), wait this long for it to
 *              come back and go on (0: a link loss ends the run, exit 3)
 * @src:        Ethernet source address (its locally-administered bit must
 *              be clear: the slaves set it on the way back)
 * @keep_op:    leave the slaves in OP at the end
 * @stop:       set (by a signal handler) to end the cyclic phase early
 * @rtt:        if set, each cyclic frame's round trip (ns) is recorded
 * @jitter:     if set, |completion interval - period| (ns) of each cycle
 * @on_op:      if set, called once when every slave is in OP and the
 *              cyclic phase starts (e.g. to tell whoever waits for it)
 * @verbose:    start-up steps on stderr
 */
struct master_config {
	unsigned int slaves;
	uint16_t out_len;
	uint16_t in_len;
	uint32_t period_us;
	uint32_t cycles;
	uint32_t timeout_us;
	unsigned int retries;
	unsigned int max_lost;
	uint32_t link_wait_ms;
	uint8_t src[6];
	bool keep_op;
	volatile sig_atomic_t *stop;
	struct samples *rtt;
	struct samples *jitter;
	void (*on_op)(unsigned int slaves);
	bool verbose;
};

/**
 * struct master_wire - what went over the wire, per EtherCAT command, for
 * an independent decoder (Wireshark) to confirm: datagrams sent,
 * datagrams that came back, and the sum of their working counters; and the
 * cyclic LRW (logical address, data bytes, expected working counter, and
 * how many cyclic LRWs came back with it).
 */
struct master_wire {
	uint32_t sent[ECAT_CMD_COUNT];
	uint32_t returned[ECAT_CMD_COUNT];
	uint64_t wkc[ECAT_CMD_COUNT];
	uint32_t lrw_laddr;
	uint16_t lrw_len;
	uint16_t lrw_wkc;
	uint32_t lrw_cycles;
};

/**
 * struct master_result - how the run went
 * @status:      MASTER_OK or the enum master_status of the first error
 * @error:       that error, for the user
 * @state:       the AL state every slave reached (AL_* of esc.h), 0: none
 * @cycles:      cyclic frames sent
 * @wkc_errors:  cyclic frames with a wrong working counter
 * @data_errors: cyclic frames with a wrong input byte
 * @lost:        frames that did not come back in time
 * @late:        cycles whose frame came back after the next cycle's start
 * @malformed:   frames that came back unparseable
 * @ignored:     frames of other EtherTypes seen (and ignored)
 * @stale:       EtherCAT frames that were not the answer waited for
 * @link_losses: times the link was seen down in the cyclic phase
 * @link_down_ms: how long it was down, in all
 * @lost_link:   cyclic frames lost to a link loss (not counted in @lost):
 *               the ones that timed out until the link was seen down
 */
struct master_result {
	enum master_status status;
	char error[320];
	unsigned int slaves;
	uint8_t state;
	uint32_t cycles;
	uint32_t wkc_errors;
	uint32_t data_errors;
	uint32_t lost;
	uint32_t late;
	uint32_t malformed;
	uint32_t ignored;
	uint32_t stale;
	uint32_t link_losses;
	uint32_t link_down_ms;
	uint32_t lost_link;
	struct master_wire wire;
};

/*
 * Defaults: 4 bytes each way, 1 ms, 1000 cycles, 100 ms timeout, 3 tries,
 * 10 lost in a row, a link loss waited out for 30 s
 */
void master_config_default(struct master_config *cfg);

/**
 * master_run() - start-up, cyclic phase, shut-down on @link.
 * Return: res->status.
 */
enum master_status master_run(struct ecat_link *link,
			      const struct master_config *cfg,
			      struct master_result *res);

/* "INIT", "PRE-OP", "SAFE-OP", "OP", "BOOT", or "0x.." */
const char *master_state_name(uint8_t state);
/* "invalid requested state change" for 0x0011, "" if unknown */
const char *master_al_code_text(uint16_t code);

#endif /* ECAT_MASTER_H */
