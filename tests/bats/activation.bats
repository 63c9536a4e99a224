#!/usr/bin/env bats
# Started by others: inetd mode (-i), sockets passed by a service manager
# (LISTEN_FDS), and readiness for it (sd_notify READY=1 and STOPPING=1).

load helpers

NOTIFYSOCK=$TOP/build/tools/notifysock
SA_LOG=$BATS_TEST_TMPDIR/activate.log
NOTES=$BATS_TEST_TMPDIR/notify.out

# systemd-socket-activate passes on only what -E names: let the
# sanitizers' settings go along, so that their reports are collected.
SA_ENV=()
for v in ASAN_OPTIONS UBSAN_OPTIONS; do
	[ -z "${!v:-}" ] || SA_ENV+=(-E "$v")
done

teardown() {
	stop_echod
	if [ -n "${SA_PID:-}" ]; then
		kill -TERM "$SA_PID" 2>/dev/null || true
		wait "$SA_PID" 2>/dev/null || true
	fi
	if [ -n "${NOTIFY_PID:-}" ]; then
		wait_gone "$NOTIFY_PID" 5 || kill -TERM "$NOTIFY_PID" 2>/dev/null || true
		wait "$NOTIFY_PID" 2>/dev/null || true
	fi
}

need_activate() {
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed"
}

# inetd_config [LINES]: a config for -i, logging all it can, with LINES
# added at the end.
inetd_config() {
	write_config "[server]
listen = 127.0.0.1
[log]
level = debug
${1:-}"
}

# activate_inetd COMMAND...: systemd-socket-activate on 127.0.0.1 and a
# free port as inetd would be: COMMAND runs once for each client, with the
# connection on descriptors 0 and 1.  Sets SA_PID and PORT.
activate_inetd() {
	PORT=$(free_port)
	systemd-socket-activate "${SA_ENV[@]}" -a --inetd \
		-l "127.0.0.1:$PORT" "$@" \
		2>>"$SA_LOG" </dev/null 3>&- &
	SA_PID=$!
	wait_until 5 grep -q "^Listening on 127\\.0\\.0\\.1:$PORT" "$SA_LOG"
}

# echo_client FILE: send FILE through echo-client to $PORT; it must come
# back exact.
echo_client() {
	"$ECHO_CLIENT" -w 10 -p "$PORT" 127.0.0.1 <"$1" >"$1.back"
	cmp "$1" "$1.back"
}

# notify_start [-a] NAME ARGS...: run echod -f ARGS under notifysock with
# NOTIFY_SOCKET naming NAME; sets NOTIFY_PID and ECHOD_PID.
notify_start() {
	local abstract=
	if [ "$1" = -a ]; then
		abstract=-a
		shift
	fi
	"$NOTIFYSOCK" $abstract "$1" "$ECHOD" -f "${@:2}" >"$NOTES" \
		2>>"$LOG" </dev/null 3>&- &
	NOTIFY_PID=$!
	wait_until 5 grep -q '^pid ' "$NOTES"
	ECHOD_PID=$(sed -n 's/^pid //p' "$NOTES")
}

# noted LINE: notifysock printed LINE.
noted() {
	grep -qx -- "$1" "$NOTES"
}

@test "-i under inetd echoes a line and exits 0" {
	need_activate
	inetd_config
	activate_inetd "$ECHOD" -i -c "$CONF"
	printf 'hello inetd\n' >"$BATS_TEST_TMPDIR/line"
	echo_client "$BATS_TEST_TMPDIR/line"
	wait_until 5 grep -q 'died with code 0' "$SA_LOG"
}

@test "-i under inetd echoes 1 MiB byte for byte" {
	need_activate
	inetd_config
	activate_inetd "$ECHOD" -i -c "$CONF"
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/mib"
	echo_client "$BATS_TEST_TMPDIR/mib"
}

