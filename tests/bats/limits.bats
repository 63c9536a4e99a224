#!/usr/bin/env bats
# Limits: max-children with policy pause and reject, the child count, the
# idle timeout.

load helpers

# limits_config MAX POLICY [IDLE]
limits_config() {
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = $1
policy = $2
idle-timeout = ${3:-300}"
}

@test "with policy pause a client over the limit waits, then is served" {
	local reply
	limits_config 2 pause
	start_echod
	open_conn a
	echoes "$a"
	open_conn b
	echoes "$b"
	wait_until 2 log_has 'notice: limit reached: 2 of 2 children, pausing accept$'
	open_conn c
	printf 'waiting\n' >&"$c"
	stays_silent "$c" 0.5
	close_conn "$a"
	IFS= read -r -t 3 reply <&"$c"
	[ "$reply" = waiting ]
	echoes "$c"
	log_has 'notice: limit cleared: 1 of 2 children$'
	close_conn "$b"
	close_conn "$c"
}

@test "with policy reject a client over the limit is closed at once" {
	limits_config 2 reject
	start_echod
	open_conn a
	echoes "$a"
	open_conn b
	echoes "$b"
	wait_until 2 log_has 'notice: limit reached: 2 of 2 children, rejecting new clients$'
	open_conn c
	reads_eof "$c" 1
	close_conn "$c"
	wait_until 2 log_has 'info: rejected 127\.0\.0\.1:[0-9]+: 2 of 2 children busy$'
	echoes "$a"
	echoes "$b"
	close_conn "$a"
	wait_until 3 log_has 'notice: limit cleared: 1 of 2 children, 1 clients? rejected$'
	open_conn d
	echoes "$d"
	close_conn "$b"
	close_conn "$d"
}

@test "500 connections leave no zombie and no leaked descriptor in the parent" {
	local before after i fd reply
	start_echod
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 3 children_are "$ECHOD_PID" 0
	wait_until 2 no_zombies "$ECHOD_PID"
	before=$(fd_count "$ECHOD_PID")
	for ((i = 0; i < 500; i++)); do
		open_conn fd
		case $((i % 3)) in
		0)	# a full round trip
			printf 'x\n' >&"$fd"
			IFS= read -r -t 2 reply <&"$fd"
			[ "$reply" = x ] ;;
		1)	# gone without a word
			;;
		2)	# gone without reading the echo
			printf 'x\n' >&"$fd" ;;
		esac
		close_conn "$fd"
	done
	wait_until 5 children_are "$ECHOD_PID" 0
	wait_until 2 no_zombies "$ECHOD_PID"
	after=$(fd_count "$ECHOD_PID")
	[ "$after" -eq "$before" ]
	[ "$(grep -c ': opened, pid ' "$LOG")" -eq 501 ]
}

@test "the child count stays exact after a burst of short connections" {
	local i fd fds
	limits_config 4 reject
	start_echod
	for ((i = 0; i < 50; i++)); do
		fds=()
		for _ in 1 2 3 4; do
			open_conn fd
			fds+=("$fd")
		done
		for fd in "${fds[@]}"; do
			close_conn "$fd"
		done
	done
	wait_until 5 children_are "$ECHOD_PID" 0
	wait_until 2 no_zombies "$ECHOD_PID"
	# Exactly max-children clients are served at once, and not one more.
	fds=()
	open_served 4 fds
	open_conn fd
	reads_eof "$fd" 1
	close_conn "$fd"
	for fd in "${fds[@]}"; do
		close_conn "$fd"
	done
}

@test "idle-timeout closes a silent client" {
	local t0 ms
	limits_config 64 pause 1
	start_echod
	open_conn fd
	t0=$(now_ms)
	reads_eof "$fd" 4
	ms=$(($(now_ms) - t0))
	close_conn "$fd"
	((ms >= 900 && ms <= 3000))
	wait_until 2 log_has 'notice: session 127\.0\.0\.1:[0-9]+: idle for 1 s, closing$'
}

@test "idle-timeout does not close a client that keeps talking" {
	local i
	limits_config 64 pause 1
	start_echod
	open_conn fd
	for ((i = 0; i < 10; i++)); do
		echoes "$fd" "line $i"
		sleep 0.3
	done
	echoes "$fd" 'still here'
	close_conn "$fd"
	wait_until 3 log_has 'session 127\.0\.0\.1:[0-9]+: closed'
	! log_has 'idle for'
}

@test "idle-timeout closes a client that stops reading its echo" {
	limits_config 64 pause 1
	start_echod
	open_conn fd
	# Fill every buffer on the way: the child then waits to write, with
	# output pending, and makes no progress.
	timeout 0.5 cat /dev/zero >&"$fd" 2>/dev/null || true
	wait_until 4 log_has 'notice: session 127\.0\.0\.1:[0-9]+: idle for 1 s, closing$'
	wait_until 2 children_are "$ECHOD_PID" 0
	close_conn "$fd"
}
