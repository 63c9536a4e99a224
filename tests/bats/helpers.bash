# Shared helpers for the echod test suites.  Every test gets its own
# $BATS_TEST_TMPDIR, config and echod on a kernel-chosen loopback port.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
ECHOD=${ECHOD:-$TOP/build/echod}
ECHO_CLIENT=${ECHO_CLIENT:-$TOP/build/echo-client}
LOG=$BATS_TEST_TMPDIR/log
CONF=$BATS_TEST_TMPDIR/echod.conf

# wait_until SECONDS COMMAND...: retry COMMAND every 20 ms until it succeeds;
# fail once SECONDS have passed.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if ((SECONDS > deadline)); then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# is_gone PID: true when PID no longer runs (a zombie counts as gone).
is_gone() {
	local state
	state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# wait_gone PID SECONDS
wait_gone() {
	wait_until "$2" is_gone "$1"
}

# write_config [TEXT]: a config for tests: loopback only, no pidfile
# needed with -f.  TEXT (sections and keys) replaces the default body.
write_config() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$1" >"$CONF"
	else
		printf '[server]\nlisten = 127.0.0.1\n' >"$CONF"
	fi
}

# log_has PATTERN: the echod log contains a line matching PATTERN (grep -E).
log_has() {
	grep -Eq -- "$1" "$LOG"
}

# start_echod [ARGS...]: start echod in the foreground on a free port with
# $CONF (written with the defaults if absent); sets ECHOD_PID and PORT.
start_echod() {
	[ -e "$CONF" ] || write_config
	"$ECHOD" -f -p 0 -c "$CONF" "$@" 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until 5 log_has 'listening on' || {
		cat "$LOG" >&2
		return 1
	}
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
	[ -n "$PORT" ]
}

# stop_echod: TERM the echod this test started and wait for it.
stop_echod() {
	[ -n "${ECHOD_PID:-}" ] || return 0
	kill -TERM "$ECHOD_PID" 2>/dev/null || true
	if ! wait_gone "$ECHOD_PID" 5; then
		kill -KILL "$ECHOD_PID" 2>/dev/null || true
		ECHOD_PID=
		echo "echod ignored SIGTERM" >&2
		return 1
	fi
	wait "$ECHOD_PID" 2>/dev/null || true
	ECHOD_PID=
}

# children_of PID: the pids of PID's children, one per line.
children_of() {
	local f
	for f in /proc/"$1"/task/*/children; do
		[ -r "$f" ] && tr ' ' '\n' <"$f"
	done | grep -v '^$' || true
}

# live_children PID: how many of PID's children are not zombies.
live_children() {
	local n=0 c
	for c in $(children_of "$1"); do
		is_gone "$c" || n=$((n + 1))
	done
	echo "$n"
}

# zombies_of PID: how many of PID's children are zombies.
zombies_of() {
	local n=0 c
	for c in $(children_of "$1"); do
		[ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$c/stat" 2>/dev/null)" = Z ] &&
			n=$((n + 1))
	done
	echo "$n"
}

# fd_count PID: how many descriptors PID holds open.
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# open_conn VAR: open a TCP connection to echod with bash's /dev/tcp and put
# its descriptor number in VAR.
open_conn() {
	local -n _fd=$1
	exec {_fd}<>"/dev/tcp/127.0.0.1/$PORT"
}

# close_conn FD
close_conn() {
	eval "exec $1>&-"
}

teardown() {
	stop_echod
}
