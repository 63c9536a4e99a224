/* privs: giving up root and capabilities. */
#ifndef ECHOD_PRIVS_H
#define ECHOD_PRIVS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Accounts are looked up in these files, not through the name service
 * switch: echod is linked statically (see the Makefile), and a service
 * account belongs in the local files anyway.
 */
#define PRIVS_PASSWD "/etc/passwd"
#define PRIVS_GROUP "/etc/group"

/* privs_find_user: the uid and primary gid of NAME; -1 with errno (ENOENT). */
int	privs_find_user(const char *name, uid_t *uid, gid_t *gid);

/* privs_find_group: the gid of NAME; -1 with errno (ENOENT). */
int	privs_find_group(const char *name, gid_t *gid);

/*
 * privs_drop: become USER, in GROUP (NULL: the user's primary group) and
 * the groups of PRIVS_GROUP that list the user as a member.  With
 * KEEP_BIND the process keeps CAP_NET_BIND_SERVICE and nothing else, so
 * that a reload can still bind a port below 1024.  Checks that root
 * cannot be regained.  Not started as root, only a switch to the user
 * echod already runs as succeeds.
 * Returns 0, or -1 with a message in ERR.
 */
int	privs_drop(const char *user, const char *group, bool keep_bind,
	    char *err, size_t errlen);

/* privs_have_capabilities: whether the process holds any capability. */
bool	privs_have_capabilities(void);

/* privs_drop_capabilities: clear every capability set of the process. */
int	privs_drop_capabilities(void);

#endif
