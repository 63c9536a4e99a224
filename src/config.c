/* config: struct echod_config, its defaults, parsing and validation. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "privs.h"

#define CONFIG_SIZE_MAX (1024 * 1024)
#define LISTEN_MAX 64
#define KEY_COUNT 14	/* entries in keys[] */

/*
 * The parser state shared by the line reader and the key handler.  inih
 * (as Debian builds it) does not pass line numbers to the handler, so the
 * reader counts lines itself: the handler always runs for the line the
 * reader returned last.
 */
struct parse_state {
	struct echod_config *cfg;
	const char *name;
	const char *pos;
	const char *end;
	int lineno;
	int seen_on_line[KEY_COUNT];	/* per keys[] entry: where it was set */
	char *err;
	size_t errlen;
	bool failed;
};

typedef int parse_fn(struct echod_config *, const char *value,
    char *why, size_t whylen);

struct key {
	const char *section;
	const char *name;
	parse_fn *parse;
};

static parse_fn parse_listen;
static parse_fn parse_port;
static parse_fn parse_pidfile;
static parse_fn parse_user;
static parse_fn parse_group;
static parse_fn parse_max_per_ip;
static parse_fn parse_max_rate;
static parse_fn parse_udp;
static parse_fn parse_udp_rate;
static parse_fn parse_max_children;
static parse_fn parse_policy;
static parse_fn parse_idle_timeout;
static parse_fn parse_level;
static parse_fn parse_facility;

static const struct key keys[] = {
	{ "server", "listen", parse_listen },
	{ "server", "port", parse_port },
	{ "server", "pidfile", parse_pidfile },
	{ "server", "user", parse_user },
	{ "server", "group", parse_group },
	{ "server", "udp", parse_udp },
	{ "limits", "max-children", parse_max_children },
	{ "limits", "policy", parse_policy },
	{ "limits", "idle-timeout", parse_idle_timeout },
	{ "limits", "max-per-ip", parse_max_per_ip },
	{ "limits", "max-rate", parse_max_rate },
	{ "limits", "udp-rate", parse_udp_rate },
	{ "log", "level", parse_level },
	{ "log", "facility", parse_facility },
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) == KEY_COUNT,
    "KEY_COUNT must match keys[]");

static const char *const sections[] = { "server", "limits", "log" };

struct name_value {
	const char *name;
	int value;
};

static const struct name_value levels[] = {
	{ "error", LEVEL_ERROR },
	{ "warning", LEVEL_WARNING },
	{ "notice", LEVEL_NOTICE },
	{ "info", LEVEL_INFO },
	{ "debug", LEVEL_DEBUG },
};

