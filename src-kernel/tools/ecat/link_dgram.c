// SPDX-License-Identifier: GPL-2.0
/*
 * The dgram link layer: Ethernet frames as UDP datagrams on the loopback
 * address, the other end of a QEMU board's "-netdev dgram" (QEMU
 * net/dgram.c: each frame is one datagram, the frame as it leaves the MAC
 * without its FCS, no header). It puts the slave simulator outside the
 * guest for a board whose SoC has one MAC (the i.MX boards): the guest's
 * MAC is the master's, the segment runs on the host. See link.h.
 *
 * --nic LOCAL:REMOTE: this end binds 127.0.0.1:LOCAL, sends to
 * 127.0.0.1:REMOTE and takes datagrams from that address only (the socket
 * is connected). No other address can be given: nothing leaves the host.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ecat.h"
#include "link.h"
#include "timing.h"

static int dg_send(struct ecat_link *l, const void *frame, size_t len)
{
	uint8_t buf[ECAT_FRAME_MIN];

	/* a MAC pads short frames on the wire: so does this end */
	if (len < ECAT_FRAME_MIN) {
		memcpy(buf, frame, len);
		memset(buf + len, 0, sizeof(buf) - len);
		frame = buf;
		len = sizeof(buf);
	}
	if (send(l->u.dg.fd, frame, len, 0) < 0) {
		/* ECONNREFUSED: QEMU is not (yet, or any more) listening */
		if (errno == ECONNREFUSED)
			return 0;
		snprintf(l->err, sizeof(l->err), "send to 127.0.0.1:%u: %s",
			 l->u.dg.remote, strerror(errno));
		return -1;
	}
	l->u.dg.tx++;
	return 0;
}

static int dg_recv(struct ecat_link *l, void *buf, size_t cap,
		   uint32_t timeout_us)
{
	uint64_t deadline = now_ns() + timeout_us * NSEC_PER_USEC;
	struct pollfd pfd = { .fd = l->u.dg.fd, .events = POLLIN };
	struct timespec ts;
	uint64_t now;
	ssize_t n;

	for (;;) {
		n = recv(l->u.dg.fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n >= 0) {
			if ((size_t)n > cap) {
				snprintf(l->err, sizeof(l->err),
					 "received frame of %zd bytes, buffer holds %zu",
					 n, cap);
				errno = EMSGSIZE;
				return -1;
			}
			l->u.dg.rx++;
			return (int)n;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED) {
			snprintf(l->err, sizeof(l->err),
				 "receive on 127.0.0.1:%u: %s", l->u.dg.local,
				 strerror(errno));
			return -1;
		}
		now = now_ns();
		if (now >= deadline)
			return 0;
		ts.tv_sec = (time_t)((deadline - now) / NSEC_PER_SEC);
		ts.tv_nsec = (long)((deadline - now) % NSEC_PER_SEC);
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
			snprintf(l->err, sizeof(l->err), "poll: %s",
				 strerror(errno));
			return -1;
		}
	}
}

static void dg_stats(struct ecat_link *l, struct ecat_link_stats *st)
{
	st->tx_frames = l->u.dg.tx;
	st->rx_frames = l->u.dg.rx;
}

static void dg_close(struct ecat_link *l)
{
	if (l->u.dg.fd >= 0)
		close(l->u.dg.fd);
	l->u.dg.fd = -1;
}

static const struct ecat_link_ops dgram_ops = {
	.send = dg_send,
	.recv = dg_recv,
	.stats = dg_stats,
	.close = dg_close,
};

/* "LOCAL:REMOTE", two UDP ports 1-65535 */
static int parse_ports(const char *nic, uint16_t *local, uint16_t *remote)
{
	unsigned long a, b;
	char *end;

	errno = 0;
	a = strtoul(nic, &end, 10);
	if (errno || end == nic || *end != ':' || !a || a > 65535)
		return -1;
	nic = end + 1;
	b = strtoul(nic, &end, 10);
	if (errno || end == nic || *end || !b || b > 65535 || a == b)
		return -1;
	*local = (uint16_t)a;
	*remote = (uint16_t)b;
	return 0;
}

int ecat_link_open_dgram(struct ecat_link *l, const char *nic)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int err;

	l->u.dg.fd = -1;
	if (parse_ports(nic, &l->u.dg.local, &l->u.dg.remote)) {
		snprintf(l->err, sizeof(l->err),
			 "NIC \"%s\": a dgram link takes two different UDP ports, LOCAL:REMOTE (e.g. 47001:47002), both on 127.0.0.1, the only address it uses",
			 nic);
		errno = EINVAL;
		return -1;
	}
	l->u.dg.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->u.dg.fd < 0)
		goto fail;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(l->u.dg.local);
	if (bind(l->u.dg.fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	/* connected: send() goes to REMOTE, recv() takes only REMOTE's */
	sa.sin_port = htons(l->u.dg.remote);
	if (connect(l->u.dg.fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	/* a locally administered address of its own: 02:ec:47:00:LL:LL */
	l->mac[0] = 0x02;
	l->mac[1] = 0xec;
	l->mac[2] = 0x47;
	l->mac[4] = (uint8_t)(l->u.dg.local >> 8);
	l->mac[5] = (uint8_t)l->u.dg.local;
	snprintf(l->desc, sizeof(l->desc), "dgram 127.0.0.1:%u <-> 127.0.0.1:%u",
		 l->u.dg.local, l->u.dg.remote);
	l->ops = &dgram_ops;
	return 0;

fail:
	err = errno;
	snprintf(l->err, sizeof(l->err), "UDP socket 127.0.0.1:%u -> 127.0.0.1:%u: %s%s",
		 l->u.dg.local, l->u.dg.remote, strerror(err),
		 err == EADDRINUSE ? " (another program has the local port: pick another)" : "");
	if (l->u.dg.fd >= 0)
		close(l->u.dg.fd);
	l->u.dg.fd = -1;
	errno = err;
	return -1;
}
