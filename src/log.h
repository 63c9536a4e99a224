/* log: where messages go (stderr until detached, then syslog) and levels. */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

#include <stdbool.h>
#include <time.h>

/* Levels are syslog priorities, so that they can be handed to syslog(3). */
enum log_level {
	LEVEL_ERROR = 3,	/* LOG_ERR */
	LEVEL_WARNING = 4,	/* LOG_WARNING */
	LEVEL_NOTICE = 5,	/* LOG_NOTICE */
	LEVEL_INFO = 6,		/* LOG_INFO */
	LEVEL_DEBUG = 7,	/* LOG_DEBUG */
};

/*
 * Lets through at most one message a second; the messages held back are
 * counted so that the next one let through can say how many there were.
 */
struct log_ratelimit {
	struct timespec next;
	unsigned long suppressed;
};

/*
 * Messages go to stderr from log_init on; log_to_syslog adds syslog, and
 * log_stderr_off stops stderr (once it is /dev/null, or a client's socket).
 */
void	log_init(const char *ident);
void	log_to_syslog(int facility);
void	log_stderr_off(void);
void	log_set_level(enum log_level level);
void	log_set_facility(int facility);
bool	log_enabled(enum log_level level);

void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	log_fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_limited: log at LEVEL unless RL has let a message through within the
 * last second.  Returns whether the message was logged.
 */
bool	log_limited(struct log_ratelimit *rl, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
