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
#include <string.h>
#include <unistd.h>

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
	const struct passwd *pw;
	const struct group *gr;
	uid_t uid;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(err, errlen, "user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			(void)snprintf(err, errlen, "group %s: %s", group,
			    errno != 0 ? strerror(errno) : "no such group");
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (uid == geteuid() && gid == getegid())
			return 0;
		(void)snprintf(err, errlen, "user %s: switching to another "
		    "user needs root; echod runs as uid %ld", user,
		    (long)geteuid());
		return -1;
	}
	if (initgroups(user, gid) == -1 || setresgid(gid, gid, gid) == -1) {
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
