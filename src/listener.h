/* listener: the listening sockets: resolve, bind, listen, keep on reload. */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct listener {
	int fd;
	int type;			/* SOCK_STREAM or SOCK_DGRAM */
	char *addr;			/* as configured: "*", "::1", ... */
	unsigned port;			/* the port actually bound */
	char name[ADDR_TEXT_MAX];	/* "[::]:7", for logs */
};

struct listener_set {
	struct listener *items;
	size_t count;
};

/*
 * listener_update: make SET listen on ADDRS at PORT over TCP, and with
 * UDP over UDP too.  Sockets whose address, port and protocol stay are
 * kept as they are; new ones are bound before any old one is closed.
 * With PORT 0 the kernel picks a port for the first new socket and the
 * others share it.  Returns 0, or -1 with a message in ERR and SET
 * unchanged.
 */
int	listener_update(struct listener_set *set, char *const *addrs,
	    size_t count, unsigned port, bool udp, char *err, size_t errlen);

/*
 * listener_passed_count: how many listening sockets a service manager
 * passed from descriptor 3 on (LISTEN_FDS, when LISTEN_PID is ours, as
 * sd_listen_fds(3) describes), or 0.  Removes the variables from the
 * environment, so that children never see them.
 */
int	listener_passed_count(void);

/*
 * listener_adopt: take COUNT passed sockets from descriptor 3 on into an
 * empty SET.  Returns 0, or -1 with a message in ERR.
 */
int	listener_adopt(struct listener_set *set, int count, char *err,
	    size_t errlen);

/* listener_close_all: close every socket of SET and free it. */
void	listener_close_all(struct listener_set *set);

/* listener_close_fds: in a child, close the sockets without freeing. */
void	listener_close_fds(const struct listener_set *set);

#endif