static const struct name_value facilities[] = {
	{ "daemon", LOG_DAEMON },
	{ "user", LOG_USER },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
fail(struct parse_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keep the first error only: it is the one reported. */
static void
fail(struct parse_state *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (st->failed)
		return;
	st->failed = true;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is fine */
	va_end(ap);
	(void)snprintf(st->err, st->errlen, "%s:%d: %s", st->name, st->lineno,
	    msg);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_known_section(const char *name, size_t len)
{
	for (size_t i = 0; i < COUNT(sections); i++)
		if (strlen(sections[i]) == len &&
		    memcmp(sections[i], name, len) == 0)
			return true;
	return false;
}

/*
 * Checks on the line as a whole, which inih cannot make: its length, NUL
 * bytes, the section name (inih does not report empty sections), and the
 * '=' (inih also takes ':' as a separator).
 */
static void
check_line(struct parse_state *st, const char *line, size_t len)
{
	const char *p = line;
	const char *lim = line + len;
	const char *close;
	const char *sep;

	if (memchr(line, '\0', len) != NULL) {
		fail(st, "line contains a NUL byte");
		return;
	}
	while (p < lim && is_blank(*p))
		p++;
	if (p == lim || *p == '#' || *p == ';')
		return;
	if (*p == '[') {
		close = memchr(p, ']', (size_t)(lim - p));
		if (close == NULL)
			fail(st, "section header without ']'");
		else if (!is_known_section(p + 1, (size_t)(close - p - 1)))
			fail(st, "unknown section [%.*s]; expected [server], "
			    "[limits] or [log]", (int)(close - p - 1), p + 1);
		return;
	}
	sep = p;
	while (sep < lim && *sep != '=' && *sep != ':')
		sep++;
	if (sep == lim || *sep != '=')
		fail(st, "expected 'key = value' or '[section]', got '%.*s'",
		    (int)(lim - p > 40 ? 40 : lim - p), p);
}

/* The inih reader: one whole line per call, never split. */
static char *
read_line(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	const char *nl;
	size_t len;
	size_t take;

	if (st->failed || st->pos >= st->end)
		return NULL;
	if (st->lineno == 0 && st->end - st->pos >= 3 &&
	    memcmp(st->pos, "\xEF\xBB\xBF", 3) == 0)
		st->pos += 3;	/* a UTF-8 byte order mark */
	nl = memchr(st->pos, '\n', (size_t)(st->end - st->pos));
	len = nl != NULL ? (size_t)(nl - st->pos) : (size_t)(st->end - st->pos);
	take = nl != NULL ? len + 1 : len;
	st->lineno++;

	if (len > 0 && st->pos[len - 1] == '\r')
		len--;
	if (len > CONFIG_LINE_MAX || take + 1 > (size_t)size) {
		fail(st, "line longer than %d bytes", CONFIG_LINE_MAX);
		return NULL;
	}
	check_line(st, st->pos, len);
	if (st->failed)
		return NULL;
	memcpy(buf, st->pos, take);
	buf[take] = '\0';
	st->pos += take;
	return buf;
}

static int
handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	char why[256];

	if (*section == '\0') {
		fail(st, "key '%s' outside a section", name);
		return 0;
	}
	for (size_t i = 0; i < COUNT(keys); i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (st->seen_on_line[i] != 0) {
			fail(st, "%s: given twice in [%s] (first on line %d)",
			    name, section, st->seen_on_line[i]);
			return 0;
		}
		st->seen_on_line[i] = st->lineno;
		if (keys[i].parse(st->cfg, value, why, sizeof(why)) == -1) {
			fail(st, "%s: %s", name, why);
			return 0;
		}
		return 1;
	}
	fail(st, "unknown key '%s' in [%s]", name, section);
	return 0;
}

/* Digits only, no sign, no spaces, in [min, max]. */
static int
parse_uint(const char *value, unsigned min, unsigned max, unsigned *out,
    char *why, size_t whylen)
{
	unsigned long n = 0;
	const char *p = value;

	if (*p == '\0')
		goto bad;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			goto bad;
	}
	if (n < min)
		goto bad;
	*out = (unsigned)n;
	return 0;
bad:
	(void)snprintf(why, whylen, "expected %u..%u, got '%s'", min, max,
	    value);
	return -1;
}

static int
parse_port(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 1, 65535, &cfg->port, why, whylen);
}

static int
parse_max_children(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 1, 65536, &cfg->max_children, why, whylen);
}

static int
parse_idle_timeout(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 0, 86400, &cfg->idle_timeout_s, why, whylen);
}

static int
parse_max_per_ip(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 0, 65536, &cfg->max_per_ip, why, whylen);
}

static int
parse_max_rate(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 0, 1000000, &cfg->max_rate, why, whylen);
}

static int
parse_udp_rate(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_uint(value, 0, 1000000, &cfg->udp_rate, why, whylen);
}

static int
set_string(char **field, const char *value, char *why, size_t whylen)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		(void)snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* The account must exist now, so that -t catches a misspelt name. */
static int
parse_user(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	uid_t uid;
	gid_t gid;

	if (privs_find_user(value, &uid, &gid) == -1) {
		(void)snprintf(why, whylen, "no such user '%s' in %s%s%s",
		    value, PRIVS_PASSWD, errno != ENOENT ? ": " : "",
		    errno != ENOENT ? strerror(errno) : "");
		return -1;
	}
	return set_string(&cfg->user, value, why, whylen);
}

