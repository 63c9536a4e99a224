#!/usr/bin/env bats
# Startup: the command line, the startup log and the listening sockets.

load helpers
bats_require_minimum_version 1.5.0

has_ipv6() {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null
}

@test "-V prints the version and exits 0" {
	run --separate-stderr "$ECHOD" -V
	assert_success
	assert_output --regexp '^echod [^ ]+$'
}

@test "--version is the long form of -V" {
	run --separate-stderr "$ECHOD" --version
	assert_success
	assert_output --regexp '^echod [^ ]+$'
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr "$ECHOD" -h
	assert_success
	assert_output --partial 'usage'
	assert_output --partial '-c'
	[ -z "$stderr" ]
}

@test "an unknown option is a usage error with exit 2" {
	run --separate-stderr "$ECHOD" -x
	assert_failure 2
	assert_output ''
	[[ $stderr == *usage* ]]
}

@test "a port above 65535 is a usage error with exit 2" {
	run --separate-stderr "$ECHOD" -f -p 70000 -c "$CONF"
	assert_failure 2
	assert_output ''
	[[ $stderr == *70000* ]]
	[[ $stderr == *usage* ]]
}

@test "a port that is not a number is a usage error with exit 2" {
	run --separate-stderr "$ECHOD" -f -p abc -c "$CONF"
	assert_failure 2
	[[ $stderr == *abc* ]]
	[[ $stderr == *usage* ]]
}

@test "an extra argument is a usage error with exit 2" {
	write_config
	run --separate-stderr "$ECHOD" -t -c "$CONF" extra
	assert_failure 2
	assert_output ''
	[[ $stderr == *usage* ]]
}

@test "a missing config file stops startup with exit 1" {
	run --separate-stderr "$ECHOD" -f -p 0 -c "$BATS_TEST_TMPDIR/none.conf"
	assert_failure 1
	[[ $stderr == *"$BATS_TEST_TMPDIR/none.conf: No such file or directory"* ]]
}

@test "startup logs the listening address and the ready line" {
	start_echod
	log_has "^echod\[$ECHOD_PID\]: info: listening on 127\.0\.0\.1:$PORT\$"
	wait_until 2 log_has "^echod\[$ECHOD_PID\]: info: ready: max-children 64, policy pause, idle-timeout 300 s\$"
}

@test "the ready line shows the configured limits" {
	write_config '[server]
listen = 127.0.0.1
[limits]
max-children = 3
policy = reject
idle-timeout = 9'
	start_echod
	wait_until 2 log_has 'ready: '
	log_has '^echod\[[0-9]+\]: info: ready: max-children 3, policy reject, idle-timeout 9 s$'
}

@test "long options work like the short ones" {
	write_config
	"$ECHOD" --foreground --port 0 --config "$CONF" 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until 5 log_has 'listening on 127\.0\.0\.1:[0-9]+$'
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG")
	[ "$PORT" -gt 0 ]
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
}

@test "the port of the config file is used without -p" {
	local p
	p=$(free_port)
	write_config "[server]
listen = 127.0.0.1
port = $p"
	start_echod_noport
	[ "$PORT" = "$p" ]
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
}

@test "listen = ::1 logs [::1]:PORT and serves IPv6 clients" {
	has_ipv6 || skip "no IPv6 loopback on this host"
	write_config '[server]
listen = ::1'
	start_echod
	log_has "listening on \[::1\]:$PORT\$"
	open_conn_to fd ::1 "$PORT"
	echoes "$fd"
	close_conn "$fd"
	wait_until 3 log_has "session \[::1\]:[0-9]+: closed"
}

@test "listen = [::1] in brackets is the same address" {
	has_ipv6 || skip "no IPv6 loopback on this host"
	write_config '[server]
listen = [::1]'
	start_echod
	log_has "listening on \[::1\]:$PORT\$"
	open_conn_to fd ::1 "$PORT"
	echoes "$fd"
	close_conn "$fd"
}

@test "listen = * is one dual-stack socket that shows IPv4 clients as IPv4" {
	has_ipv6 || skip "no IPv6 on this host"
	write_config '[server]
listen = *'
	start_echod
	log_has "listening on \[::\]:$PORT\$"
	[ "$(grep -c 'listening on' "$LOG")" -eq 1 ]
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 3 log_has 'session [^ ]*: closed'
	log_has 'session 127\.0\.0\.1:[0-9]+: opened'
	! grep -q 'ffff' "$LOG"
}

@test "two listen addresses with -p 0 share one port and both serve" {
	has_ipv6 || skip "no IPv6 loopback on this host"
	write_config '[server]
listen = 127.0.0.1 ::1'
	start_echod
	wait_until 2 log_has 'ready: '
	log_has "listening on 127\.0\.0\.1:$PORT\$"
	log_has "listening on \[::1\]:$PORT\$"
	[ "$(grep -c 'listening on' "$LOG")" -eq 2 ]
	open_conn_to a 127.0.0.1 "$PORT"
	open_conn_to b ::1 "$PORT"
	echoes "$a"
	echoes "$b"
	close_conn "$a"
	close_conn "$b"
}
