/* addr: socket addresses as people read them. */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* "192.0.2.7:51234" or "[2001:db8::7]:51234"; room for either. */
#define ADDR_TEXT_MAX 64

/*
 * addr_format: write SA as text into BUF.  An IPv4 client on a dual-stack
 * socket (::ffff:a.b.c.d) is written as the IPv4 address it is.
 */
void	addr_format(const struct sockaddr *sa, char *buf, size_t buflen);

/*
 * addr_parse: an IPv4 or IPv6 literal (an IPv6 one bare or in brackets,
 * with an optional %zone) and PORT into SS.  Returns 0, or -1 when TEXT
 * is no such literal.  Numeric only: no name service is asked.
 */
int	addr_parse(const char *text, unsigned port, struct sockaddr_storage *ss,
	    socklen_t *len);

/* addr_format_host: the address of SA alone, as addr_parse reads it. */
void	addr_format_host(const struct sockaddr *sa, char *buf, size_t buflen);

/* addr_port: the port of an IPv4 or IPv6 SA, in host order. */
unsigned addr_port(const struct sockaddr *sa);

/*
 * addr_client_key: the unit that per-client limits count, as a non-zero
 * key: an IPv4 address (also when it arrives as ::ffff:a.b.c.d on a
 * dual-stack socket), or the /64 prefix of an IPv6 one, since a single
 * host on IPv6 usually has a whole /64 to pick addresses from.  IPv4 keys
 * lie in 0:1::/32, a prefix that is reserved and never seen on the net.
 */
uint64_t addr_client_key(const struct sockaddr *sa);

#endif