static int
parse_group(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	gid_t gid;

	if (privs_find_group(value, &gid) == -1) {
		(void)snprintf(why, whylen, "no such group '%s' in %s%s%s",
		    value, PRIVS_GROUP, errno != ENOENT ? ": " : "",
		    errno != ENOENT ? strerror(errno) : "");
		return -1;
	}
	return set_string(&cfg->group, value, why, whylen);
}

static int
parse_pidfile(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	/* A relative path would change meaning once the daemon is in "/". */
	if (value[0] != '/') {
		(void)snprintf(why, whylen,
		    "expected an absolute path, got '%s'", value);
		return -1;
	}
	return set_string(&cfg->pidfile, value, why, whylen);
}

static int
parse_name(const char *value, const struct name_value *table, size_t n,
    int *out, const char *expected, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, value) == 0) {
			*out = table[i].value;
			return 0;
		}
	}
	(void)snprintf(why, whylen, "expected %s, got '%s'", expected, value);
	return -1;
}

static int
parse_policy(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	static const struct name_value policies[] = {
		{ "pause", POLICY_PAUSE },
		{ "reject", POLICY_REJECT },
	};
	int policy;

	if (parse_name(value, policies, COUNT(policies), &policy,
	    "pause or reject", why, whylen) == -1)
		return -1;
	cfg->policy = (enum accept_policy)policy;
	return 0;
}

static int
parse_udp(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	static const struct name_value answers[] = {
		{ "no", 0 },
		{ "yes", 1 },
	};
	int yes;

	if (parse_name(value, answers, COUNT(answers), &yes, "yes or no", why,
	    whylen) == -1)
		return -1;
	cfg->udp = yes;
	return 0;
}

static int
parse_level(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	int level;

	if (parse_name(value, levels, COUNT(levels), &level,
	    "error, warning, notice, info or debug", why, whylen) == -1)
		return -1;
	cfg->log_level = (enum log_level)level;
	return 0;
}

static int
parse_facility(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	return parse_name(value, facilities, COUNT(facilities),
	    &cfg->log_facility, "daemon, user or local0..local7", why, whylen);
}

/*
 * One address of a listen list, as an IPv4 or IPv6 literal (an IPv6 one
 * may be in brackets), turned into its canonical text so that "::1" and
 * "0::1" are seen to be the same.
 */
static int
canonical_address(const char *token, char *out, size_t outlen, char *why,
    size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (addr_parse(token, 0, &ss, &len) == -1 ||
	    (token[0] == '[' && ss.ss_family != AF_INET6)) {
		(void)snprintf(why, whylen, "expected '*' or IPv4 or IPv6 "
		    "addresses, got '%s'", token);
		return -1;
	}
	addr_format_host((struct sockaddr *)&ss, out, outlen);
	return 0;
}

static void
free_listen(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int
parse_listen(struct echod_config *cfg, const char *value, char *why,
    size_t whylen)
{
	char *copy;
	char *token;
	char *save;
	char **list;
	size_t n = 0;
	char canon[ADDR_TEXT_MAX];

	if ((copy = strdup(value)) == NULL ||
	    (list = calloc(LISTEN_MAX, sizeof(*list))) == NULL) {
		free(copy);
		(void)snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	for (token = strtok_r(copy, " \t", &save); token != NULL;
	    token = strtok_r(NULL, " \t", &save)) {
		if (n == LISTEN_MAX) {
			(void)snprintf(why, whylen, "more than %d addresses",
			    LISTEN_MAX);
			goto fail;
		}
		if (strcmp(token, "*") == 0)
			strcpy(canon, "*");
		else if (canonical_address(token, canon, sizeof(canon), why,
		    whylen) == -1)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(list[i], canon) == 0) {
				(void)snprintf(why, whylen, "'%s' given twice",
				    token);
				goto fail;
			}
		}
		if ((list[n] = strdup(canon)) == NULL) {
			(void)snprintf(why, whylen, "%s", strerror(errno));
			goto fail;
		}
		n++;
	}
	if (n == 0) {
		(void)snprintf(why, whylen,
		    "expected '*' or IPv4 or IPv6 addresses, got ''");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (n > 1 && strcmp(list[i], "*") == 0) {
			(void)snprintf(why, whylen,
			    "'*' already means every address; give it alone");
			goto fail;
		}
	}
	free(copy);
	free_listen(cfg->listen, cfg->listen_count);
	cfg->listen = list;
	cfg->listen_count = n;
	return 0;
fail:
	free(copy);
	free_listen(list, n);
	return -1;
}

