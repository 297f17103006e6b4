// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_PACKET link layer: a raw socket on the NIC's kernel interface
 * (packet(7)); see link.h. The interface is brought up (IPv6 off, so the
 * kernel puts nothing of its own on the wire) and put in promiscuous mode.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ecat.h"
#include "guest.h"
#include "link.h"
#include "timing.h"

#define CARRIER_TIMEOUT_MS	15000	/* phylib on an emulated SoC: autonegotiation, then its 1 s poll */

static int pkt_send(struct ecat_link *l, const void *frame, size_t len)
{
	uint8_t buf[ECAT_FRAME_MIN];
	ssize_t n;

	/* the kernel does not pad: short frames are padded here */
	if (len < ECAT_FRAME_MIN) {
		memcpy(buf, frame, len);
		memset(buf + len, 0, sizeof(buf) - len);
		frame = buf;
		len = sizeof(buf);
	}
	n = send(l->u.pkt.fd, frame, len, 0);
	if (n < 0) {
		snprintf(l->err, sizeof(l->err), "send on %s: %s",
			 l->u.pkt.ifname, strerror(errno));
		return -1;
	}
	l->u.pkt.tx++;
	return 0;
}

static int pkt_recv(struct ecat_link *l, void *buf, size_t cap,
		    uint32_t timeout_us)
{
	uint64_t deadline = now_ns() + timeout_us * NSEC_PER_USEC;
	struct pollfd pfd = { .fd = l->u.pkt.fd, .events = POLLIN };
	struct sockaddr_ll from;
	struct timespec ts;
	uint64_t now;
	socklen_t fl;
	ssize_t n;
	int r;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(l->u.pkt.fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fl);
		if (n >= 0) {
			/* our own frames, on kernels that ignore the option */
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			if ((size_t)n > cap) {
				snprintf(l->err, sizeof(l->err),
					 "received frame of %zd bytes, buffer holds %zu",
					 n, cap);
				errno = EMSGSIZE;
				return -1;
			}
			l->u.pkt.rx++;
			return (int)n;
		}
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(l->err, sizeof(l->err), "receive on %s: %s",
				 l->u.pkt.ifname, strerror(errno));
			return -1;
		}
		now = now_ns();
		if (now >= deadline)
			return 0;
		/* ppoll: ns resolution, where poll() has ms */
		ts.tv_sec = (time_t)((deadline - now) / NSEC_PER_SEC);
		ts.tv_nsec = (long)((deadline - now) % NSEC_PER_SEC);
		r = ppoll(&pfd, 1, &ts, NULL);
		if (r < 0 && errno != EINTR) {
			snprintf(l->err, sizeof(l->err), "poll on %s: %s",
				 l->u.pkt.ifname, strerror(errno));
			return -1;
		}
	}
}

static void pkt_stats(struct ecat_link *l, struct ecat_link_stats *st)
{
	struct tpacket_stats ts;
	socklen_t len = sizeof(ts);

	st->tx_frames = l->u.pkt.tx;
	st->rx_frames = l->u.pkt.rx;
	/* reading clears them: this is the count since the last call */
	if (!getsockopt(l->u.pkt.fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len))
		st->rx_dropped = ts.tp_drops;
}

/* IFF_RUNNING: the kernel driver reports carrier */
static int pkt_state(struct ecat_link *l)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->u.pkt.ifname);
	if (ioctl(l->u.pkt.fd, SIOCGIFFLAGS, &ifr))
		return ECAT_LINK_UNKNOWN;
	return ifr.ifr_flags & IFF_RUNNING ? ECAT_LINK_UP : ECAT_LINK_DOWN;
}

static void pkt_close(struct ecat_link *l)
{
	if (l->u.pkt.fd >= 0)
		close(l->u.pkt.fd);
	l->u.pkt.fd = -1;
}

static const struct ecat_link_ops packet_ops = {
	.send = pkt_send,
	.recv = pkt_recv,
	.stats = pkt_stats,
	.state = pkt_state,
	.close = pkt_close,
};

static int fail(struct ecat_link *l, const char *what)
{
	int err = errno;

	snprintf(l->err, sizeof(l->err), "%s %s: %s%s", what, l->u.pkt.ifname,
		 strerror(err), err == EPERM ?
		 " (raw sockets need CAP_NET_RAW, bringing the interface up CAP_NET_ADMIN)" : "");
	if (l->u.pkt.fd >= 0)
		close(l->u.pkt.fd);
	l->u.pkt.fd = -1;
	errno = err;
	return -1;
}

static int wait_carrier(struct ecat_link *l)
{
	uint64_t deadline = now_ns() + CARRIER_TIMEOUT_MS * NSEC_PER_MSEC;
	char path[96], c = '0';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier",
		 l->u.pkt.ifname);
	for (;;) {
		f = fopen(path, "re");
		if (f) {
			c = (char)fgetc(f);
			fclose(f);
		}
		if (c == '1')
			return 0;
		if (now_ns() > deadline) {
			errno = ETIMEDOUT;
			return fail(l, "no carrier within 15 s on");
		}
		usleep(10000);
	}
}

int ecat_link_open_packet(struct ecat_link *l, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct ifreq ifr;
	int one = 1;

	snprintf(l->u.pkt.ifname, sizeof(l->u.pkt.ifname), "%s", ifname);
	l->u.pkt.fd = -1;
	if (netdev_up(ifname))
		return fail(l, "bring up");
	l->u.pkt.ifindex = (int)if_nametoindex(ifname);
	if (!l->u.pkt.ifindex)
		return fail(l, "no interface");
	if (wait_carrier(l))
		return -1;

	l->u.pkt.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (l->u.pkt.fd < 0)
		return fail(l, "AF_PACKET socket for");
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = l->u.pkt.ifindex;
	if (bind(l->u.pkt.fd, (struct sockaddr *)&sll, sizeof(sll)))
		return fail(l, "bind to");
	mr.mr_ifindex = l->u.pkt.ifindex;
	if (setsockopt(l->u.pkt.fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)))
		return fail(l, "promiscuous mode on");
	/* since Linux 4.20; older kernels are handled in pkt_recv() */
	(void)setsockopt(l->u.pkt.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			 sizeof(one));

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(l->u.pkt.fd, SIOCGIFHWADDR, &ifr))
		return fail(l, "MAC address of");
	memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	snprintf(l->desc, sizeof(l->desc), "AF_PACKET %s%s%s%s", ifname,
		 l->bdf[0] ? " (" : "", l->bdf, l->bdf[0] ? ")" : "");
	l->ops = &packet_ops;
	return 0;
}
