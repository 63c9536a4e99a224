/* main: the command line, the order of startup, and the main loop. */
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "privs.h"
#include "session.h"
#include "signals.h"
#include "supervisor.h"
#include "udp.h"

#ifndef ECHOD_CONFIG_PATH
#define ECHOD_CONFIG_PATH "/usr/local/etc/echod.conf"
#endif
#ifndef ECHOD_VERSION
#define ECHOD_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define POLL_MAX 128	/* config.c allows 64 addresses, each TCP and UDP */

struct echod {
	const char *conf_name;		/* the config file as given */
	char *conf_path;		/* ... and made absolute */
	long port_override;		/* -p, or -1 */
	bool sockets_passed;		/* by a service manager: keep them */
	bool child_drops_caps;		/* the parent has capabilities */
	struct echod_config *cfg;	/* the live config */
	struct listener_set listeners;
	struct udp_service *udp;
	char *pidfile_path;
	int pidfile_fd;
	struct timespec started;
	unsigned long reloads;
};

static const char synopsis[] =
    "usage: echod [-fit] [-c file] [-p port]\n"
    "       echod -h | -V\n";

static void
help(void)
{
	(void)printf("%s"
	    "  -c, --config FILE     configuration file (default %s)\n"
	    "  -f, --foreground      do not become a daemon; log to stderr\n"
	    "  -i, --inetd           serve the one client on descriptor 0, "
	    "as inetd starts it\n"
	    "  -p, --port PORT       listen on PORT, overriding the file "
	    "(0: any free port)\n"
	    "  -t, --check-config    check the configuration file and exit\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n", synopsis,
	    ECHOD_CONFIG_PATH);
}

/* The command line, read whole before anything is said about it. */
struct options {
	const char *conf_name;
	long port;		/* -p, or -1 */
	bool foreground;
	bool inetd;
	bool check_only;
	bool help;
	bool version;
	char usage_error[256];	/* the first problem found, or "" */
};

