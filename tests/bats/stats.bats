#!/usr/bin/env bats
# Statistics: the line SIGUSR1 logs, and its counts after a known workload.

load helpers

teardown() {
	release_all
	stop_echod
}

# send_bytes N: one session through echo-client with N bytes; it must
# come back exact.
send_bytes() {
	head -c "$1" /dev/urandom >"$BATS_TEST_TMPDIR/in.$1"
	"$ECHO_CLIENT" -w 10 -p "$PORT" 127.0.0.1 <"$BATS_TEST_TMPDIR/in.$1" \
		>"$BATS_TEST_TMPDIR/out.$1"
	cmp "$BATS_TEST_TMPDIR/in.$1" "$BATS_TEST_TMPDIR/out.$1"
}

# all_reaped: echod has no child left, live or zombie.
all_reaped() {
	children_are "$ECHOD_PID" 0 && no_zombies "$ECHOD_PID"
}

@test "SIGUSR1 logs one statistics line and echod serves on" {
	local want
	start_echod
	request_stats
	want='stats: uptime [0-9]+ s, children 0, peak 0, accepted 0, '
	want+='rejected 0 \(max-children 0, max-per-ip 0, max-rate 0\), '
	want+='fork failures 0, reloads 0, bytes echoed 0, udp echoed 0, '
	want+='udp dropped 0 \(service port 0, udp-rate 0, send 0\)'
	grep -Eq "^echod\\[$ECHOD_PID\\]: info: $want\$" <<<"$STATS"
	[ "$(log_count ': stats: ')" -eq 1 ]
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	! is_gone "$ECHOD_PID"
}

@test "the statistics add up three sessions and a reload" {
	start_echod
	send_bytes 1000
	send_bytes 20000
	send_bytes 300000
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded '
	wait_until 5 all_reaped
	request_stats
	[ "$(stats_value accepted)" -eq 3 ]
	[ "$(stats_value 'bytes echoed')" -eq 321000 ]
	[ "$(stats_value reloads)" -eq 1 ]
	[ "$(stats_value children)" -eq 0 ]
	[ "$(stats_value peak)" -eq 1 ]
	[ "$(stats_value rejected)" -eq 0 ]
	[ "$(stats_value 'fork failures')" -eq 0 ]
}

@test "a failed reload is not counted" {
	start_echod
	printf '[limits]\nmax-children = lots\n' >"$CONF"
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'reload failed'
	request_stats
	[ "$(stats_value reloads)" -eq 0 ]
	write_config
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded '
	request_stats
	[ "$(stats_value reloads)" -eq 1 ]
}

@test "children counts the clients now, peak the most at once" {
	local a b c
	start_echod
	open_conn a
	open_conn b
	open_conn c
	echoes "$a"
	echoes "$b"
	echoes "$c"
	request_stats
	[ "$(stats_value children)" -eq 3 ]
	[ "$(stats_value peak)" -eq 3 ]
	close_conn "$a"
	close_conn "$b"
	close_conn "$c"
	wait_until 5 all_reaped
	request_stats
	[ "$(stats_value children)" -eq 0 ]
	[ "$(stats_value peak)" -eq 3 ]
	[ "$(stats_value accepted)" -eq 3 ]
}

@test "rejections are counted by cause: max-children and max-per-ip" {
	write_config '[server]
listen = *
[limits]
max-children = 3
policy = reject
max-per-ip = 2'
	start_echod
	hold_conns a -s 127.0.0.2 -n 2
	try_conns b -s 127.0.0.2
	[ "$(conns_value b closed)" -eq 1 ]
	hold_conns c -s 127.0.0.3
	[ "$(conns_value c echoed)" -eq 1 ]
	try_conns d -s 127.0.0.4
	[ "$(conns_value d closed)" -eq 1 ]
	request_stats
	[ "$(stats_value accepted)" -eq 5 ]
	[ "$(stats_value rejected)" -eq 2 ]
	[ "$(stats_value max-children)" -eq 1 ]
	[ "$(stats_value max-per-ip)" -eq 1 ]
	[ "$(stats_value max-rate)" -eq 0 ]
	[ "$(stats_value children)" -eq 3 ]
}

@test "rejections over max-rate are counted" {
	local closed
	write_config '[server]
listen = 127.0.0.1
[limits]
policy = reject
max-rate = 2'
	start_echod
	try_conns burst -n 10
	closed=$(conns_value burst closed)
	[ "$closed" -ge 7 ]
	wait_until 5 all_reaped
	request_stats
	[ "$(stats_value accepted)" -eq 10 ]
	[ "$(stats_value rejected)" -eq "$closed" ]
	[ "$(stats_value max-rate)" -eq "$closed" ]
	[ "$(stats_value max-children)" -eq 0 ]
	[ "$(stats_value max-per-ip)" -eq 0 ]
	[ "$(stats_value 'bytes echoed')" -eq $(((10 - closed) * 12)) ]
}

@test "a fork that fails is counted and the client closed" {
	[ "$(id -u)" -eq 0 ] || skip "needs root: to run as nobody, whom RLIMIT_NPROC binds"
	write_config '[server]
listen = 127.0.0.1
user = nobody'
	# One process allowed: once nobody, echod itself uses it up.  (Leak
	# checking at exit would need a thread, so it is off for this one.)
	(ulimit -u 1 && ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
		exec "$ECHOD" -f -p 0 -c "$CONF") 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until 5 log_has 'listening on'
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
	try_conns a -w 3000
	[ "$(conns_value a closed)" -eq 1 ]
	wait_until 2 log_has 'warning: unable to serve a client: Resource temporarily unavailable$'
	request_stats
	[ "$(stats_value 'fork failures')" -eq 1 ]
	[ "$(stats_value accepted)" -eq 1 ]
	[ "$(stats_value children)" -eq 0 ]
	[ "$(stats_value peak)" -eq 0 ]
}
