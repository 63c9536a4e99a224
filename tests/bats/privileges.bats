#!/usr/bin/env bats
# Privileges: user and group, the one capability the parent keeps, what
# the children keep (nothing), and what a reload may not change.

load helpers

NET_BIND_SERVICE=0000000000000400	# 1 << CAP_NET_BIND_SERVICE (10)
NO_CAPS=0000000000000000

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: echod switches from root to nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	NOBODY_UID=$(id -u nobody)
	NOBODY_GID=$(id -g nobody)
	# After the switch echod reads the file again on SIGHUP, as nobody.
	chmod o+x "$BATS_RUN_TMPDIR"
	chmod 755 "$BATS_TEST_TMPDIR"
}

# priv_config LINES: a config on 127.0.0.1 with LINES in [server],
# readable by nobody.
priv_config() {
	write_config "[server]
listen = 127.0.0.1
$1"
	chmod 644 "$CONF"
}

# status_field PID NAME: the value of NAME (Uid, Gid, Groups, CapEff ...)
# in /proc/PID/status, its fields separated by single spaces.
status_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

# all_four PID NAME ID: the Uid or Gid line of PID holds ID four times
# (real, effective, saved and filesystem).
all_four() {
	[ "$(status_field "$1" "$2")" = "$3 $3 $3 $3" ]
}

# sorted_ids IDS...: the ids one per line, sorted, without duplicates.
sorted_ids() {
	tr ' ' '\n' <<<"$*" | grep -v '^$' | sort -n -u
}

# groups_are PID IDS...: the supplementary groups of PID are IDS, in any
# order.
groups_are() {
	local pid=$1
	shift
	[ "$(sorted_ids $(status_field "$pid" Groups))" = "$(sorted_ids "$@")" ]
}

# member_gids USER: the groups that list USER as a member.
member_gids() {
	awk -F: -v u="$1" '{
		n = split($4, m, ",")
		for (i = 1; i <= n; i++) if (m[i] == u) print $3 }' /etc/group
}

# as_nobody COMMAND...: exec COMMAND as nobody without any capability
# (in a subshell: under run, or in the background, where $! is its pid).
as_nobody() {
	exec setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
		--inh-caps=-all "$@"
}

@test "user = nobody runs the parent as nobody and its primary group" {
	priv_config 'user = nobody'
	start_echod
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
	all_four "$ECHOD_PID" Gid "$NOBODY_GID"
	groups_are "$ECHOD_PID" $(id -G nobody)
}

@test "group = nogroup named explicitly gives the same ids" {
	getent group nogroup >/dev/null || skip "no group nogroup"
	priv_config 'user = nobody
group = nogroup'
	start_echod
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
	all_four "$ECHOD_PID" Gid "$NOBODY_GID"
	groups_are "$ECHOD_PID" $(id -G nobody)
}

@test "group sets another group and the user's supplementary groups" {
	local gid
	gid=$(getent group daemon | cut -d: -f3)
	[ -n "$gid" ] || skip "no group daemon"
	priv_config 'user = nobody
group = daemon'
	start_echod
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
	all_four "$ECHOD_PID" Gid "$gid"
	groups_are "$ECHOD_PID" "$gid" $(member_gids nobody)
}

@test "the parent keeps CAP_NET_BIND_SERVICE and nothing else" {
	priv_config 'user = nobody'
	start_echod
	[ "$(status_field "$ECHOD_PID" CapEff)" = "$NET_BIND_SERVICE" ]
	# Nothing permitted beyond it: no CAP_SETUID to become root again.
	[ "$(status_field "$ECHOD_PID" CapPrm)" = "$NET_BIND_SERVICE" ]
	[ "$(status_field "$ECHOD_PID" CapInh)" = "$NO_CAPS" ]
	[ "$(status_field "$ECHOD_PID" CapAmb)" = "$NO_CAPS" ]
}

@test "a child serving a client runs as nobody with no capability" {
	local child
	priv_config 'user = nobody'
	start_echod
	open_conn fd
	echoes "$fd"
	child=$(children_of "$ECHOD_PID")
	[ "$(wc -w <<<"$child")" -eq 1 ]
	all_four "$child" Uid "$NOBODY_UID"
	all_four "$child" Gid "$NOBODY_GID"
	[ "$(status_field "$child" CapEff)" = "$NO_CAPS" ]
	[ "$(status_field "$child" CapPrm)" = "$NO_CAPS" ]
	echoes "$fd"
	close_conn "$fd"
}

@test "after the switch a reload moves to a port below 1024" {
	local high low fd
	high=$(free_port)
	low=$(free_port 900 1000)
	priv_config "user = nobody
port = $high"
	start_echod_noport
	[ "$PORT" = "$high" ]
	priv_config "user = nobody
port = $low"
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has "info: reloaded .*port $high -> $low"
	log_has "info: listening on 127\\.0\\.0\\.1:$low\$"
	! log_has 'reload failed'
	open_conn_to fd 127.0.0.1 "$low"
	echoes "$fd"
	close_conn "$fd"
	! can_connect 127.0.0.1 "$high"
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
}

@test "a reload that changes user keeps the running one and applies the rest" {
	local a b
	id daemon >/dev/null 2>&1 || skip "no user daemon"
	priv_config 'user = nobody
[limits]
max-children = 64
policy = reject'
	start_echod
	priv_config 'user = daemon
[limits]
max-children = 1
policy = reject'
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded .*max-children 64 -> 1'
	log_has 'warning: user and group: a change needs a restart; keeping the running ones$'
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
	# max-children = 1 is in force: a second client is turned away.
	open_conn a
	echoes "$a"
	open_conn b
	reads_eof "$b" 2
	close_conn "$b"
	close_conn "$a"
}

@test "a reload that changes only group keeps the running one" {
	local gid
	gid=$(getent group daemon | cut -d: -f3)
	[ -n "$gid" ] || skip "no group daemon"
	priv_config 'user = nobody'
	start_echod
	priv_config 'user = nobody
group = daemon'
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded '
	log_has 'warning: user and group: a change needs a restart; keeping the running ones$'
	all_four "$ECHOD_PID" Gid "$NOBODY_GID"
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
}

@test "started as nobody, user = root is an error and exit 1" {
	priv_config 'user = root'
	run as_nobody "$ECHOD" -f -p 0 -c "$CONF"
	assert_failure 1
	assert_output --partial "error: user root: switching to another user needs root; echod runs as uid $NOBODY_UID"
}

@test "started as nobody, user = another account is an error and exit 1" {
	id daemon >/dev/null 2>&1 || skip "no user daemon"
	priv_config 'user = daemon'
	run as_nobody "$ECHOD" -f -p 0 -c "$CONF"
	assert_failure 1
	assert_output --partial "error: user daemon: switching to another user needs root; echod runs as uid $NOBODY_UID"
}

@test "started as nobody, user = nobody is no change and it serves" {
	priv_config 'user = nobody'
	as_nobody "$ECHOD" -f -p 0 -c "$CONF" 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until 5 log_has 'listening on'
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	all_four "$ECHOD_PID" Uid "$NOBODY_UID"
	[ "$(status_field "$ECHOD_PID" CapEff)" = "$NO_CAPS" ]
}
