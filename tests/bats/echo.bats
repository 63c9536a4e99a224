#!/usr/bin/env bats
# Echo: what a client sends comes back unchanged, and sessions are logged.

load helpers
bats_require_minimum_version 1.5.0

@test "a line sent comes back unchanged" {
	start_echod
	open_conn fd
	echoes "$fd" 'hello, echo'
	close_conn "$fd"
}

@test "several lines on one connection come back in order" {
	local i reply
	start_echod
	open_conn fd
	printf 'line %d\n' 1 2 3 4 5 >&"$fd"
	for i in 1 2 3 4 5; do
		IFS= read -r -t 2 reply <&"$fd"
		[ "$reply" = "line $i" ]
	done
	close_conn "$fd"
}

@test "echo-client gets a line back through the server" {
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <<<'hello'
	assert_success
	assert_output 'hello'
}

@test "16 MiB of random bytes come back byte-exact" {
	start_echod
	head -c 16M /dev/urandom >"$BATS_TEST_TMPDIR/in"
	timeout 30 "$ECHO_CLIENT" 127.0.0.1 "$PORT" \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	wait_until 5 log_has 'closed, 16777216 bytes echoed in [0-9.]+ s$'
}

@test "a half-closed client still receives everything, then the server closes" {
	# echo-client shuts down its sending side at the end of its input
	# and reads on until the server closes: with 4 MiB most of the echo
	# is still on its way back when the client stops sending.
	start_echod
	head -c 4M /dev/urandom >"$BATS_TEST_TMPDIR/in"
	timeout 20 "$ECHO_CLIENT" 127.0.0.1 "$PORT" \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	wait_until 5 log_has 'closed, 4194304 bytes echoed in [0-9.]+ s$'
	wait_until 2 children_are "$ECHOD_PID" 0
}

@test "several clients are served at the same time" {
	local fds=() fd
	start_echod
	open_served 5 fds
	[ "$(live_children "$ECHOD_PID")" -eq 5 ]
	for fd in "${fds[@]}"; do
		close_conn "$fd"
	done
}

@test "a session logs opened with the child's pid and closed with the bytes echoed" {
	local cport cpid
	start_echod
	open_conn fd
	echoes "$fd" 'hello'
	close_conn "$fd"
	wait_until 3 log_has 'session 127\.0\.0\.1:[0-9]+: closed'
	cport=$(sed -n 's/.*session 127\.0\.0\.1:\([0-9]*\): opened, pid [0-9]*$/\1/p' "$LOG")
	cpid=$(sed -n 's/.*session 127\.0\.0\.1:[0-9]*: opened, pid \([0-9]*\)$/\1/p' "$LOG")
	[ -n "$cport" ]
	[ -n "$cpid" ]
	[ "$cpid" != "$ECHOD_PID" ]
	log_has "^echod\[$cpid\]: info: session 127\.0\.0\.1:$cport: opened, pid $cpid\$"
	log_has "^echod\[$cpid\]: info: session 127\.0\.0\.1:$cport: closed, 6 bytes echoed in [0-9]+(\.[0-9]+)? s\$"
}
