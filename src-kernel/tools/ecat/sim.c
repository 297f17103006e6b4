// SPDX-License-Identifier: GPL-2.0
/*
 * The slave simulator's loop; see sim.h.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* how often the loop looks at *stop while nothing arrives */
#define SIM_POLL_US	100000

int sim_fault_parse(const char *s, struct sim_config *cfg)
{
	char *end;

	cfg->fault_after = 0;
	if (!strcmp(s, "none")) {
		cfg->fault = SIM_FAULT_NONE;
	} else if (!strcmp(s, "truncate")) {
		cfg->fault = SIM_FAULT_TRUNCATE;
	} else if (!strcmp(s, "ethertype")) {
		cfg->fault = SIM_FAULT_ETHERTYPE;
	} else if (!strncmp(s, "wkc@", 4)) {
		cfg->fault = SIM_FAULT_WKC;
		cfg->fault_after = strtoull(s + 4, &end, 10);
		if (*end || end == s + 4)
			return -1;
	} else {
		return -1;
	}
	return 0;
}

/* Does the (valid) frame carry process data? */
static bool has_pd(uint8_t *frame, size_t len)
{
	struct ecat_dg dg[ECAT_MAX_DATAGRAMS];
	unsigned int n, i;

	if (ecat_parse(frame, len, dg, ECAT_MAX_DATAGRAMS, &n))
		return false;
	for (i = 0; i < n; i++)
		if (dg[i].cmd >= ECAT_LRD && dg[i].cmd <= ECAT_LRW)
			return true;
	return false;
}

int sim_run(struct ecat_link *link, const struct sim_config *cfg,
	    struct esc_slave *slaves, struct sim_stats *st)
{
	static uint8_t buf[ECAT_FRAME_MAX + 4];
	unsigned int i;
	int n, err;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < cfg->slaves; i++)
		esc_init(&slaves[i], (uint16_t)i, cfg->out_len, cfg->in_len);

	while (!(cfg->stop && *cfg->stop) &&
	       (!cfg->max_frames || st->frames < cfg->max_frames)) {
		size_t len;
		bool pd;

		n = ecat_link_recv(link, buf, sizeof(buf), SIM_POLL_US);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!n)
			continue;
		len = (size_t)n;
		pd = has_pd(buf, len);
		if (pd && cfg->fault == SIM_FAULT_WKC &&
		    st->pd_frames >= cfg->fault_after && !slaves[0].pd_mute) {
			slaves[0].pd_mute = true;
			st->faulted++;
		}
		err = esc_segment_process(slaves, cfg->slaves, buf, len);
		if (err == ECAT_E_ETHERTYPE || err == ECAT_E_SHORT) {
			st->ignored++;
			continue;
		}
		if (err) {
			st->malformed++;
			continue;
		}
		st->frames++;
		if (pd)
			st->pd_frames++;
		if (cfg->fault == SIM_FAULT_ETHERTYPE) {
			buf[12] = SIM_FAULT_ETHERTYPE_VALUE >> 8;
			buf[13] = SIM_FAULT_ETHERTYPE_VALUE & 0xff;
			st->faulted++;
		} else if (cfg->fault == SIM_FAULT_TRUNCATE && pd) {
			len /= 2;
			st->faulted++;
		}
		if (ecat_link_send(link, buf, len))
			st->errors++;
	}
	return 0;
}

void sim_stats_json(FILE *f, const struct sim_config *cfg,
		    const struct esc_slave *slaves, const struct sim_stats *st)
{
	unsigned int i;

	fprintf(f, "{\"slaves\":%u,\"frames\":%llu,\"pd_frames\":%llu,\"malformed\":%llu,\"ignored\":%llu,\"faulted\":%llu,\"send_errors\":%llu,\"al_status\":[",
		cfg->slaves, (unsigned long long)st->frames,
		(unsigned long long)st->pd_frames,
		(unsigned long long)st->malformed,
		(unsigned long long)st->ignored,
		(unsigned long long)st->faulted,
		(unsigned long long)st->errors);
	for (i = 0; i < cfg->slaves; i++)
		fprintf(f, "%s%u", i ? "," : "", esc_al_status(&slaves[i]));
	fputs("]}", f);
}
