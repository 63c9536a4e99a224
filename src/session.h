/* session: a child's echo loop for one client. */
#ifndef ECHOD_SESSION_H
#define ECHOD_SESSION_H

#include <sys/socket.h>

#include <stdint.h>

/*
 * session_run: echo everything read from FD back to it until the client
 * closes its side, then close FD.  A client that makes no progress for
 * IDLE_TIMEOUT_S seconds (0: never) is closed.  Logs the session's opening
 * and end for PEER.  Bytes echoed are added, as they go, to *ECHOED_TOTAL
 * unless it is NULL (it lies in memory shared with the parent).  Returns
 * the exit status for the child: 0 when the client closed cleanly, 1
 * otherwise.
 */
int	session_run(int fd, const struct sockaddr *peer,
	    unsigned idle_timeout_s, uint64_t *echoed_total);

#endif
