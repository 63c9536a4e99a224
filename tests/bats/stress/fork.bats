#!/usr/bin/env bats
# Stress: fork failing.  echod runs as an unprivileged uid of its own with
# RLIMIT_NPROC just above what that uid runs (the limit does not bind
# root): the client beyond is closed, the error is logged at most once a
# second, and echod serves again once it can fork.

load ../helpers

FLOOD=$TOP/build/tools/flood
OUT=$BATS_TEST_TMPDIR/flood.out

teardown() {
	stop_echod
	[ -z "${TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}

# free_uid: a uid that no user is named for and no process runs as.  The
# process count RLIMIT_NPROC checks is per uid across the whole system:
# with a uid of its own, neither nobody's processes nor another test run
# can take the test's slots.
free_uid() {
	local uid i
	for ((i = 0; i < 100; i++)); do
		uid=$((61000 + RANDOM % 4000))
		getent passwd "$uid" >/dev/null && continue
		[ -z "$(ps -o pid= -u "$uid")" ] || continue
		echo "$uid"
		return 0
	done
	return 1
}

# tasks_of UID: how many tasks (threads too, as RLIMIT_NPROC counts them)
# run as UID.
tasks_of() {
	ps -L -o pid= -u "$1" | wc -l
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

@test "when fork fails the client is closed, the error logged, and echod carries on" {
	local uid as_user a b c d fds=() fd i hard ms t0 failed reply
	[ "$(id -u)" -eq 0 ] ||
		skip "needs root to run echod as another uid (RLIMIT_NPROC does not bind root)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	uid=$(free_uid)
	# A command prefix: run as uid, in the group of the same number, with
	# no supplementary group.
	as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups)
	"${as_user[@]}" test -x "$ECHOD" ||
		skip "uid $uid cannot run $ECHOD (a directory above it is not searchable)"
	# echod must read its config: the test directory may not let it.
	TEST_DIR=$(mktemp -d)
	chmod 755 "$TEST_DIR"
	CONF=$TEST_DIR/echod.conf
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 16
policy = pause"
	chmod 644 "$CONF"
	# Room for echod and two children.  Only the soft limit: the same
	# uid may raise it again.
	hard=$(prlimit --nproc --raw --noheadings --output HARD)
	start_echod_via 10 "${as_user[@]}" \
		prlimit --nproc="$(($(tasks_of "$uid") + 3)):$hard" --
	[ "$(ps -o uid= -p "$ECHOD_PID" | tr -d ' ')" = "$uid" ]
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
	"${as_user[@]}" prlimit --pid "$ECHOD_PID" --nproc="$hard:$hard"
	open_served 4 fds
	wait_until 5 children_are "$ECHOD_PID" 6
	for fd in "$b" "$d" "${fds[@]}"; do
		close_conn "$fd"
	done
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
}
