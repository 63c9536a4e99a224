/* log: where messages go (stderr until detached, then syslog) and levels. */
#include "log.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char *log_ident = "echod";
static bool use_syslog;
static bool use_stderr = true;
static bool stderr_is_journal;	/* lines carry "<N>" for the level */
static enum log_level max_level = LEVEL_INFO;

static const char *const level_names[] = {
	[LEVEL_ERROR] = "error",
	[LEVEL_WARNING] = "warning",
	[LEVEL_NOTICE] = "notice",
	[LEVEL_INFO] = "info",
	[LEVEL_DEBUG] = "debug",
};

/*
 * Under systemd, stderr may be a stream into the journal, which adds the
 * name and pid itself and reads a "<N>" prefix as the syslog level.
 * JOURNAL_STREAM names that stream's device and inode.
 */
static bool
is_journal_stream(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev;
	unsigned long long ino;
	struct stat sb;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(fd, &sb) == -1)
		return false;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(const char *ident)
{
	log_ident = ident;
	use_syslog = false;
	use_stderr = true;
	stderr_is_journal = is_journal_stream(STDERR_FILENO);
}

void
log_to_syslog(int facility)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
	use_syslog = true;
}

void
log_stderr_off(void)
{
	use_stderr = false;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

/* A new facility needs a new openlog; before detaching, nothing to do. */
void
log_set_facility(int facility)
{
	if (use_syslog)
		log_to_syslog(facility);
}

bool
log_enabled(enum log_level level)
{
	return level <= max_level;
}

/*
 * The one place that writes: a single write(2) per line on stderr, so that
 * lines from the parent and its children never interleave mid-line.
 */
static void
vlog(enum log_level level, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
vlog(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];
	char line[1200];
	int n;

	if (!log_enabled(level))
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is fine */
	if (use_syslog) {
		if (suffix != NULL)
			syslog(level, "%s: %s", msg, suffix);
		else
			syslog(level, "%s", msg);
	}
	if (!use_stderr)
		return;
	if (stderr_is_journal)
		n = snprintf(line, sizeof(line), "<%d>%s%s%s\n", level, msg,
		    suffix != NULL ? ": " : "", suffix != NULL ? suffix : "");
	else
		n = snprintf(line, sizeof(line), "%s[%ld]: %s: %s%s%s\n",
		    log_ident, (long)getpid(), level_names[level], msg,
		    suffix != NULL ? ": " : "", suffix != NULL ? suffix : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* Nowhere to report a failed write to stderr. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	const char *reason = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_WARNING, reason, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	const char *reason = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_ERROR, reason, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

static bool
timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

bool
log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt,
    ...)
{
	struct timespec now;
	char msg[1024];
	va_list ap;

	if (!log_enabled(level))
		return false;
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return false;
	if (timespec_before(&now, &rl->next)) {
		rl->suppressed++;
		return false;
	}
	rl->next = now;
	rl->next.tv_sec += 1;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is fine */
	va_end(ap);
	if (rl->suppressed > 0)
		log_msg(level, "%s (%lu similar suppressed)", msg,
		    rl->suppressed);
	else
		log_msg(level, "%s", msg);
	rl->suppressed = 0;
	return true;
}