@test "-i writes nothing on descriptor 2" {
	need_activate
	inetd_config
	activate_inetd sh -c 'exec "$0" -i -c "$1" 2>>"$2"' \
		"$ECHOD" "$CONF" "$BATS_TEST_TMPDIR/stderr"
	printf 'quiet\n' >"$BATS_TEST_TMPDIR/line"
	echo_client "$BATS_TEST_TMPDIR/line"
	wait_until 5 grep -q 'died with code 0' "$SA_LOG"
	[ -e "$BATS_TEST_TMPDIR/stderr" ]
	[ ! -s "$BATS_TEST_TMPDIR/stderr" ]
	! grep -q 'echod\[' "$SA_LOG"
}

@test "-i with descriptor 2 on the client sends it the echo alone" {
	need_activate
	inetd_config
	# As inetd starts a server: 0, 1 and 2 all the connection.
	activate_inetd sh -c 'exec "$0" -i -c "$1" 2>&1' "$ECHOD" "$CONF"
	head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	echo_client "$BATS_TEST_TMPDIR/data"
}

@test "-i with a bad config exits 1 and writes nothing on descriptor 2" {
	need_activate
	inetd_config 'max-children = lots'
	activate_inetd sh -c 'exec "$0" -i -c "$1" 2>>"$2"' \
		"$ECHOD" "$CONF" "$BATS_TEST_TMPDIR/stderr"
	can_connect 127.0.0.1 "$PORT"
	wait_until 5 grep -q 'died with code 1' "$SA_LOG"
	[ ! -s "$BATS_TEST_TMPDIR/stderr" ]
}

