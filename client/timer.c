/* timer: monotonic milliseconds and poll timeouts for deadlines. */
#include "timer.h"

#include <limits.h>
#include <stdlib.h>
#include <time.h>

int64_t
timer_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		abort();
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The timeout argument for poll() that wakes up at deadline_ms: -1 for
 * TIMER_NEVER, 0 once it has passed.
 */
int
timer_poll_timeout(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms == TIMER_NEVER)
		return -1;
	left = deadline_ms - timer_now_ms();
	if (left <= 0)
		return 0;
	if (left > INT_MAX)
		return INT_MAX;
	return (int)left;
}
