#!/usr/bin/env bats
# Stress: clients that connect and say nothing hold every child; the idle
# timeout must free the children in time for the next client.

load ../helpers

@test "100 silent clients at max-children 100 delay a new one by at most idle-timeout + 2 s" {
	local fds=() fd i t0 ms reply first_idle late_open
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 100
policy = pause
idle-timeout = 2"
	start_echod
	for ((i = 0; i < 100; i++)); do
		open_conn fd
		fds+=("$fd")
	done
	wait_until 15 log_count_is ': opened, pid ' 100
	t0=$(now_ms)
	open_conn fd
	printf 'late\n' >&"$fd"
	IFS= read -r -t 10 reply <&"$fd"
	ms=$(($(now_ms) - t0))
	echo "the new client was served after $ms ms" >&2
	[ "$reply" = late ]
	((ms <= 4000))
	# It got a child only once an idle one was let go: the 101st
	# 'opened' comes after the first 'idle' in the log.
	first_idle=$(grep -n ': idle for 2 s, closing$' "$LOG" | head -n 1 | cut -d: -f1)
	late_open=$(grep -n ': opened, pid ' "$LOG" | sed -n '101p' | cut -d: -f1)
	[ -n "$first_idle" ] && [ -n "$late_open" ]
	((first_idle < late_open))
	echoes "$fd"
	close_conn "$fd"
	# Every silent client is dropped by the timeout, and each of their
	# children is reaped.
	wait_until 10 log_count_is 'notice: session 127\.0\.0\.1:[0-9]+: idle for 2 s, closing$' 100
	for fd in "${fds[@]}"; do
		reads_eof "$fd" 1
		close_conn "$fd"
	done
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	[ "$(log_count ': opened, pid ')" -eq 101 ]
}
