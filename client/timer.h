/* timer: monotonic milliseconds and poll timeouts for deadlines. */
#ifndef ECHOD_CLIENT_TIMER_H
#define ECHOD_CLIENT_TIMER_H

#include <stdint.h>

/* A deadline that never comes. */
#define TIMER_NEVER	INT64_MAX

int64_t	timer_now_ms(void);
int	timer_poll_timeout(int64_t deadline_ms);

#endif
