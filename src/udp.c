/*
 * udp: the UDP echo service, served by the parent, and its safeguards.
 *
 * An open UDP echo service can be abused: a datagram with a spoofed
 * source from another small service (chargen, another echo) starts a
 * loop between the two, and any source address can be a victim that the
 * replies are reflected at.  So datagrams from port 0 and from the ports
 * of services that answer datagrams are dropped, and each source address
 * (an IPv4 address or an IPv6 /64) is held to udp-rate datagrams a second.
 */
#include "udp.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "table.h"

/* Datagrams echoed per socket and wake-up. */
#define UDP_BATCH 64
/* Largest UDP payload over IPv4 (65535 - 8 - 20); IPv6 allows 8 more. */
#define UDP_BUF_SIZE 65536
/* Sources remembered for the rate limit; a flood of spoofed ones stops here. */
#define UDP_SOURCES_MAX 65536

/*
 * Source ports of services that answer datagrams: replying to them could
 * start an endless exchange, or reflect traffic at them.
 */
static const unsigned short risky_ports[] = {
	0,	/* not a valid source */
	7,	/* echo */
	9,	/* discard */
	13,	/* daytime */
	17,	/* quote of the day */
	19,	/* chargen */
	37,	/* time */
	53,	/* domain */
	69,	/* tftp */
	111,	/* portmap */
	123,	/* ntp */
	137,	/* netbios-ns */
	161,	/* snmp */
	389,	/* cldap */
	520,	/* rip */
	1900,	/* ssdp */
	3702,	/* ws-discovery */
	5353,	/* mdns */
	11211,	/* memcached */
};

struct udp_service {
	char *buf;
	struct table sources;	/* addr_client_key -> bucket (see below) */
	struct udp_stats stats;
	struct log_ratelimit rl_port;
	struct log_ratelimit rl_rate;
	struct log_ratelimit rl_send;
	struct log_ratelimit rl_full;
};

/*
 * A source's token bucket in one table value: the time of its last refill
 * in milliseconds above bit 20, the tokens left below (udp-rate is at
 * most 1,000,000 < 2^20).
 */
#define TOKEN_BITS 20
#define TOKEN_MASK ((UINT64_C(1) << TOKEN_BITS) - 1)

struct udp_service *
udp_create(void)
{
	return calloc(1, sizeof(struct udp_service));
}

void
udp_free(struct udp_service *u)
{
	if (u == NULL)
		return;
	free(u->buf);
	table_free(&u->sources);
	free(u);
}

