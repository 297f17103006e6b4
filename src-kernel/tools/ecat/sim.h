/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slave simulator: N slaves (esc.h) in a row behind one NIC. Every
 * EtherCAT frame that arrives goes through all of them, in place, and is
 * sent back, as a real segment returns it to the master's port. Other
 * frames are counted and dropped. Faults can be injected, so that a master
 * can be tested against a misbehaving segment.
 */
#ifndef ECAT_SIM_H
#define ECAT_SIM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "esc.h"
#include "link.h"

#define SIM_SLAVES_MAX		64
/*
 * The EtherType of SIM_FAULT_ETHERTYPE answers: IEEE 802 "local
 * experimental" 1 (not IPv4: QEMU's e1000e drops frames whose IP header it
 * cannot parse before they reach the wire).
 */
#define SIM_FAULT_ETHERTYPE_VALUE	0x88b5

enum sim_fault {
	SIM_FAULT_NONE,
	SIM_FAULT_TRUNCATE,	/* process data frames go back cut in half */
	SIM_FAULT_ETHERTYPE,	/* answers go back with another EtherType */
	SIM_FAULT_WKC,		/* after fault_after process data frames,
				 * slave 0 stops serving process data */
};

/**
 * struct sim_config - the segment
 * @slaves:       how many (1..SIM_SLAVES_MAX)
 * @out_len:      output bytes per slave; @in_len: input bytes
 * @fault:        what to break; @fault_after: process data frames first
 * @max_frames:   stop after answering this many (0: until *@stop)
 * @stop:         set by a signal handler to end the loop
 */
struct sim_config {
	unsigned int slaves;
	uint16_t out_len;
	uint16_t in_len;
	enum sim_fault fault;
	uint64_t fault_after;
	uint64_t max_frames;
	volatile sig_atomic_t *stop;
};

/**
 * struct sim_stats - what the segment saw
 * @frames:     EtherCAT frames answered
 * @pd_frames:  of those, with an LRW/LRD/LWR datagram
 * @malformed:  EtherCAT frames it could not parse (dropped)
 * @ignored:    frames of other EtherTypes (dropped)
 * @faulted:    answers altered by the fault
 * @errors:     send failures
 */
struct sim_stats {
	uint64_t frames;
	uint64_t pd_frames;
	uint64_t malformed;
	uint64_t ignored;
	uint64_t faulted;
	uint64_t errors;
};

/* "none", "truncate", "ethertype", "wkc@N" into cfg; -1 if unknown */
int sim_fault_parse(const char *s, struct sim_config *cfg);

/**
 * sim_run() - answer frames on @link until *cfg->stop, max_frames, or a
 * link error. @slaves must hold cfg->slaves entries (initialized here).
 * Return: 0, or -1 with errno and link->err (the link failed).
 */
int sim_run(struct ecat_link *link, const struct sim_config *cfg,
	    struct esc_slave *slaves, struct sim_stats *st);

/* The stats and every slave's AL state as one JSON object */
void sim_stats_json(FILE *f, const struct sim_config *cfg,
		    const struct esc_slave *slaves, const struct sim_stats *st);

#endif /* ECAT_SIM_H */
