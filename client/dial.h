/*
 * dial: resolve a host and port and connect to the first address that
 * answers.  Prints nothing: progress goes to an optional callback.
 */
#ifndef ECHOD_CLIENT_DIAL_H
#define ECHOD_CLIENT_DIAL_H

#include <stddef.h>

/*
 * Connect to host:port over TCP, trying every address getaddrinfo returns
 * for family (AF_UNSPEC, AF_INET or AF_INET6) in turn, each for at most
 * timeout_ms (-1: no limit).  note, unless NULL, is handed one line for
 * each attempt and its outcome ("trying ::1 port 7", "connect to ::1 port
 * 7: Connection refused", "connected to ...").  Returns a non-blocking,
 * close-on-exec socket with TCP_NODELAY set, or -1 with the reason in err.
 */
int	dial_tcp(const char *host, const char *port, int family,
	    int timeout_ms, void (*note)(const char *line), char *err,
	    size_t errlen);

/*
 * A UDP socket connected to host:port, so that it sends there and hears
 * only from there.  UDP has no handshake to tell which address answers:
 * the first address getaddrinfo returns for family that a socket can be
 * connected to is taken.  note is as for dial_tcp ("sending to ::1 port
 * 7").  Returns a non-blocking, close-on-exec socket, or -1 with the
 * reason in err.
 */
int	dial_udp(const char *host, const char *port, int family,
	    void (*note)(const char *line), char *err, size_t errlen);

#endif
