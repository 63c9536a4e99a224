/* udp: the UDP echo service, served by the parent, and its safeguards. */
#ifndef ECHOD_UDP_H
#define ECHOD_UDP_H

#include <stdint.h>

#include "config.h"

struct udp_service;

struct udp_stats {
	uint64_t echoed;
	uint64_t dropped_port;	/* from port 0 or a service port: loops */
	uint64_t dropped_rate;	/* over udp-rate for their source */
	uint64_t dropped_send;	/* the reply could not be sent */
};

/* Returns NULL with errno.  Its buffer is allocated on first use only. */
struct udp_service *udp_create(void);
void	udp_free(struct udp_service *u);

/*
 * udp_serve: echo a bounded batch of the datagrams waiting on FD, so that
 * TCP clients are never starved by a flood.
 */
void	udp_serve(struct udp_service *u, const struct echod_config *cfg,
	    int fd);

void	udp_stats(const struct udp_service *u, struct udp_stats *out);

#endif
