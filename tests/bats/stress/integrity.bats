#!/usr/bin/env bats
# Stress: many large transfers at once come back byte-exact.

load ../helpers

@test "32 concurrent clients of 16 MiB each get every byte back" {
	local i
	start_echod
	# All connected before any sends: the 32 sessions truly overlap.
	STREAM_GATE=$BATS_TEST_TMPDIR/go
	for ((i = 0; i < 32; i++)); do
		stream_start "$i" 16M
	done
	wait_until 30 children_are "$ECHOD_PID" 32
	touch "$STREAM_GATE"
	for ((i = 0; i < 32; i++)); do
		stream_ok "$i"
	done
	wait_until 10 log_count_is ': closed, 16777216 bytes echoed in [0-9.]+ s$' 32
	[ "$(log_count ': opened, pid ')" -eq 32 ]
	[ "$(log_count 'warning:|error:')" -eq 0 ]
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
}
