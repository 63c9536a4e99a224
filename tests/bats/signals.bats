#!/usr/bin/env bats
# Signals: SIGTERM and SIGINT stop everything cleanly, SIGPIPE kills nothing.

load helpers

# stops_on SIGNAL: with two clients connected, SIGNAL makes echod and its
# children go within 2 s, the clients see the end and echod exits 0.
stops_on() {
	local kids k t0 ms rc=0
	start_echod
	open_conn a
	open_conn b
	echoes "$a"
	echoes "$b"
	kids=$(children_of "$ECHOD_PID")
	[ "$(echo "$kids" | wc -w)" -eq 2 ]
	t0=$(now_ms)
	kill -"$1" "$ECHOD_PID"
	wait_gone "$ECHOD_PID" 3
	for k in $kids; do
		wait_gone "$k" 1
	done
	ms=$(($(now_ms) - t0))
	wait "$ECHOD_PID" || rc=$?
	ECHOD_PID=
	[ "$rc" -eq 0 ]
	((ms <= 2000))
	reads_eof "$a" 1
	reads_eof "$b" 1
	close_conn "$a"
	close_conn "$b"
	log_has "info: received $1, stopping 2 children\$"
	log_has 'info: stopped$'
	! can_connect 127.0.0.1 "$PORT"
}

@test "SIGTERM stops echod and its children within 2 s with exit 0" {
	stops_on SIGTERM
}

@test "SIGINT stops echod and its children within 2 s with exit 0" {
	stops_on SIGINT
}

@test "SIGTERM with no client connected exits 0 at once" {
	local rc=0
	start_echod
	wait_until 2 log_has 'ready: '
	kill -TERM "$ECHOD_PID"
	wait_gone "$ECHOD_PID" 2
	wait "$ECHOD_PID" || rc=$?
	ECHOD_PID=
	[ "$rc" -eq 0 ]
	log_has 'received SIGTERM, stopping 0 children$'
}

@test "a client resetting while its echo is pending kills nothing" {
	start_echod
	open_conn fd
	# Send until every buffer is full, then close with the echo unread:
	# the kernel answers with a reset while the child is writing.
	timeout 0.5 cat /dev/zero >&"$fd" 2>/dev/null || true
	close_conn "$fd"
	wait_until 3 children_are "$ECHOD_PID" 0
	wait_until 2 log_has 'warning: session 127\.0\.0\.1:[0-9]+: (read|write): '
	! is_gone "$ECHOD_PID"
	open_conn b
	echoes "$b"
	close_conn "$b"
}

@test "a log pipe whose reader has gone kills neither echod nor its children" {
	local pipe=$BATS_TEST_TMPDIR/logpipe
	write_config
	mkfifo "$pipe"
	"$ECHOD" -f -p 0 -c "$CONF" 2>"$pipe" </dev/null 3>&- &
	ECHOD_PID=$!
	# Keep the first line only: every later log write meets a closed
	# pipe, which raises SIGPIPE unless it is ignored.
	timeout 5 head -n 1 "$pipe" >"$LOG"
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG")
	[ -n "$PORT" ]
	open_conn a
	echoes "$a"
	echoes "$a"
	close_conn "$a"
	# A reload makes the parent itself log, before it accepts again.
	kill -HUP "$ECHOD_PID"
	open_conn b
	echoes "$b"
	close_conn "$b"
	! is_gone "$ECHOD_PID"
}

@test "SIGHUP and SIGUSR1 sent to a child leave its client served" {
	local child
	start_echod
	open_conn fd
	echoes "$fd"
	child=$(children_of "$ECHOD_PID")
	[ -n "$child" ]
	# As "systemctl kill -s HUP" does: every process of the service.
	kill -HUP "$child"
	kill -USR1 "$child"
	echoes "$fd" 'still served'
	! is_gone "$child"
	close_conn "$fd"
}
