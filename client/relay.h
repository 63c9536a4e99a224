/* relay: copy stdin to the server and the echo to stdout, and check it. */
#ifndef ECHOD_CLIENT_RELAY_H
#define ECHOD_CLIENT_RELAY_H

#include <stddef.h>

/*
 * Send everything on standard input over the connected, non-blocking
 * socket sock and write what comes back to standard output, both at once;
 * half-close at the end of input and read on until the server closes.
 * Gives up once nothing has moved for idle_ms (-1: never).  Returns 0 when
 * the server echoed exactly the bytes sent, or -1 with the reason in err.
 */
int	relay_run(int sock, int idle_ms, char *err, size_t errlen);

#endif
