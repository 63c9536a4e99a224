#!/usr/bin/env bats
# Stress: clients that reset in the middle of a transfer, and clients
# that send without ever reading: their children end and are reaped, and
# nobody else notices.

load ../helpers

BADCLIENT=$TOP/build/tools/badclient

# bad_config IDLE: max-children 64, policy pause, idle-timeout IDLE.
bad_config() {
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 64
policy = pause
idle-timeout = $1"
}

# baseline: one client served and gone; sets FDS_BEFORE.
baseline() {
	local fd
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 5 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	FDS_BEFORE=$(fd_count "$ECHOD_PID")
}

# round_trip: a new client is served, its line back within 2 s.
round_trip() {
	local fd
	open_conn fd
	echoes "$fd" "round trip $RANDOM"
	close_conn "$fd"
}

# good_stream_start FILE: stream FILE through echod in the background.
good_stream_start() {
	timeout 60 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$1" >"$1.back" \
		2>"$1.err" 3>&- &
	GOOD_PID=$!
}

@test "clients that reset mid-transfer end their children and harm no one" {
	local i held out sent received
	bad_config 300
	start_echod
	baseline
	head -c 16M /dev/urandom >"$BATS_TEST_TMPDIR/good"
	good_stream_start "$BATS_TEST_TMPDIR/good"
	open_conn held
	echoes "$held"
	for ((i = 0; i < 20; i++)); do
		out=$(timeout 30 "$BADCLIENT" reset "$PORT" 1048576)
		read -r _ sent _ received <<<"$out"
		# The reset came with part of the echo still on its way.
		((sent == 1048576 && received > 0 && received < sent))
		# Meanwhile an old client and a new one are served.
		echoes "$held" "line $i"
		round_trip
	done
	wait "$GOOD_PID"
	cmp "$BATS_TEST_TMPDIR/good" "$BATS_TEST_TMPDIR/good.back"
	close_conn "$held"
	# Each reset child ended on the error and was reaped.
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	[ "$(log_count 'warning: session 127\.0\.0\.1:[0-9]+: (read|write): (Connection reset by peer|Broken pipe)$')" -eq 20 ]
	[ "$(log_count 'warning:')" -eq 20 ]
	[ "$(log_count ': closed, [0-9]+ bytes echoed')" -eq "$(log_count ': opened, pid ')" ]
	[ "$(fd_count "$ECHOD_PID")" -eq "$FDS_BEFORE" ]
	round_trip
}

@test "clients that never read are dropped by idle-timeout and harm no one" {
	local i pids=() line stuck dropped
	bad_config 3
	start_echod
	baseline
	for ((i = 0; i < 5; i++)); do
		timeout 30 "$BADCLIENT" noread "$PORT" 15 \
			>"$BATS_TEST_TMPDIR/noread.$i" 3>&- &
		pids+=($!)
	done
	for ((i = 0; i < 5; i++)); do
		wait_until 10 grep -q '^stuck after' "$BATS_TEST_TMPDIR/noread.$i"
	done
	# Their children are blocked writing; everyone else is served.
	head -c 8M /dev/urandom >"$BATS_TEST_TMPDIR/good"
	good_stream_start "$BATS_TEST_TMPDIR/good"
	for ((i = 0; i < 5; i++)); do
		round_trip
	done
	wait "$GOOD_PID"
	cmp "$BATS_TEST_TMPDIR/good" "$BATS_TEST_TMPDIR/good.back"
	for ((i = 0; i < 5; i++)); do
		wait "${pids[i]}"
		line=$(cat "$BATS_TEST_TMPDIR/noread.$i")
		echo "noread $i: $line" >&2
		# "stuck after N bytes in S s, dropped after D s"
		[[ $line =~ ^stuck\ after\ [0-9]+\ bytes\ in\ ([0-9.]+)\ s,\ dropped\ after\ ([0-9.]+)\ s$ ]]
		stuck=${BASH_REMATCH[1]/./}
		dropped=${BASH_REMATCH[2]/./}
		# Not before idle-timeout (3 s) without progress, and not long
		# after: the child has made no progress since before the client
		# found itself stuck.
		((10#$dropped >= 2800))
		((10#$dropped <= 10#$stuck + 4500))
	done
	wait_until 10 log_count_is 'notice: session 127\.0\.0\.1:[0-9]+: idle for 3 s, closing$' 5
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	[ "$(fd_count "$ECHOD_PID")" -eq "$FDS_BEFORE" ]
	round_trip
}