/* Rules about keys together, told at the line of the key in question. */
static void
check_together(struct parse_state *st)
{
	for (size_t i = 0; i < COUNT(keys); i++) {
		if (strcmp(keys[i].name, "group") != 0 ||
		    st->seen_on_line[i] == 0 || st->cfg->user != NULL)
			continue;
		st->lineno = st->seen_on_line[i];
		fail(st, "group: needs a user to switch to");
	}
}

static struct echod_config *
config_defaults(void)
{
	struct echod_config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->port = 7;
	cfg->max_children = 64;
	cfg->policy = POLICY_PAUSE;
	cfg->idle_timeout_s = 300;
	cfg->udp_rate = 100;
	cfg->log_level = LEVEL_INFO;
	cfg->log_facility = LOG_DAEMON;
	if ((cfg->listen = calloc(1, sizeof(*cfg->listen))) == NULL ||
	    (cfg->listen[0] = strdup("*")) == NULL ||
	    (cfg->pidfile = strdup("/run/echod.pid")) == NULL) {
		config_free(cfg);
		return NULL;
	}
	cfg->listen_count = 1;
	return cfg;
}

void
config_free(struct echod_config *cfg)
{
	if (cfg == NULL)
		return;
	free_listen(cfg->listen, cfg->listen_count);
	free(cfg->pidfile);
	free(cfg->user);
	free(cfg->group);
	free(cfg);
}

int
config_parse(const char *text, size_t len, const char *name,
    struct echod_config **out, char *err, size_t errlen)
{
	struct parse_state st = {
		.name = name,
		.pos = text,
		.end = text + len,
		.err = err,
		.errlen = errlen,
	};
	int rc;

