#!/usr/bin/env bats
# Daemon mode: detaching, the pidfile, startup errors seen by the launcher.

load helpers

PIDFILE=$BATS_TEST_TMPDIR/echod.pid

teardown() {
	stop_daemon
	if [ -n "${SCRIPT_PID:-}" ]; then
		kill -TERM "$SCRIPT_PID" 2>/dev/null || true
		wait "$SCRIPT_PID" 2>/dev/null || true
	fi
	stop_blocker
	stop_echod
}

# stop_daemon: TERM the daemon named in the pidfile (or seen earlier in it)
# and wait until it is gone.
stop_daemon() {
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null) || pid=${DAEMON_PID:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
}

# daemon_config PORT [EXTRA]: a config on 127.0.0.1:PORT with the test's
# pidfile; EXTRA lines go into [server].
daemon_config() {
	write_config "[server]
listen = 127.0.0.1
port = $1
pidfile = $PIDFILE
${2:-}"
}

# launch [ARGS...]: start echod as a daemon with $CONF; the launcher's
# status goes into $status, its output into $out and $err.  DAEMON_PID is
# the pid in the pidfile, if one was written.
launch() {
	out=$BATS_TEST_TMPDIR/out
	err=$BATS_TEST_TMPDIR/err
	status=0
	"$ECHOD" -c "$CONF" "$@" >"$out" 2>"$err" </dev/null 3>&- || status=$?
	if [ -s "$PIDFILE" ]; then
		DAEMON_PID=$(cat "$PIDFILE")
	fi
}

# stat_field PID N: field N of /proc/PID/stat, counting from 1 = pid.
stat_field() {
	awk -v n="$2" '{ sub(/.*\) /, ""); print $(n - 2) }' "/proc/$1/stat"
}

@test "the launcher exits 0 only once the port listens" {
	local p
	p=$(free_port)
	daemon_config "$p"
	launch
	[ "$status" -eq 0 ] || { cat "$err" >&2; false; }
	# No polling here: the port must be ready when the launcher returns.
	PORT=$p open_conn fd
	echoes "$fd"
	close_conn "$fd"
	[ ! -s "$out" ]
	[ ! -s "$err" ]
}

@test "the pidfile holds the daemon's pid and a newline" {
	daemon_config "$(free_port)"
	launch
	[ "$status" -eq 0 ]
	[ -n "$DAEMON_PID" ]
	[ "$(cat "$PIDFILE")" = "$DAEMON_PID" ]
	[ "$(tail -c 1 "$PIDFILE" | od -An -c | tr -d ' ')" = '\n' ]
	[ "$(wc -l <"$PIDFILE")" -eq 1 ]
	[ "$(readlink "/proc/$DAEMON_PID/exe")" = "$(readlink -f "$ECHOD")" ]
}

@test "the daemon has no controlling terminal even when launched from a live pty session" {
	local pid sid leader
	daemon_config "$(free_port)"
	# script runs the launcher on a new pty whose session leader (the
	# shell) stays alive after the launcher returns.
	script -qc "'$ECHOD' -c '$CONF'; echo \$? >'$BATS_TEST_TMPDIR/st'; sleep 10" \
		/dev/null </dev/null >/dev/null 2>&1 3>&- &
	SCRIPT_PID=$!
	wait_until 5 test -s "$BATS_TEST_TMPDIR/st"
	[ "$(cat "$BATS_TEST_TMPDIR/st")" -eq 0 ]
	leader=$(children_of "$SCRIPT_PID" | head -n 1)
	[ "$(stat_field "$leader" 6)" -eq "$leader" ]
	[ "$(stat_field "$leader" 7)" -ne 0 ]
	DAEMON_PID=$(cat "$PIDFILE")
	pid=$DAEMON_PID
	sid=$(stat_field "$pid" 6)
	[ "$(stat_field "$pid" 7)" -eq 0 ]
	[ "$sid" -ne "$pid" ]
	[ "$sid" -ne "$leader" ]
}

@test "the daemon survives the end of the session it was launched from" {
	local p
	p=$(free_port)
	daemon_config "$p"
	script -qc "'$ECHOD' -c '$CONF'; echo \$? >'$BATS_TEST_TMPDIR/st'" \
		/dev/null </dev/null >/dev/null 2>&1 3>&- &
	SCRIPT_PID=$!
	wait_until 5 test -s "$BATS_TEST_TMPDIR/st"
	wait "$SCRIPT_PID" || true
	SCRIPT_PID=
	DAEMON_PID=$(cat "$PIDFILE")
	! is_gone "$DAEMON_PID"
	PORT=$p open_conn fd
	echoes "$fd"
	close_conn "$fd"
}

