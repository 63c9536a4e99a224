/* io: echo-client's retries, and its standard output written whole. */
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

bool
io_is_retry_error(int err)
{
	return err == EINTR || err == EAGAIN || err == EWOULDBLOCK;
}

int
io_write_stdout(const unsigned char *buf, size_t len)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = EIO;	/* nothing written, no reason given */
			return -1;
		}
		if (!io_is_retry_error(errno))
			return -1;
		if (errno != EINTR && poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}