	if ((st.cfg = config_defaults()) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	/*
	 * Debian's libinih takes these at run time.  The line buffer is on
	 * the stack and sized for the longest line plus "\r\n\0"; an indented
	 * line is a line of its own, never the continuation of a value.
	 */
	ini_use_stack = true;
	ini_max_line = CONFIG_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ini_allow_inline_comments = true;
	ini_allow_no_value = false;

	rc = ini_parse_stream(read_line, &st, handle_key, &st);
	if (!st.failed && rc == 0)
		check_together(&st);
	if (!st.failed && rc > 0) {
		st.lineno = rc;
		fail(&st, "syntax error");
	} else if (!st.failed && rc < 0) {
		(void)snprintf(err, errlen, "%s: out of memory", name);
		st.failed = true;
	}
	if (st.failed) {
		config_free(st.cfg);
		return -1;
	}
	*out = st.cfg;
	return 0;
}

int
config_load(const char *path, const char *name, struct echod_config **out,
    char *err, size_t errlen)
{
	struct stat sb;
	char *text = NULL;
	size_t size;
	size_t len = 0;
	ssize_t n;
	int fd;
	int rc = -1;

	/* O_NONBLOCK: a FIFO given by mistake must not hang the daemon. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		(void)snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto out_close_fd;
	}
	if (S_ISDIR(sb.st_mode)) {
		(void)snprintf(err, errlen, "%s: %s", name, strerror(EISDIR));
		goto out_close_fd;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", name);
		goto out_close_fd;
	}
	if (sb.st_size > CONFIG_SIZE_MAX) {
		(void)snprintf(err, errlen, "%s: larger than %d bytes", name,
		    CONFIG_SIZE_MAX);
		goto out_close_fd;
	}
	/* One byte more than the file holds, to see it if it grew meanwhile. */
	size = (size_t)sb.st_size + 1;
	if ((text = malloc(size)) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto out_close_fd;
	}
	while (len < size) {
		n = read(fd, text + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errlen, "%s: %s", name,
			    strerror(errno));
			goto out_free_text;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == size) {
		(void)snprintf(err, errlen, "%s: changed while being read",
		    name);
		goto out_free_text;
	}
	rc = config_parse(text, len, name, out, err, errlen);
out_free_text:
	free(text);
out_close_fd:
	(void)close(fd);	/* opened read-only: nothing can be lost */
	return rc;
}

const char *
config_policy_name(enum accept_policy policy)
{
	return policy == POLICY_REJECT ? "reject" : "pause";
}

static const char *
name_of(const struct name_value *table, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return "?";
}

bool
config_same_listen(const struct echod_config *a, const struct echod_config *b)
{
	if (a->listen_count != b->listen_count || a->port != b->port ||
	    a->udp != b->udp)
		return false;
	for (size_t i = 0; i < a->listen_count; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return false;
	return true;
}

int
config_copy_listen(struct echod_config *to, const struct echod_config *from)
{
	char **list;

	if ((list = calloc(from->listen_count, sizeof(*list))) == NULL)
		return -1;
	for (size_t i = 0; i < from->listen_count; i++) {
		if ((list[i] = strdup(from->listen[i])) == NULL) {
			free_listen(list, i);
			return -1;
		}
	}
	free_listen(to->listen, to->listen_count);
	to->listen = list;
	to->listen_count = from->listen_count;
	to->port = from->port;
	to->udp = from->udp;
	return 0;
}

/* Appends ", WHAT" to BUF, or "WHAT" when BUF is empty. */
static void
append(char *buf, size_t buflen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t buflen, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used > 0 && used + 2 < buflen) {
		memcpy(buf + used, ", ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf + used, buflen - used, fmt, ap);
	va_end(ap);
}

static void
join_listen(const struct echod_config *cfg, char *buf, size_t buflen)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->listen_count && used < buflen; i++) {
		int n = snprintf(buf + used, buflen - used, "%s%s",
		    i > 0 ? " " : "", cfg->listen[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void
config_describe_changes(const struct echod_config *old,
    const struct echod_config *new, char *buf, size_t buflen)
{
	char a[512];
	char b[512];

	buf[0] = '\0';
	join_listen(old, a, sizeof(a));
	join_listen(new, b, sizeof(b));
	if (strcmp(a, b) != 0)
		append(buf, buflen, "listen '%s' -> '%s'", a, b);
	if (old->port != new->port)
		append(buf, buflen, "port %u -> %u", old->port, new->port);
	if (old->udp != new->udp)
		append(buf, buflen, "udp %s -> %s", old->udp ? "yes" : "no",
		    new->udp ? "yes" : "no");
	if (strcmp(old->pidfile, new->pidfile) != 0)
		append(buf, buflen, "pidfile %s -> %s", old->pidfile,
		    new->pidfile);
	if (old->max_children != new->max_children)
		append(buf, buflen, "max-children %u -> %u", old->max_children,
		    new->max_children);
	if (old->policy != new->policy)
		append(buf, buflen, "policy %s -> %s",
		    config_policy_name(old->policy),
		    config_policy_name(new->policy));
	if (old->idle_timeout_s != new->idle_timeout_s)
		append(buf, buflen, "idle-timeout %u -> %u",
		    old->idle_timeout_s, new->idle_timeout_s);
	if (old->max_per_ip != new->max_per_ip)
		append(buf, buflen, "max-per-ip %u -> %u", old->max_per_ip,
		    new->max_per_ip);
	if (old->max_rate != new->max_rate)
		append(buf, buflen, "max-rate %u -> %u", old->max_rate,
		    new->max_rate);
	if (old->udp_rate != new->udp_rate)
		append(buf, buflen, "udp-rate %u -> %u", old->udp_rate,
		    new->udp_rate);
	if (old->log_level != new->log_level)
		append(buf, buflen, "level %s -> %s",
		    name_of(levels, COUNT(levels), (int)old->log_level),
		    name_of(levels, COUNT(levels), (int)new->log_level));
	if (old->log_facility != new->log_facility)
		append(buf, buflen, "facility %s -> %s",
		    name_of(facilities, COUNT(facilities), old->log_facility),
		    name_of(facilities, COUNT(facilities), new->log_facility));
}
