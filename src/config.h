/* config: struct echod_config, its defaults, parsing and validation. */
#ifndef ECHOD_CONFIG_H
#define ECHOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Longest config line accepted, not counting its line break. */
#define CONFIG_LINE_MAX 4095

enum accept_policy {
	POLICY_PAUSE,	/* at the limit, leave new clients in the backlog */
	POLICY_REJECT,	/* at the limit, accept new clients and close them */
};

struct echod_config {
	char **listen;		/* "*" or numeric addresses, canonical form */
	size_t listen_count;
	unsigned port;
	char *pidfile;
	char *user;			/* NULL: keep the user echod runs as */
	char *group;			/* NULL: the user's primary group */
	bool udp;			/* UDP echo beside TCP */
	unsigned max_children;
	enum accept_policy policy;
	unsigned idle_timeout_s;	/* 0: never */
	unsigned max_per_ip;		/* children per client; 0: any */
	unsigned max_rate;		/* new clients a second; 0: any */
	unsigned udp_rate;		/* datagrams/s per source; 0: any */
	enum log_level log_level;
	int log_facility;		/* LOG_DAEMON, LOG_LOCAL0, ... */
};

/*
 * config_load: read PATH (named NAME in messages) into a new config.
 * config_parse: the same from TEXT of LEN bytes.
 * Both return 0, or -1 with "NAME:LINE: message" (or "NAME: reason") in ERR;
 * on failure *OUT is untouched.
 */
int	config_load(const char *path, const char *name,
	    struct echod_config **out, char *err, size_t errlen);
int	config_parse(const char *text, size_t len, const char *name,
	    struct echod_config **out, char *err, size_t errlen);
void	config_free(struct echod_config *cfg);

const char *config_policy_name(enum accept_policy policy);

/*
 * config_describe_changes: "max-children 64 -> 2, policy pause -> reject",
 * or "" when nothing differs.
 */
void	config_describe_changes(const struct echod_config *old,
	    const struct echod_config *new, char *buf, size_t buflen);

/* config_copy_listen: give TO the listen, port and udp of FROM (0 or -1). */
int	config_copy_listen(struct echod_config *to,
	    const struct echod_config *from);

bool	config_same_listen(const struct echod_config *a,
	    const struct echod_config *b);

#endif