@test "the daemon runs in / with umask 022" {
	daemon_config "$(free_port)"
	(
		umask 077
		cd "$BATS_TEST_TMPDIR"
		launch
		[ "$status" -eq 0 ]
	)
	DAEMON_PID=$(cat "$PIDFILE")
	[ "$(readlink "/proc/$DAEMON_PID/cwd")" = / ]
	grep -q '^Umask:[[:space:]]*0022$' "/proc/$DAEMON_PID/status"
}

@test "the daemon keeps no inherited descriptor and has /dev/null on 0, 1 and 2" {
	local extra f
	daemon_config "$(free_port)"
	exec {extra}>"$BATS_TEST_TMPDIR/inherited"
	launch
	exec {extra}>&-
	[ "$status" -eq 0 ]
	for f in 0 1 2; do
		[ "$(readlink "/proc/$DAEMON_PID/fd/$f")" = /dev/null ]
	done
	for f in /proc/"$DAEMON_PID"/fd/*; do
		[ "$(readlink "$f")" != "$BATS_TEST_TMPDIR/inherited" ]
		[ "$(readlink "$f")" != "$out" ]
		[ "$(readlink "$f")" != "$err" ]
	done
}

@test "a second daemon on the same pidfile is refused with the pid holding it" {
	local p2 first
	daemon_config "$(free_port)"
	launch
	[ "$status" -eq 0 ]
	first=$DAEMON_PID
	p2=$(free_port)
	launch -p "$p2"
	[ "$status" -eq 1 ]
	grep -qF "$PIDFILE: already running (pid $first)" "$err"
	[ "$(cat "$PIDFILE")" = "$first" ]
	! is_gone "$first"
	! can_connect 127.0.0.1 "$p2"
}

@test "a busy port fails the launcher with the error on stderr" {
	start_blocker
	daemon_config "$BLOCKER_PORT"
	launch
	[ "$status" -eq 1 ]
	grep -q "127\.0\.0\.1:$BLOCKER_PORT.*Address already in use" "$err"
	[ ! -e "$PIDFILE" ]
}

@test "a bad config fails the launcher with FILE:LINE and starts nothing" {
	local p
	p=$(free_port)
	daemon_config "$p" 'prot = 7'
	launch
	[ "$status" -eq 1 ]
	grep -qF "$CONF:5: unknown key 'prot' in [server]" "$err"
	[ ! -e "$PIDFILE" ]
	! can_connect 127.0.0.1 "$p"
}

@test "SIGTERM stops the daemon and its children and removes the pidfile" {
	local p kids k
	p=$(free_port)
	daemon_config "$p"
	launch
	[ "$status" -eq 0 ]
	PORT=$p open_conn a
	PORT=$p open_conn b
	echoes "$a"
	echoes "$b"
	kids=$(children_of "$DAEMON_PID")
	[ "$(echo "$kids" | wc -w)" -eq 2 ]
	kill -TERM "$DAEMON_PID"
	wait_gone "$DAEMON_PID" 2
	for k in $kids; do
		is_gone "$k"
	done
	[ ! -e "$PIDFILE" ]
	reads_eof "$a" 1
	reads_eof "$b" 1
	close_conn "$a"
	close_conn "$b"
}

@test "a daemon started with a relative config path reloads the same file" {
	local p1 p2
	p1=$(free_port)
	daemon_config "$p1"
	cd "$BATS_TEST_TMPDIR"
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	"$ECHOD" -c echod.conf >"$out" 2>"$err" </dev/null 3>&-
	DAEMON_PID=$(cat "$PIDFILE")
	can_connect 127.0.0.1 "$p1"
	p2=$(free_port)
	daemon_config "$p2"
	kill -HUP "$DAEMON_PID"
	wait_until 3 can_connect 127.0.0.1 "$p2"
	wait_until 2 eval '! can_connect 127.0.0.1 "$p1"'
}

@test "a reload that changes the pidfile keeps the old one and keeps serving" {
	local p other=$BATS_TEST_TMPDIR/other.pid
	p=$(free_port)
	daemon_config "$p"
	launch
	[ "$status" -eq 0 ]
	write_config "[server]
listen = 127.0.0.1
port = $p
pidfile = $other
[limits]
max-children = 3"
	kill -HUP "$DAEMON_PID"
	sleep 0.5	# nothing to poll for: the daemon must simply stay
	! is_gone "$DAEMON_PID"
	[ "$(cat "$PIDFILE")" = "$DAEMON_PID" ]
	[ ! -e "$other" ]
	open_conn_to fd 127.0.0.1 "$p"
	echoes "$fd"
	close_conn "$fd"
}
