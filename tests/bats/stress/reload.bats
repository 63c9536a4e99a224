#!/usr/bin/env bats
# Stress: SIGHUP after SIGHUP while clients stream: no byte lost, and the
# child count exact afterwards.

load ../helpers

# config_to MAX POLICY: the config with max-children MAX and POLICY,
# replaced whole, as an editor that renames would.
config_to() {
	printf '[server]\nlisten = 127.0.0.1\n[limits]\nmax-children = %s\npolicy = %s\n' \
		"$1" "$2" >"$CONF.new"
	mv "$CONF.new" "$CONF"
}

@test "50 reloads during 20 streams of 8 MiB lose no byte and leave the count exact" {
	local i fds=() fd reply last_reload first_end
	config_to 32 pause
	start_echod
	# All connected first, then 8 MiB each at 1.5 MB/s: about 5.6 s
	# together, for the reloads to fall in.
	STREAM_GATE=$BATS_TEST_TMPDIR/go
	for ((i = 0; i < 20; i++)); do
		stream_start "$i" 8M 1500000
	done
	wait_until 60 children_are "$ECHOD_PID" 20
	touch "$STREAM_GATE"
	for ((i = 1; i <= 50; i++)); do
		if ((i % 2)); then
			config_to 10 reject
		else
			config_to 32 pause
		fi
		kill -HUP "$ECHOD_PID"
		wait_until 10 log_count_is 'info: reloaded ' "$i"
	done
	for ((i = 0; i < 20; i++)); do
		stream_ok "$i"
	done
	# The reloads happened while every stream was still under way.
	last_reload=$(grep -n 'info: reloaded ' "$LOG" | tail -n 1 | cut -d: -f1)
	first_end=$(grep -n ': closed, 8388608 bytes echoed' "$LOG" | head -n 1 | cut -d: -f1)
	echo "last reload on log line $last_reload, first stream end on $first_end" >&2
	((last_reload < first_end))
	[ "$(log_count 'reloaded .*: max-children 32 -> 10, policy pause -> reject$')" -eq 25 ]
	[ "$(log_count 'reloaded .*: max-children 10 -> 32, policy reject -> pause$')" -eq 25 ]
	[ "$(log_count ': closed, 8388608 bytes echoed')" -eq 20 ]
	[ "$(log_count 'warning:|error:')" -eq 0 ]
	# Nothing miscounted: none left, then exactly 32 at once.
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	open_served 32 fds
	open_conn fd
	printf 'waiting\n' >&"$fd"
	stays_silent "$fd" 0.5
	close_conn "${fds[0]}"
	IFS= read -r -t 5 reply <&"$fd"
	[ "$reply" = waiting ]
	close_conn "$fd"
	for fd in "${fds[@]:1}"; do
		close_conn "$fd"
	done
}
