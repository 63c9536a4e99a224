/* main: the command line, the order of startup, and the main loop. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "signals.h"
#include "supervisor.h"

#ifndef ECHOD_CONFIG_PATH
#define ECHOD_CONFIG_PATH "/usr/local/etc/echod.conf"
#endif
#ifndef ECHOD_VERSION
#define ECHOD_VERSION "unknown"
#endif

#define EXIT_USAGE 2

struct echod {
	const char *conf_name;		/* the config file as the user named it */
	char *conf_path;		/* ... and made absolute */
	long port_override;		/* -p, or -1 */
	struct echod_config *cfg;	/* the live config */
	struct listener_set listeners;
	char *pidfile_path;
	int pidfile_fd;
};

static const char synopsis[] =
    "usage: echod [-ft] [-c file] [-p port]\n"
    "       echod -h | -V\n";

static void __attribute__((noreturn))
help(void)
{
	(void)printf("%s"
	    "  -c, --config FILE     configuration file (default %s)\n"
	    "  -f, --foreground      do not become a daemon; log to stderr\n"
	    "  -p, --port PORT       listen on PORT, overriding the file "
	    "(0: any free port)\n"
	    "  -t, --check-config    check the configuration file and exit\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n", synopsis,
	    ECHOD_CONFIG_PATH);
	exit(0);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("echod: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "\n%s", synopsis);
	exit(EXIT_USAGE);
}

static long
parse_port_arg(const char *arg)
{
	char *end;
	long port;

	if (arg[0] < '0' || arg[0] > '9')
		usage_error("invalid port '%s': expected 0..65535", arg);
	errno = 0;
	port = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535)
		usage_error("invalid port '%s': expected 0..65535", arg);
	return port;
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

static void
log_new_listeners(const struct listener_set *set, const int *old_fds,
    size_t old_count)
{
	for (size_t i = 0; i < set->count; i++) {
		bool seen = false;

		for (size_t j = 0; j < old_count; j++)
			seen = seen || old_fds[j] == set->items[i].fd;
		if (!seen)
			log_info("listening on %s", set->items[i].name);
	}
}

/*
 * Bind what the new config asks for before giving up what the old one
 * had; on any failure the old config and sockets stay whole.
 */
static void
reload(struct echod *e, struct supervisor *sup)
{
	struct echod_config *cfg;
	char err[1024];
	char changes[1024];
	int *old_fds;
	size_t old_count = e->listeners.count;

	if (load(e, &cfg, err, sizeof(err)) == -1) {
		log_msg(LEVEL_ERROR, "reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	if (!config_same_listen(e->cfg, cfg)) {
		if ((old_fds = calloc(old_count + 1, sizeof(*old_fds))) == NULL) {
			log_warn("reload failed, keeping the running "
			    "configuration");
			config_free(cfg);
			return;
		}
		for (size_t i = 0; i < old_count; i++)
			old_fds[i] = e->listeners.items[i].fd;
		if (listener_update(&e->listeners, cfg->listen,
		    cfg->listen_count, cfg->port, err, sizeof(err)) == -1) {
			log_msg(LEVEL_ERROR, "reload failed, keeping the "
			    "running configuration: %s", err);
			free(old_fds);
			config_free(cfg);
			return;
		}
		log_new_listeners(&e->listeners, old_fds, old_count);
		free(old_fds);
	}
	config_describe_changes(e->cfg, cfg, changes, sizeof(changes));
	if (strcmp(e->cfg->pidfile, cfg->pidfile) != 0 && e->pidfile_fd != -1)
		log_warnx("pidfile %s: a change of pidfile needs a restart; "
		    "keeping %s", cfg->pidfile, e->pidfile_path);
	log_set_level(cfg->log_level);
	log_set_facility(cfg->log_facility);
	log_info("reloaded %s: %s", e->conf_name,
	    changes[0] != '\0' ? changes : "no changes");
	config_free(e->cfg);
	e->cfg = cfg;
	supervisor_limit_changed(sup, cfg);
}

/* In each child, before it serves: drop what only the parent needs. */
static void
close_parent_fds(void *arg)
{
	struct echod *e = arg;

	listener_close_fds(&e->listeners);
	if (e->pidfile_fd != -1)
		(void)close(e->pidfile_fd);	/* the parent keeps the lock */
}

static void
serve(struct echod *e, struct supervisor *sup)
{
	struct pollfd pfds[64];
	struct timespec backoff;
	int ms;
	nfds_t n;
	int ready;

	for (;;) {
		n = 0;
		if (supervisor_may_accept(sup, e->cfg)) {
			for (; n < e->listeners.count && n < 64; n++) {
				pfds[n].fd = e->listeners.items[n].fd;
				pfds[n].events = POLLIN;
			}
		}
		ms = supervisor_backoff_ms(sup);
		backoff.tv_sec = ms / 1000;
		backoff.tv_nsec = (ms % 1000) * 1000000L;
		ready = ppoll(pfds, n, ms >= 0 ? &backoff : NULL,
		    signals_wait_mask());
		if (ready == -1 && errno != EINTR)
			log_fatal("ppoll");
		if (signals_take(PENDING_CHILD))
			supervisor_reap(sup, e->cfg);
		if (signals_take(PENDING_STOP))
			return;
		if (signals_take(PENDING_RELOAD)) {
			reload(e, sup);
			continue;	/* pfds may name closed sockets */
		}
		for (nfds_t i = 0; ready > 0 && i < n; i++)
			if (pfds[i].revents != 0)
				supervisor_accept(sup, e->cfg, pfds[i].fd);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "port", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct echod e = {
		.conf_name = ECHOD_CONFIG_PATH,
		.port_override = -1,
		.pidfile_fd = -1,
	};
	struct supervisor *sup;
	bool foreground = false;
	bool check_only = false;
	char err[1024];
	int ready_fd = -1;
	int ch;

	opterr = 0;	/* usage_error() says it in our words */
	while ((ch = getopt_long(argc, argv, ":c:fhp:tV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			e.conf_name = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'p':
			e.port_override = parse_port_arg(optarg);
			break;
		case 't':
			check_only = true;
			break;
		case 'h':
			help();
		case 'V':
			(void)printf("echod %s\n", ECHOD_VERSION);
			return 0;
		case ':':
			if (optopt != 0)
				usage_error("option '-%c' needs an argument",
				    optopt);
			usage_error("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);

	log_init("echod");
	if (!foreground && !check_only && daemon_close_inherited() == -1)
		log_fatal("close_range");
	if ((e.conf_path = absolute_path(e.conf_name)) == NULL)
		log_fatal("%s", e.conf_name);
	if (load(&e, &e.cfg, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check_only) {
		(void)printf("%s: ok\n", e.conf_name);
		config_free(e.cfg);
		free(e.conf_path);
		return 0;
	}
	log_set_level(e.cfg->log_level);
	if (signals_init() == -1)
		log_fatal("signals");
	if (!foreground && pidfile_check(e.cfg->pidfile, err, sizeof(err)) == -1)
		log_fatalx("%s", err);
	if (listener_update(&e.listeners, e.cfg->listen, e.cfg->listen_count,
	    e.cfg->port, err, sizeof(err)) == -1)
		log_fatalx("%s", err);
	/* -p 0: keep the port the kernel picked, across reloads too. */
	if (e.port_override == 0)
		e.port_override = e.cfg->port = e.listeners.items[0].port;

	if (!foreground) {
		if ((ready_fd = daemon_detach()) == -1)
			log_fatal("unable to become a daemon");
		if ((e.pidfile_fd = pidfile_create(e.cfg->pidfile, err,
		    sizeof(err))) == -1)
			log_fatalx("%s", err);
		if ((e.pidfile_path = strdup(e.cfg->pidfile)) == NULL)
			log_fatal("pidfile");
		if (daemon_stdio_to_null() == -1)
			log_fatal("/dev/null");
		log_to_syslog(e.cfg->log_facility);
	}
	if ((sup = supervisor_create(close_parent_fds, &e)) == NULL)
		log_fatal("startup");
	for (size_t i = 0; i < e.listeners.count; i++)
		log_info("listening on %s", e.listeners.items[i].name);
	log_info("ready: max-children %u, policy %s, idle-timeout %u s",
	    e.cfg->max_children, config_policy_name(e.cfg->policy),
	    e.cfg->idle_timeout_s);
	if (ready_fd != -1 && daemon_ready(ready_fd) == -1)
		log_warn("unable to report readiness");

	serve(&e, sup);

	log_info("received SIG%s, stopping %u children",
	    sigabbrev_np(signals_stop_signal()), supervisor_children(sup));
	listener_close_all(&e.listeners);
	supervisor_stop(sup, signals_wait_mask());
	if (e.pidfile_fd != -1)
		pidfile_remove(e.pidfile_path, e.pidfile_fd);
	log_info("stopped");
	supervisor_free(sup);
	config_free(e.cfg);
	free(e.pidfile_path);
	free(e.conf_path);
	return 0;
}
