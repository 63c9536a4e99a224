/* diag: echo-client's messages on standard error, one line each. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static bool verbose;

static void	emit(const char *fmt, va_list ap)
		    __attribute__((format(printf, 1, 0)));

void
diag_set_verbose(bool on)
{
	verbose = on;
}

bool
diag_is_verbose(void)
{
	return verbose;
}

/*
 * Build the whole line first and hand it to stderr in one call, so that
 * it is not interleaved with another process writing to the same place.
 */
static void
emit(const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* Nothing useful can be done when stderr itself fails. */
	(void)fprintf(stderr, "echo-client: %s\n", line);
}

void
diag_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void
diag_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}
