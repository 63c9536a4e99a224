#!/usr/bin/env bats
# Stress: fork failing.  echod runs as nobody with RLIMIT_NPROC just
# above what nobody already runs (the limit does not bind root): the
# client beyond is closed, the error is logged at most once a second,
# and echod serves again once it can fork.

load ../helpers

FLOOD=$TOP/build/tools/flood
OUT=$BATS_TEST_TMPDIR/flood.out

teardown() {
	stop_echod
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

# accept_queue_empty PORT: no connection waits to be accepted on the
# listening socket of PORT (its rx_queue in /proc/net/tcp).
accept_queue_empty() {
	local q
	for q in $(awk -v port="$(printf '%04X' "$1")" '
		$4 == "0A" && $2 ~ (":" port "$") { split($5, a, ":"); print a[2] }' \
		/proc/net/tcp /proc/net/tcp6); do
		((16#$q == 0)) || return 1
	done
}

# nobody_tasks: how many tasks (threads included, as RLIMIT_NPROC counts
# them) run as nobody on the whole system.
nobody_tasks() {
	ps -L -u nobody --no-headers | wc -l
}

@test "when fork fails the client is closed, the error logged, and echod carries on" {
	local used a b c d fds=() fd i hard ms t0 failed reply AS_NOBODY
	[ "$(id -u)" -eq 0 ] ||
		skip "needs root: echod must run as nobody, RLIMIT_NPROC does not bind root"
	id nobody >/dev/null 2>&1 || skip "needs a user nobody"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	# A command prefix: run as nobody, with no supplementary group.
	AS_NOBODY=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	"${AS_NOBODY[@]}" test -x "$ECHOD" ||
		skip "nobody cannot run $ECHOD (a directory above it is not searchable)"
	# nobody must read the config: the test directory may not let it.
	NOBODY_DIR=$(mktemp -d)
	chmod 755 "$NOBODY_DIR"
	CONF=$NOBODY_DIR/echod.conf
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 16
policy = pause"
	chmod 644 "$CONF"
	# Room for echod and two children; only the soft limit, so that
	# nobody can raise it again.
	hard=$(prlimit --nproc --raw --noheadings --output HARD)
	used=$(nobody_tasks)
	start_echod_via 10 "${AS_NOBODY[@]}" prlimit --nproc="$((used + 3)):$hard" --
	[ "$(ps -o user= -p "$ECHOD_PID")" = nobody ]
	[ "$(ps -o comm= -p "$ECHOD_PID")" = echod ]

	open_conn a
	echoes "$a"
	open_conn b
	echoes "$b"
	# The third client cannot have a child: it is closed, not left waiting.
	open_conn c
	reads_eof "$c" 3
	close_conn "$c"
	wait_until 3 log_has 'warning: unable to serve a client: Resource temporarily unavailable'

	# More of them: each is closed, the message stays rate-limited.
	t0=$(now_ms)
	timeout 30 "$FLOOD" -n 300 -c 30 -t 3 "$PORT" >"$OUT"
	ms=$(($(now_ms) - t0))
	failed=$(log_count 'unable to serve a client')
	echo "flood: $(cat "$OUT"); $failed messages in $ms ms" >&2
	[ "$(report_value "$OUT" served)" -eq 0 ]
	(($(report_value "$OUT" closed) + $(report_value "$OUT" reset) >= 1))
	[ "$(report_value "$OUT" failed)" -eq 0 ]
	((failed >= 1 && failed <= ms / 1000 + 2))
	! is_gone "$ECHOD_PID"
	# The clients it could not take are all shed, none left waiting.
	wait_until 30 accept_queue_empty "$PORT"
	echoes "$a"
	echoes "$b"

	# A child ends: its place can be forked again.
	close_conn "$a"
	wait_until 10 children_are "$ECHOD_PID" 1
	wait_until 5 no_zombies "$ECHOD_PID"
	open_conn d
	printf 'back\n' >&"$d"
	IFS= read -r -t 5 reply <&"$d"
	[ "$reply" = back ]

	# The limit raised: more children than it allowed before.
	"${AS_NOBODY[@]}" prlimit --pid "$ECHOD_PID" --nproc="$hard:$hard"
	for ((i = 0; i < 4; i++)); do
		open_conn fd
		fds+=("$fd")
	done
	for fd in "${fds[@]}"; do
		echoes "$fd"
	done
	wait_until 5 children_are "$ECHOD_PID" 6
	for fd in "$b" "$d" "${fds[@]}"; do
		close_conn "$fd"
	done
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
}
