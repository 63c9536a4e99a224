/* io: echo-client's retries, and its standard output written whole. */
#ifndef ECHOD_CLIENT_IO_H
#define ECHOD_CLIENT_IO_H

#include <stdbool.h>
#include <stddef.h>

/* Errors after which a non-blocking descriptor is simply tried again. */
bool	io_is_retry_error(int err);

/*
 * Write all of BUF to standard output, waiting with poll() should someone
 * have made it non-blocking.  Returns 0, or -1 with errno.
 */
int	io_write_stdout(const unsigned char *buf, size_t len);

#endif
