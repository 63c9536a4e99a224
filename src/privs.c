/* privs: giving up root and capabilities. */
#include "privs.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Supplementary groups of the user echod switches to, at most. */
#define GROUPS_MAX 256

/* Set the effective and permitted capability sets to CAPS (a bit mask). */
static int
set_capabilities(uint64_t caps)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)caps, .permitted = (uint32_t)caps },
		{ .effective = (uint32_t)(caps >> 32),
		  .permitted = (uint32_t)(caps >> 32) },
	};

	/* glibc has no wrapper; libcap would be a dependency for one call. */
	return (int)syscall(SYS_capset, &header, data);
}

int
privs_find_user(const char *name, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;
	FILE *f;
	int rc = -1;

	if ((f = fopen(PRIVS_PASSWD, "re")) == NULL)
		return -1;
	while ((pw = fgetpwent(f)) != NULL) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			rc = 0;
			break;
		}
	}
	(void)fclose(f);	/* read-only */
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

int
privs_find_group(const char *name, gid_t *gid)
{
	const struct group *gr;
	FILE *f;
	int rc = -1;

	if ((f = fopen(PRIVS_GROUP, "re")) == NULL)
		return -1;
	while ((gr = fgetgrent(f)) != NULL) {
		if (strcmp(gr->gr_name, name) == 0) {
			*gid = gr->gr_gid;
			rc = 0;
			break;
		}
	}
	(void)fclose(f);	/* read-only */
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

/* GID, and every group of PRIVS_GROUP that lists USER, as setgroups wants. */
static int
set_groups(const char *user, gid_t gid)
{
	gid_t list[GROUPS_MAX];
	const struct group *gr;
	size_t n = 0;
	FILE *f;

	list[n++] = gid;
	if ((f = fopen(PRIVS_GROUP, "re")) == NULL)
		return -1;
	while ((gr = fgetgrent(f)) != NULL && n < GROUPS_MAX) {
		if (gr->gr_gid == gid)
			continue;
		for (char *const *m = gr->gr_mem; *m != NULL; m++) {
			if (strcmp(*m, user) == 0) {
				list[n++] = gr->gr_gid;
				break;
			}
		}
	}
	(void)fclose(f);	/* read-only */
	return setgroups(n, list);
}

bool
privs_have_capabilities(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	/* If the kernel will not say, assume there are some to drop. */
	if (syscall(SYS_capget, &header, data) == -1)
		return true;
	return (data[0].permitted | data[1].permitted |
	    data[0].effective | data[1].effective) != 0;
}

int
privs_drop_capabilities(void)
{
	return set_capabilities(0);
}

int
privs_drop(const char *user, const char *group, bool keep_bind, char *err,
    size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (privs_find_user(user, &uid, &gid) == -1) {
		(void)snprintf(err, errlen, "user %s: %s", user,
		    errno == ENOENT ? "no such user in " PRIVS_PASSWD :
		    strerror(errno));
		return -1;
	}
	if (group != NULL && privs_find_group(group, &gid) == -1) {
		(void)snprintf(err, errlen, "group %s: %s", group,
		    errno == ENOENT ? "no such group in " PRIVS_GROUP :
		    strerror(errno));
		return -1;
	}
	if (geteuid() != 0) {
		if (uid == geteuid() && gid == getegid())
			return 0;
		(void)snprintf(err, errlen, "user %s: switching to another "
		    "user needs root; echod runs as uid %ld", user,
		    (long)geteuid());
		return -1;
	}
	if (set_groups(user, gid) == -1 || setresgid(gid, gid, gid) == -1) {
		(void)snprintf(err, errlen, "group of %s: %s", user,
		    strerror(errno));
		return -1;
	}
	/* Keep the permitted set across setuid, to keep one capability. */
	if (keep_bind && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1)
		goto fail;
	if (setresuid(uid, uid, uid) == -1)
		goto fail;
	if (keep_bind && prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) == -1)
		goto fail;
	if (uid != 0 && set_capabilities(keep_bind ?
	    (uint64_t)1 << CAP_NET_BIND_SERVICE : 0) == -1)
		goto fail;
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		(void)snprintf(err, errlen, "user %s: root could be regained "
		    "after the switch", user);
		return -1;
	}
	return 0;
fail:
	(void)snprintf(err, errlen, "user %s: %s", user, strerror(errno));
	return -1;
}
