/* diag: echo-client's messages on standard error. */
#ifndef ECHOD_CLIENT_DIAG_H
#define ECHOD_CLIENT_DIAG_H

#include <stdbool.h>

void	diag_set_verbose(bool on);
bool	diag_is_verbose(void);
void	diag_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	diag_verbose(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