void
udp_stats(const struct udp_service *u, struct udp_stats *out)
{
	*out = u->stats;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;	/* cannot fail for MONOTONIC */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
is_risky_port(unsigned port)
{
	for (size_t i = 0; i < sizeof(risky_ports) / sizeof(risky_ports[0]);
	    i++)
		if (risky_ports[i] == port)
			return true;
	return false;
}

/*
 * Refill a bucket until NOW at RATE tokens a second.  The refill time
 * advances only by the time the whole tokens added stand for, so that
 * frequent datagrams do not lose the fractions.
 */
static uint64_t
refill(uint64_t bucket, uint64_t now, unsigned rate)
{
	uint64_t last = bucket >> TOKEN_BITS;
	uint64_t tokens = bucket & TOKEN_MASK;
	uint64_t added = (now - last) * rate / 1000;

	if (added == 0)
		return bucket;
	tokens += added;
	if (tokens >= rate)
		return now << TOKEN_BITS | rate;
	last += added * 1000 / rate;
	return last << TOKEN_BITS | tokens;
}

/*
 * Forget sources whose bucket is full again: having them or not is the
 * same.  Run when the table is full, so a flood costs one sweep a while.
 */
static void
forget_idle_sources(struct udp_service *u, uint64_t now, unsigned rate)
{
	for (size_t i = 0; i < u->sources.cap; i++) {
		struct table_entry *e = &u->sources.slots[i];

		/* Removal shifts later entries back: look at slot i again. */
		while (e->key != 0 &&
		    (refill(e->value, now, rate) & TOKEN_MASK) >= rate)
			(void)table_remove(&u->sources, e->key, NULL);
	}
}

enum token {
	TOKEN_TAKEN,
	TOKEN_NONE,		/* the source is over udp-rate */
	TOKEN_NO_ROOM,		/* too many sources to track another */
};

/* Whether a datagram from SA is within udp-rate; takes a token if so. */
static enum token
take_token(struct udp_service *u, const struct echod_config *cfg,
    const struct sockaddr *sa)
{
	uint64_t key = addr_client_key(sa);
	uint64_t now = now_ms();
	struct table_entry *e = table_find(&u->sources, key);
	uint64_t bucket;

	if (e == NULL) {
		if (u->sources.count >= UDP_SOURCES_MAX)
			forget_idle_sources(u, now, cfg->udp_rate);
		if (u->sources.count >= UDP_SOURCES_MAX ||
		    table_reserve(&u->sources) == -1) {
			return TOKEN_NO_ROOM;
		}
		e = table_insert(&u->sources, key);
		bucket = now << TOKEN_BITS | cfg->udp_rate;
	} else {
		bucket = refill(e->value, now, cfg->udp_rate);
	}
	if ((bucket & TOKEN_MASK) == 0) {
		e->value = bucket;
		return TOKEN_NONE;
	}
	e->value = bucket - 1;
	return TOKEN_TAKEN;
}

static bool
admit(struct udp_service *u, const struct echod_config *cfg,
    const struct sockaddr *sa)
{
	char name[ADDR_TEXT_MAX];
	unsigned port = addr_port(sa);

	if (is_risky_port(port)) {
		u->stats.dropped_port++;
		if (log_enabled(LEVEL_NOTICE)) {
			addr_format(sa, name, sizeof(name));
			log_limited(&u->rl_port, LEVEL_NOTICE, "udp: dropped a "
			    "datagram from %s: source port %u is a service "
			    "port", name, port);
		}
		return false;
	}
	if (cfg->udp_rate == 0)
		return true;
	switch (take_token(u, cfg, sa)) {
	case TOKEN_TAKEN:
		return true;
	case TOKEN_NO_ROOM:
		u->stats.dropped_rate++;
		log_limited(&u->rl_full, LEVEL_WARNING, "udp: too many sources "
		    "at once, dropping datagrams from new ones");
		return false;
	case TOKEN_NONE:
		u->stats.dropped_rate++;
		if (log_enabled(LEVEL_NOTICE)) {
			addr_format(sa, name, sizeof(name));
			log_limited(&u->rl_rate, LEVEL_NOTICE, "udp: dropped a "
			    "datagram from %s: over udp-rate %u a second",
			    name, cfg->udp_rate);
		}
		return false;
	}
	return false;
}

/*
 * The reply's control message: the datagram's destination address as its
 * source (see want_destination_address in listener.c).  IPV6_PKTINFO
 * also carries an IPv4 destination on a dual-stack socket, as ::ffff:a.b.c.d.
 */
static void
answer_from_destination(struct msghdr *in, struct msghdr *out)
{
	struct cmsghdr *c;
	struct cmsghdr *reply = CMSG_FIRSTHDR(out);

	out->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			/* The interface too: it scopes a link-local address. */
			reply->cmsg_level = IPPROTO_IPV6;
			reply->cmsg_type = IPV6_PKTINFO;
			reply->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(reply), CMSG_DATA(c),
			    sizeof(struct in6_pktinfo));
			out->msg_controllen =
			    CMSG_SPACE(sizeof(struct in6_pktinfo));
			return;
		}
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo info;

			memcpy(&info, CMSG_DATA(c), sizeof(info));
			info.ipi_ifindex = 0;	/* leave the route to routing */
			reply->cmsg_level = IPPROTO_IP;
			reply->cmsg_type = IP_PKTINFO;
			reply->cmsg_len = CMSG_LEN(sizeof(info));
			memcpy(CMSG_DATA(reply), &info, sizeof(info));
			out->msg_controllen = CMSG_SPACE(sizeof(info));
			return;
		}
	}
}

void
udp_serve(struct udp_service *u, const struct echod_config *cfg, int fd)
{
	union control {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		    CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cin, cout;
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	struct iovec iov;
	struct msghdr in = {
		.msg_name = &ss,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cin.buf,
	};
	struct msghdr out = {
		.msg_name = &ss,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cout.buf,
	};
	ssize_t n;

	if (u->buf == NULL && (u->buf = malloc(UDP_BUF_SIZE)) == NULL) {
		log_warn("udp");
		return;
	}
	for (int i = 0; i < UDP_BATCH; i++) {
		iov.iov_base = u->buf;
		iov.iov_len = UDP_BUF_SIZE;
		in.msg_namelen = sizeof(ss);
		in.msg_controllen = sizeof(cin.buf);
		n = recvmsg(fd, &in, MSG_DONTWAIT);
		if (n == -1) {
			/* EAGAIN: none left; an ICMP error for an earlier
			 * reply (ECONNREFUSED...) concerns that one only. */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		if (!admit(u, cfg, sa))
			continue;
		iov.iov_len = (size_t)n;
		out.msg_namelen = in.msg_namelen;
		out.msg_controllen = sizeof(cout.buf);
		answer_from_destination(&in, &out);
		if (out.msg_controllen == 0)
			out.msg_control = NULL;
		if (sendmsg(fd, &out, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
			u->stats.dropped_send++;
			log_limited(&u->rl_send, LEVEL_WARNING,
			    "udp: unable to reply: %s", strerror(errno));
		} else {
			u->stats.echoed++;
		}
		out.msg_control = cout.buf;
	}
}