@test "-i with no socket on descriptor 0 exits 1 saying nothing" {
	local status=0
	inetd_config
	"$ECHOD" -i -c "$CONF" </dev/null >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	status=0
	: | "$ECHOD" -i -c "$CONF" >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "-i among other letters (-fi) is inetd mode and says nothing" {
	local status=0
	inetd_config
	# Bounded: an echod that took -fi for -f alone would serve forever.
	timeout 10 "$ECHOD" -fi -c "$CONF" </dev/null >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "-t with -i checks the file at the terminal" {
	inetd_config
	run --separate-stderr "$ECHOD" -ti -c "$CONF"
	assert_success
	assert_output "$CONF: ok"
}

@test "-i with a usage error exits 2 saying nothing" {
	local status=0
	"$ECHOD" -i -x </dev/null >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 2 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "-i with user = nobody serves the client as nobody" {
	local fd child
	need_activate
	[ "$(id -u)" -eq 0 ] || skip "needs root: echod switches from root to nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	inetd_config '[server]
user = nobody'
	activate_inetd "$ECHOD" -i -c "$CONF"
	open_conn fd
	echoes "$fd"
	child=$(children_of "$SA_PID")
	[ "$(wc -w <<<"$child")" -eq 1 ]
	[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "/proc/$child/status")" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ]
	[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$child/status")" = 0000000000000000 ]
	echoes "$fd"
	close_conn "$fd"
}

# activate_two: systemd-socket-activate with two listening sockets on free
# ports PORT1 and PORT2 and echod -f behind them, its config naming a
# third free port, PORT3.  echod starts at the first connection.
activate_two() {
	PORT1=$(free_port)
	PORT2=$(free_port)
	PORT3=$(free_port)
	while [ "$PORT2" = "$PORT1" ]; do PORT2=$(free_port); done
	while [ "$PORT3" = "$PORT1" ] || [ "$PORT3" = "$PORT2" ]; do
		PORT3=$(free_port)
	done
	write_config "[server]
listen = 127.0.0.1
port = $PORT3"
	systemd-socket-activate "${SA_ENV[@]}" \
		-l "127.0.0.1:$PORT1" -l "127.0.0.1:$PORT2" \
		"$ECHOD" -f -c "$CONF" 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until 5 log_has "^Listening on 127\\.0\\.0\\.1:$PORT2"
}

@test "passed sockets are served, both of them, and no other is bound" {
	local fd1 fd2
	need_activate
	activate_two
	open_conn_to fd1 127.0.0.1 "$PORT1"
	echoes "$fd1"
	open_conn_to fd2 127.0.0.1 "$PORT2"
	echoes "$fd2"
	log_has 'info: using 2 listening sockets passed by the service manager'
	log_has "info: listening on 127\\.0\\.0\\.1:$PORT1\$"
	log_has "info: listening on 127\\.0\\.0\\.1:$PORT2\$"
	! can_connect 127.0.0.1 "$PORT3"
	close_conn "$fd1"
	close_conn "$fd2"
}

@test "a reload with another port keeps the passed sockets" {
	local fd port4
	need_activate
	activate_two
	open_conn_to fd 127.0.0.1 "$PORT1"
	echoes "$fd"
	close_conn "$fd"
	wait_until 5 log_has 'info: ready: '
	port4=$(free_port)
	write_config "[server]
listen = 127.0.0.1
port = $port4"
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded '
	log_has "warning: listen.*: the sockets are the service manager's; keeping them$"
	log_has 'info: reloaded .*: no changes$'
	! log_has 'reload failed'
	open_conn_to fd 127.0.0.1 "$PORT1"
	echoes "$fd"
	close_conn "$fd"
	open_conn_to fd 127.0.0.1 "$PORT2"
	echoes "$fd"
	close_conn "$fd"
	! can_connect 127.0.0.1 "$port4"
	! can_connect 127.0.0.1 "$PORT3"
}

@test "LISTEN_FDS for another pid is ignored" {
	LISTEN_FDS=1 LISTEN_PID=1 start_echod
	! log_has 'passed by the service manager'
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
}

@test "a passed descriptor that is no socket is an error and exit 1" {
	write_config
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS
		exec "$0" -f -c "$1" 3<"$1"' "$ECHOD" "$CONF"
	assert_failure 1
	assert_output --partial 'passed descriptor 3 is neither a listening TCP socket nor a UDP one'
}

@test "NOTIFY_SOCKET gets READY=1 once echod listens" {
	local port fd
	port=$(free_port)
	write_config "[server]
listen = 127.0.0.1
port = $port"
	notify_start "$BATS_TEST_TMPDIR/notify" -c "$CONF"
	wait_until 5 noted READY=1
	# Ready means listening: no waiting for the log.
	log_has "info: listening on 127\\.0\\.0\\.1:$port\$"
	open_conn_to fd 127.0.0.1 "$port"
	echoes "$fd"
	close_conn "$fd"
	[ "$(grep -c . "$NOTES")" -eq 2 ]
}

@test "NOTIFY_SOCKET gets STOPPING=1 on SIGTERM and nothing from children" {
	local fd
	write_config
	notify_start "$BATS_TEST_TMPDIR/notify" -p 0 -c "$CONF"
	wait_until 5 noted READY=1
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 5 log_has ': closed, '
	kill -TERM "$ECHOD_PID"
	wait_until 5 grep -q '^exit ' "$NOTES"
	ECHOD_PID=
	[ "$(sed 1d "$NOTES")" = "READY=1
STOPPING=1
exit 0" ]
}

@test "an abstract NOTIFY_SOCKET (@name) gets READY=1 too" {
	write_config
	notify_start -a "echod-test-$$-$BATS_TEST_NUMBER-$RANDOM" -p 0 -c "$CONF"
	wait_until 5 noted READY=1
	log_has 'info: listening on '
}

@test "with passed sockets READY=1 is sent as well" {
	local port fd
	need_activate
	port=$(free_port)
	write_config '[server]
listen = 127.0.0.1'
	"$NOTIFYSOCK" "$BATS_TEST_TMPDIR/notify" \
		systemd-socket-activate "${SA_ENV[@]}" \
		-E NOTIFY_SOCKET -l "127.0.0.1:$port" "$ECHOD" -f -c "$CONF" \
		>"$NOTES" 2>>"$LOG" </dev/null 3>&- &
	NOTIFY_PID=$!
	wait_until 5 grep -q '^pid ' "$NOTES"
	ECHOD_PID=$(sed -n 's/^pid //p' "$NOTES")
	wait_until 5 log_has "^Listening on 127\\.0\\.0\\.1:$port"
	open_conn_to fd 127.0.0.1 "$port"
	echoes "$fd"
	close_conn "$fd"
	wait_until 5 noted READY=1
	log_has 'info: using 1 listening sockets passed by the service manager'
}
