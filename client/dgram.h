/* dgram: echo-client over UDP, one datagram at a time. */
#ifndef ECHOD_CLIENT_DGRAM_H
#define ECHOD_CLIENT_DGRAM_H

#include <stddef.h>

/* The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define DGRAM_MAX_SIZE	65507

/*
 * Send standard input as datagrams over the connected, non-blocking UDP
 * socket sock and write each reply to standard output.  With chunk_size
 * 0, each line (without its newline) is one datagram and each reply is
 * written with a newline after it; otherwise the input is cut into
 * chunks of chunk_size bytes and the replies are written as they are.
 * Each datagram waits up to wait_ms (-1: forever) for its reply before
 * the next is sent.  Lost and mismatched datagrams are reported on
 * standard error as they happen.  Returns 0 when every datagram came
 * back exactly, or -1 with the reason in err.
 */
int	dgram_run(int sock, size_t chunk_size, int wait_ms, char *err,
	    size_t errlen);

#endif