static void
bad_usage(struct options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
bad_usage(struct options *o, const char *fmt, ...)
{
	va_list ap;

	if (o->usage_error[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(o->usage_error, sizeof(o->usage_error), fmt, ap);
	va_end(ap);
}

static long
parse_port_arg(struct options *o, const char *arg)
{
	char *end;
	long port;

	errno = 0;
	port = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno != 0 || *end != '\0' ||
	    port > 65535) {
		bad_usage(o, "invalid port '%s': expected 0..65535", arg);
		return -1;
	}
	return port;
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "inetd", no_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;	/* problems are told in our words, once known where */
	while ((ch = getopt_long(argc, argv, ":c:fhip:tV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf_name = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'i':
			o->inetd = true;
			break;
		case 'p':
			o->port = parse_port_arg(o, optarg);
			break;
		case 't':
			o->check_only = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		case ':':
			if (optopt != 0)
				bad_usage(o, "option '-%c' needs an argument",
				    optopt);
			else
				bad_usage(o, "option '%s' needs an argument",
				    argv[optind - 1]);
			break;
		default:
			if (optopt != 0)
				bad_usage(o, "unknown option '-%c'", optopt);
			else
				bad_usage(o, "unknown option '%s'",
				    argv[optind - 1]);
			break;
		}
	}
	if (optind < argc)
		bad_usage(o, "unexpected argument '%s'", argv[optind]);
	/* Checking a file is done at a terminal, whatever else is asked. */
	if (o->check_only)
		o->inetd = false;
}

/* A relative path made absolute, so that a reload after chdir("/") works. */
static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX];
	char *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		return NULL;
	return abs;
}

static int
load(struct echod *e, struct echod_config **out, char *err, size_t errlen)
{
	if (config_load(e->conf_path, e->conf_name, out, err, errlen) == -1)
		return -1;
	if (e->port_override >= 0)
		(*out)->port = (unsigned)e->port_override;
	return 0;
}

static bool
same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Set *TO to a copy of FROM (which may be NULL); 0, or -1 with errno. */
static int
copy_string(char **to, const char *from)
{
	char *copy = NULL;

	if (from != NULL && (copy = strdup(from)) == NULL)
		return -1;
	free(*to);
	*to = copy;
	return 0;
}

static void
log_listener(const struct listener *l)
{
	log_info("listening on %s%s", l->name,
	    l->type == SOCK_DGRAM ? " (udp)" : "");
}

static void
log_new_listeners(const struct listener_set *set, const int *old_fds,
    size_t old_count)
{
	for (size_t i = 0; i < set->count; i++) {
		bool seen = false;

		for (size_t j = 0; j < old_count; j++)
			seen = seen || old_fds[j] == set->items[i].fd;
		if (!seen)
			log_listener(&set->items[i]);
	}
}

/* Bind what CFG asks for before closing what is no longer wanted. */
static int
update_listeners(struct echod *e, const struct echod_config *cfg)
{
	int old_fds[POLL_MAX];
	size_t old_count = e->listeners.count;
	char err[1024];

	for (size_t i = 0; i < old_count; i++)
		old_fds[i] = e->listeners.items[i].fd;
	if (listener_update(&e->listeners, cfg->listen, cfg->listen_count,
	    cfg->port, cfg->udp, err, sizeof(err)) == -1) {
		log_msg(LEVEL_ERROR, "reload failed, keeping the running "
		    "configuration: %s", err);
		return -1;
	}
	log_new_listeners(&e->listeners, old_fds, old_count);
	return 0;
}

/*
 * Apply the file anew, whole or not at all: an invalid file or a socket
 * that cannot be bound leaves the old config and sockets as they were.
 * What only a restart can change is kept, with a warning.
 */
/*
 * What a reload cannot change is taken over from the running config, with
 * a warning: the user and group, the pidfile, and the sockets a service
 * manager passed.  Returns -1 with errno if memory runs out.
 */
static int
keep_what_needs_a_restart(const struct echod *e, struct echod_config *cfg)
{
	if (!same_string(e->cfg->user, cfg->user) ||
	    !same_string(e->cfg->group, cfg->group)) {
		log_warnx("user and group: a change needs a restart; keeping "
		    "the running ones");
		if (copy_string(&cfg->user, e->cfg->user) == -1 ||
		    copy_string(&cfg->group, e->cfg->group) == -1)
			return -1;
	}
	if (e->pidfile_fd != -1 && strcmp(e->cfg->pidfile, cfg->pidfile) != 0) {
		log_warnx("pidfile: a change needs a restart; keeping %s",
		    e->pidfile_path);
		if (copy_string(&cfg->pidfile, e->cfg->pidfile) == -1)
			return -1;
	}
	if (e->sockets_passed && !config_same_listen(e->cfg, cfg)) {
		log_warnx("listen, port and udp: the sockets are the service "
		    "manager's; keeping them");
		if (config_copy_listen(cfg, e->cfg) == -1)
			return -1;
	}
	return 0;
}

/*
 * Apply the file anew, whole or not at all: an invalid file or a socket
 * that cannot be bound leaves the old config and sockets as they were.
 */
static void
reload(struct echod *e, struct supervisor *sup)
{
	struct echod_config *cfg;
	char err[1024];
	char changes[1024];

	if (load(e, &cfg, err, sizeof(err)) == -1) {
		log_msg(LEVEL_ERROR, "reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	if (keep_what_needs_a_restart(e, cfg) == -1) {
		log_warn("reload failed, keeping the running configuration");
		config_free(cfg);
		return;
	}
	if (!config_same_listen(e->cfg, cfg) &&
	    update_listeners(e, cfg) == -1) {
		config_free(cfg);
		return;
	}
	config_describe_changes(e->cfg, cfg, changes, sizeof(changes));
	log_set_level(cfg->log_level);
	log_set_facility(cfg->log_facility);
	log_info("reloaded %s: %s", e->conf_name,
	    changes[0] != '\0' ? changes : "no changes");
	config_free(e->cfg);
	e->cfg = cfg;
	e->reloads++;
	supervisor_reconfigure(sup, cfg);
}

static void
log_stats(const struct echod *e, const struct supervisor *sup)
{
	struct supervisor_stats st;
	struct udp_stats us;
	struct timespec t;

	supervisor_stats(sup, &st);
	udp_stats(e->udp, &us);
	if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
		t = e->started;
	log_info("stats: uptime %lld s, children %u, peak %u, accepted %llu, "
	    "rejected %llu (max-children %llu, max-per-ip %llu, max-rate "
	    "%llu), fork failures %llu, reloads %lu, bytes echoed %llu, "
	    "udp echoed %llu, udp dropped %llu (service port %llu, udp-rate "
	    "%llu, send %llu)",
	    (long long)(t.tv_sec - e->started.tv_sec), st.children, st.peak,
	    (unsigned long long)st.accepted,
	    (unsigned long long)(st.rejected_full + st.rejected_per_ip +
	    st.rejected_rate),
	    (unsigned long long)st.rejected_full,
	    (unsigned long long)st.rejected_per_ip,
	    (unsigned long long)st.rejected_rate,
	    (unsigned long long)st.fork_failures, e->reloads,
	    (unsigned long long)st.bytes_echoed,
	    (unsigned long long)us.echoed,
	    (unsigned long long)(us.dropped_port + us.dropped_rate +
	    us.dropped_send),
	    (unsigned long long)us.dropped_port,
	    (unsigned long long)us.dropped_rate,
	    (unsigned long long)us.dropped_send);
}

/* In each child, before it serves: drop what only the parent needs. */
static void
prepare_child(void *arg)
{
	struct echod *e = arg;

	listener_close_fds(&e->listeners);
	if (e->pidfile_fd != -1)
		(void)close(e->pidfile_fd);	/* the parent keeps the lock */
	if (e->child_drops_caps && privs_drop_capabilities() == -1)
		log_fatal("session: unable to drop capabilities");
}

static void
serve(struct echod *e, struct supervisor *sup)
{
	struct pollfd pfds[POLL_MAX];
	int types[POLL_MAX];
	struct timespec wait;
	nfds_t n;
	int ms;
	int ready;

	for (;;) {
		/* UDP is served by this loop: never paused by max-children. */
		bool accepting = supervisor_may_accept(sup, e->cfg);

		n = 0;
		for (size_t i = 0; i < e->listeners.count; i++) {
			if (e->listeners.items[i].type == SOCK_STREAM &&
			    !accepting)
				continue;
			pfds[n].fd = e->listeners.items[i].fd;
			pfds[n].events = POLLIN;
			types[n++] = e->listeners.items[i].type;
		}
		ms = supervisor_wait_ms(sup);
		wait.tv_sec = ms / 1000;
		wait.tv_nsec = (ms % 1000) * 1000000L;
		ready = ppoll(pfds, n, ms >= 0 ? &wait : NULL,
		    signals_wait_mask());
		if (ready == -1 && errno != EINTR)
			log_fatal("ppoll");
		if (signals_take(PENDING_CHILD))
			supervisor_reap(sup, e->cfg);
		if (signals_take(PENDING_STOP))
			return;
		if (signals_take(PENDING_STATS))
			log_stats(e, sup);
		if (signals_take(PENDING_RELOAD)) {
			reload(e, sup);
			continue;	/* pfds may name closed sockets */
		}
		for (nfds_t i = 0; ready > 0 && i < n; i++) {
			if (pfds[i].revents == 0)
				continue;
			if (types[i] == SOCK_DGRAM)
				udp_serve(e->udp, e->cfg, pfds[i].fd);
			else
				supervisor_accept(sup, e->cfg, pfds[i].fd);
		}
	}
}

/*
 * -i: inetd (or tcpserver, or systemd with Accept=yes) has accepted the
 * client and put it on descriptors 0, 1 and 2.  Serve it and exit.
 */
static int
serve_inetd(struct echod *e)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char err[1024];
	int status;

	if (load(e, &e->cfg, err, sizeof(err)) == -1)
		log_fatalx("%s", err);
	log_set_level(e->cfg->log_level);
	log_set_facility(e->cfg->log_facility);
	if (getpeername(STDIN_FILENO, (struct sockaddr *)&peer, &len) == -1)
		log_fatal("-i: descriptor 0 is not a connected socket");
	/* Only descriptor 0 refers to the client now, so closing it ends it. */
	if (daemon_stdio_to_null(STDOUT_FILENO) == -1)
		log_fatal("/dev/null");
	if (e->cfg->user != NULL &&
	    privs_drop(e->cfg->user, e->cfg->group, false, err,
	    sizeof(err)) == -1)
		log_fatalx("%s", err);
	/* SIGPIPE cannot arise: the session sends with MSG_NOSIGNAL. */
	status = session_run(STDIN_FILENO, (struct sockaddr *)&peer,
	    e->cfg->idle_timeout_s, NULL);
	config_free(e->cfg);
	free(e->conf_path);
	return status;
}

/* -t: "FILE: ok" on stdout and 0, or the error on stderr and 1. */
static int
check_config(struct echod *e)
{
	char err[1024];

	if (load(e, &e->cfg, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "%s\n", err);
		return 1;
	}
	(void)printf("%s: ok\n", e->conf_name);
	config_free(e->cfg);
	return 0;
}

static void
log_startup(const struct echod *e)
{
	if (e->sockets_passed)
		log_info("using %zu listening sockets passed by the service "
		    "manager; listen and port are not used",
		    e->listeners.count);
	for (size_t i = 0; i < e->listeners.count; i++)
		log_listener(&e->listeners.items[i]);
	log_info("ready: max-children %u, policy %s, idle-timeout %u s",
	    e->cfg->max_children, config_policy_name(e->cfg->policy),
	    e->cfg->idle_timeout_s);
}

int
main(int argc, char *argv[])
{
	struct options o = {
		.conf_name = ECHOD_CONFIG_PATH,
		.port = -1,
	};
	struct echod e = {
		.pidfile_fd = -1,
	};
	struct supervisor *sup;
	char err[1024];
	int ready_fd = -1;
	int passed;
	int status;

	log_init("echod");
	parse_options(argc, argv, &o);
	/* Under inetd, stderr is the client's socket: never write to it. */
	if (o.inetd) {
		log_to_syslog(LOG_DAEMON);
		log_stderr_off();
	}
	if (o.usage_error[0] != '\0') {
		if (o.inetd)
			log_msg(LEVEL_ERROR, "%s", o.usage_error);
		else
			(void)fprintf(stderr, "echod: %s\n%s", o.usage_error,
			    synopsis);
		return EXIT_USAGE;
	}
	if (o.help || o.version) {
		if (o.help)
			help();
		else
			(void)printf("echod %s\n", ECHOD_VERSION);
		return 0;
	}
	e.conf_name = o.conf_name;
	e.port_override = o.port;
	if ((e.conf_path = absolute_path(e.conf_name)) == NULL)
		log_fatal("%s", e.conf_name);
	if (o.inetd)
		return serve_inetd(&e);

	if (o.check_only) {
		status = check_config(&e);
		free(e.conf_path);
		return status;
	}

	passed = listener_passed_count();
	daemon_notify_init();
	if (!o.foreground && close_range(3 + (unsigned)passed, ~0U, 0) == -1)
		log_fatal("close_range");
	if (load(&e, &e.cfg, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "%s\n", err);
		free(e.conf_path);
		return 1;
	}
	log_set_level(e.cfg->log_level);
	if (clock_gettime(CLOCK_MONOTONIC, &e.started) == -1)
		log_fatal("clock_gettime");
	if (signals_init() == -1)
		log_fatal("signals");
	if (!o.foreground &&
	    pidfile_check(e.cfg->pidfile, err, sizeof(err)) == -1)
		log_fatalx("%s", err);
	if (passed > 0) {
		if (listener_adopt(&e.listeners, passed, err,
		    sizeof(err)) == -1)
			log_fatalx("%s", err);
		e.sockets_passed = true;
	} else if (listener_update(&e.listeners, e.cfg->listen,
	    e.cfg->listen_count, e.cfg->port, e.cfg->udp, err,
	    sizeof(err)) == -1) {
		log_fatalx("%s", err);
	} else if (e.port_override == 0) {
		/* -p 0: keep the port the kernel picked, across reloads too. */
		e.port_override = e.cfg->port = e.listeners.items[0].port;
	}

	if (!o.foreground) {
		if ((ready_fd = daemon_detach()) == -1)
			log_fatal("unable to become a daemon");
		if ((e.pidfile_fd = pidfile_create(e.cfg->pidfile, err,
		    sizeof(err))) == -1)
			log_fatalx("%s", err);
		if ((e.pidfile_path = strdup(e.cfg->pidfile)) == NULL)
			log_fatal("pidfile");
		/* Until ready, messages reach the terminal as well. */
		log_to_syslog(e.cfg->log_facility);
	}
	if (e.cfg->user != NULL &&
	    privs_drop(e.cfg->user, e.cfg->group, true, err,
	    sizeof(err)) == -1) {
		if (e.pidfile_fd != -1)
			pidfile_remove(e.pidfile_path, e.pidfile_fd);
		log_fatalx("%s", err);
	}
	if (!o.foreground) {
		if (daemon_stdio_to_null(STDIN_FILENO) == -1)
			log_fatal("/dev/null");
		log_stderr_off();
	}
	e.child_drops_caps = privs_have_capabilities();
	if ((sup = supervisor_create(prepare_child, &e)) == NULL ||
	    (e.udp = udp_create()) == NULL)
		log_fatal("startup");
	supervisor_reconfigure(sup, e.cfg);
	log_startup(&e);
	if (ready_fd != -1 && daemon_ready(ready_fd) == -1)
		log_warn("unable to report readiness");
	if (daemon_notify("READY=1") == -1)
		log_warn("unable to notify the service manager");

	serve(&e, sup);

	log_info("received SIG%s, stopping %u children",
	    sigabbrev_np(signals_stop_signal()), supervisor_children(sup));
	/* No need to check: systemd sees the exit anyway. */
	(void)daemon_notify("STOPPING=1");
	listener_close_all(&e.listeners);
	supervisor_stop(sup, signals_wait_mask());
	if (e.pidfile_fd != -1)
		pidfile_remove(e.pidfile_path, e.pidfile_fd);
	log_info("stopped");
	supervisor_free(sup);
	udp_free(e.udp);
	config_free(e.cfg);
	free(e.pidfile_path);
	free(e.conf_path);
	return 0;
}
