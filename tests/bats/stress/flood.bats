#!/usr/bin/env bats
# Stress: 5,000 connections as fast as they come against max-children 32,
# under each policy: the cap holds, the limit log stays quiet, nothing
# leaks, and the count is exact afterwards.

load ../helpers

FLOOD=$TOP/build/tools/flood
WATCHKIDS=$TOP/build/tools/watchkids
OUT=$BATS_TEST_TMPDIR/flood.out
WATCH=$BATS_TEST_TMPDIR/watchkids.out

# flood POLICY: start echod with max-children 32 and POLICY, take a
# baseline, flood it with 5,000 connections (one in ten closed without
# reading the echo) while sampling its children, and wait for the
# children to end.  Sets MAX_SEEN, SAMPLES, FLOOD_S (seconds from the
# start of the flood until no child was left, rounded up), FROM (the log
# line where the flood starts) and FDS_BEFORE.
flood() {
	local fd t0
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 32
policy = $1"
	start_echod
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 5 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	FDS_BEFORE=$(fd_count "$ECHOD_PID")
	FROM=$(wc -l <"$LOG")
	t0=$(now_ms)
	"$WATCHKIDS" "$ECHOD_PID" timeout 150 \
		"$FLOOD" -n 5000 -c 200 -a 10 -d 10 -t 120 "$PORT" >"$OUT" 2>"$WATCH"
	SAMPLES=$(sed -n "s/^watchkids: \([0-9]*\) samples.*/\1/p" "$WATCH")
	MAX_SEEN=$(sed -n "s/.*, at most \([0-9]*\) children.*/\1/p" "$WATCH")
	wait_until 30 children_are "$ECHOD_PID" 0
	FLOOD_S=$((($(now_ms) - t0 + 999) / 1000))
	echo "flood: $(cat "$OUT"); $SAMPLES samples, at most $MAX_SEEN children;" \
		"$FLOOD_S s until all ended" >&2
}

# served_at_once POLICY: max-children clients are served together, and
# the next one waits (pause) or is closed (reject).
served_at_once() {
	local fds=() fd i reply
	open_served 32 fds
	open_conn fd
	if [ "$1" = pause ]; then
		printf 'waiting\n' >&"$fd"
		stays_silent "$fd" 0.5
		close_conn "${fds[0]}"
		IFS= read -r -t 5 reply <&"$fd"
		[ "$reply" = waiting ]
	else
		reads_eof "$fd" 2
		close_conn "${fds[0]}"
	fi
	close_conn "$fd"
	for fd in "${fds[@]:1}"; do
		close_conn "$fd"
	done
}

# after_flood POLICY: what must hold once the flood is over.
after_flood() {
	# Never more than max-children at once, and the sampler saw the flood.
	((SAMPLES >= 2))
	((MAX_SEEN >= 1 && MAX_SEEN <= 32))
	# Every connection ended one way or another, none with a local error.
	[ "$(report_value "$OUT" abandoned)" -eq 500 ]
	[ "$(report_value "$OUT" refused)" -eq 0 ]
	[ "$(report_value "$OUT" failed)" -eq 0 ]
	[ "$(report_value "$OUT" unfinished)" -eq 0 ]
	# The limit messages are rate-limited.
	(($(log_count_since "$FROM" 'notice: limit (reached|cleared):') <= 2 * FLOOD_S + 2))
	(($(log_count_since "$FROM" 'info: rejected ') <= FLOOD_S + 1))
	(($(log_count_since "$FROM" 'notice: limit reached: 32 of 32 children') >= 1))
	[ "$(log_count_since "$FROM" 'warning: (accept|unable to serve)')" -eq 0 ]
	# Nothing left behind in the parent.
	wait_until 5 no_zombies "$ECHOD_PID"
	[ "$(fd_count "$ECHOD_PID")" -eq "$FDS_BEFORE" ]
	! is_gone "$ECHOD_PID"
	served_at_once "$1"
}

@test "a flood of 5000 clients with policy pause serves each in turn" {
	flood pause
	# Pause leaves the clients waiting in the backlog: all are served.
	[ "$(report_value "$OUT" served)" -eq 4500 ]
	[ "$(report_value "$OUT" closed)" -eq 0 ]
	[ "$(report_value "$OUT" reset)" -eq 0 ]
	[ "$(log_count_since "$FROM" ': opened, pid ')" -eq 5000 ]
	[ "$(log_count_since "$FROM" 'info: rejected ')" -eq 0 ]
	after_flood pause
}

@test "a flood of 5000 clients with policy reject turns away the excess" {
	local served turned
	flood reject
	served=$(report_value "$OUT" served)
	turned=$(($(report_value "$OUT" closed) + $(report_value "$OUT" reset)))
	[ $((served + turned)) -eq 4500 ]
	((served >= 32 && turned >= 1))
	(($(log_count_since "$FROM" ': opened, pid ') >= served))
	(($(log_count_since "$FROM" ': opened, pid ') <= served + 500))
	(($(log_count_since "$FROM" 'info: rejected 127\.0\.0\.1:[0-9]+: 32 of 32 children busy') >= 1))
	after_flood reject
}
