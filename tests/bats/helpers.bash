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
	launch_echod -p 0 "$@"
}

# launch_echod [ARGS...]: start echod in the foreground with $CONF and
# ARGS, and wait for it to listen; sets ECHOD_PID and PORT (the first
# port it names).
launch_echod() {
	[ -e "$CONF" ] || write_config
	: >>"$LOG"
	"$ECHOD" -f -c "$CONF" "$@" 2>>"$LOG" </dev/null 3>&- &
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

# open_served N ARRAY: open N connections, add their descriptors to the
# array named ARRAY, and check that each of them echoes.
open_served() {
	local -n _served=$2
	local i fd
	for ((i = 0; i < $1; i++)); do
		open_conn fd
		_served+=("$fd")
	done
	for fd in "${_served[@]: -$1}"; do
		echoes "$fd" || return 1
	done
}

# close_conn FD
close_conn() {
	eval "exec $1>&-"
}

teardown() {
	stop_echod
}

# free_port [LOW HIGH]: print a TCP port that no socket on this host uses
# now, taken from LOW..HIGH, by default 20000..32767, below the kernel's
# ephemeral range, so that neither -p 0 nor an outgoing connection is
# handed it meanwhile.
free_port() {
	local low=${1:-20000} high=${2:-32767} used p i
	used=" $(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null | tr '\n' ' ') "
	for ((i = 0; i < 200; i++)); do
		p=$((low + RANDOM % (high - low + 1)))
		case $used in
		*" $(printf '%04X' "$p") "*) ;;
		*) echo "$p"; return 0 ;;
		esac
	done
	return 1
}

# start_echod_noport [ARGS...]: start_echod without -p, for tests that need
# the port of the config file (a port given by -p survives reloads).
start_echod_noport() {
	launch_echod "$@"
}

# start_blocker: a second echod in the foreground on 127.0.0.1 and a free
# port, to hold a port; sets BLOCKER_PID and BLOCKER_PORT.  Stop it with
# stop_blocker.
start_blocker() {
	local conf=$BATS_TEST_TMPDIR/blocker.conf log=$BATS_TEST_TMPDIR/blocker.log
	printf '[server]\nlisten = 127.0.0.1\n' >"$conf"
	"$ECHOD" -f -p 0 -c "$conf" 2>>"$log" </dev/null 3>&- &
	BLOCKER_PID=$!
	wait_until 5 grep -q 'listening on' "$log" || {
		cat "$log" >&2
		return 1
	}
	BLOCKER_PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
	[ -n "$BLOCKER_PORT" ]
}

# stop_blocker: TERM the echod of start_blocker, if any, and wait for it.
stop_blocker() {
	[ -n "${BLOCKER_PID:-}" ] || return 0
	kill -TERM "$BLOCKER_PID" 2>/dev/null || true
	wait_gone "$BLOCKER_PID" 5 || kill -KILL "$BLOCKER_PID" 2>/dev/null || true
	wait "$BLOCKER_PID" 2>/dev/null || true
	BLOCKER_PID=
}

# open_conn_to VAR HOST PORT: open_conn to any address and port.
open_conn_to() {
	local -n _fd2=$1
	exec {_fd2}<>"/dev/tcp/$2/$3"
}

# can_connect HOST PORT: true when a TCP connection to HOST:PORT is accepted
# by the kernel (the connection is closed again at once).
can_connect() {
	(exec 9<>"/dev/tcp/$1/$2") 2>/dev/null
}

# echoes FD [TEXT]: send one line of TEXT on FD and succeed when the same
# line comes back within 2 seconds.
echoes() {
	local text=${2:-hello $RANDOM} reply
	printf '%s\n' "$text" >&"$1" || return 1
	IFS= read -r -t 2 reply <&"$1" || return 1
	[ "$reply" = "$text" ]
}

# reads_eof FD [SECONDS]: true when reading FD ends (end of file or an error
# such as a reset) within SECONDS (default 2) without any data.
reads_eof() {
	local c rc=0
	IFS= read -r -N 1 -t "${2:-2}" c <&"$1" 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -le 128 ] && [ -z "$c" ]
}

# stays_silent FD SECONDS: true when nothing at all (no data, no end of
# file) arrives on FD for SECONDS.
stays_silent() {
	local c rc=0
	IFS= read -r -N 1 -t "$2" c <&"$1" 2>/dev/null || rc=$?
	[ "$rc" -gt 128 ]
}

# children_are PID N: true when PID has exactly N live (non-zombie) children.
children_are() {
	[ "$(live_children "$1")" -eq "$2" ]
}

# no_zombies PID: true when none of PID's children is a zombie.
no_zombies() {
	[ "$(zombies_of "$1")" -eq 0 ]
}

# now_ms: the time in milliseconds, for measuring how long something took.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# Suites in a subdirectory (tests/bats/stress) load ../helpers: their
# TOP above is one level short.  Find the top by its Makefile instead.
if [ ! -e "$TOP/Makefile" ] && [ -e "$TOP/../Makefile" ]; then
	if [ "$ECHOD" = "$TOP/build/echod" ]; then
		ECHOD=$(cd "$TOP/.." && pwd)/build/echod
	fi
	if [ "$ECHO_CLIENT" = "$TOP/build/echo-client" ]; then
		ECHO_CLIENT=$(cd "$TOP/.." && pwd)/build/echo-client
	fi
	TOP=$(cd "$TOP/.." && pwd)
fi

# log_count PATTERN: how many lines of the log match PATTERN (grep -E).
log_count() {
	grep -Ec -- "$1" "$LOG" || true
}

# log_count_is PATTERN N: exactly N lines of the log match PATTERN.
log_count_is() {
	[ "$(log_count "$1")" -eq "$2" ]
}

# log_count_since LINE PATTERN: log_count over the lines after line LINE.
log_count_since() {
	tail -n +"$(($1 + 1))" "$LOG" | grep -Ec -- "$2" || true
}

# report_value FILE NAME: the number after NAME in FILE, a report made of
# "name number" pairs such as the flood tool prints.
report_value() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"
}

# cpu_ticks PID: the CPU time PID has used (user + system), in clock ticks
# (getconf CLK_TCK a second).
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# start_echod_via SECONDS COMMAND...: start_echod with echod run by
# COMMAND (which must exec it: valgrind, setpriv, prlimit...), waiting up to
# SECONDS for it to listen.  Sets ECHOD_PID and PORT.
start_echod_via() {
	local wait=$1
	shift
	[ -e "$CONF" ] || write_config
	: >>"$LOG"	# there before the first look at it
	"$@" "$ECHOD" -f -p 0 -c "$CONF" 2>>"$LOG" </dev/null 3>&- &
	ECHOD_PID=$!
	wait_until "$wait" log_has 'listening on' || {
		cat "$LOG" >&2
		return 1
	}
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
	[ -n "$PORT" ]
}

# stream_start NAME BYTES [RATE]: send BYTES (head -c syntax: 8M) of random
# data through echod with echo-client in the background, at most RATE
# bytes a second if given.  What was sent and what came back are kept as
# checksums, with echo-client's exit status, in $BATS_TEST_TMPDIR/stream.NAME.*;
# check them with stream_ok.  With STREAM_GATE set to a path, echo-client
# connects at once but sends nothing until that file exists.
stream_start() {
	local s=$BATS_TEST_TMPDIR/stream.$1 pace=(cat)
	[ -z "${3:-}" ] || pace=("$TOP/build/tools/trickle" "$3")
	{
		{
			local n gate=${STREAM_GATE:-}
			for ((n = 0; n < 3000 && ${#gate}; n++)); do
				[ ! -e "$gate" ] || break
				sleep 0.1
			done
			head -c "$2" /dev/urandom
		} | tee >(sha256sum >"$s.sent") |
			"${pace[@]}" |
			timeout 300 "$ECHO_CLIENT" 127.0.0.1 "$PORT" 2>"$s.err" |
			sha256sum >"$s.back"
		echo "${PIPESTATUS[3]}" >"$s.status"
	} 3>&- &
}

# stream_ok NAME: the stream of stream_start ended, echo-client exited 0 and
# what came back is what was sent.
stream_ok() {
	local s=$BATS_TEST_TMPDIR/stream.$1
	wait_until 300 test -s "$s.status" || return 1
	wait_until 10 test -s "$s.sent" || return 1
	if [ "$(cat "$s.status")" != 0 ] || ! cmp -s "$s.sent" "$s.back"; then
		echo "stream $1: echo-client exited $(cat "$s.status"):" \
			"$(cat "$s.err")" >&2
		return 1
	fi
}

HOLDCONNS=$TOP/build/tools/holdconns
declare -gA HOLDER=()

# hold_conns NAME [ARGS...]: run holdconns -k ARGS against 127.0.0.1:$PORT
# in the background, wait for its report and keep its pid as HOLDER[NAME];
# conns_value NAME reads the report, release NAME ends it.
hold_conns() {
	local name=$1 out=$BATS_TEST_TMPDIR/holdconns.$1
	shift
	"$HOLDCONNS" -k "$@" 127.0.0.1 "$PORT" >"$out" \
		2>>"$BATS_TEST_TMPDIR/holdconns.err" </dev/null 3>&- &
	HOLDER[$name]=$!
	wait_until 10 grep -q '^echoed ' "$out"
}

# try_conns NAME [ARGS...]: run holdconns ARGS against 127.0.0.1:$PORT in
# the foreground; conns_value NAME reads its report.
try_conns() {
	local name=$1
	shift
	"$HOLDCONNS" "$@" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/holdconns.$name" \
		2>>"$BATS_TEST_TMPDIR/holdconns.err" </dev/null 3>&-
}

# conns_value NAME KEY: a count (echoed, closed, silent, refused, failed)
# or the ms from the summary of holdconns run NAME.
conns_value() {
	awk -v k="$2" '$1 == "echoed" {
		for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' \
		"$BATS_TEST_TMPDIR/holdconns.$1"
}

# release NAME: close the connections held by hold_conns NAME.
release() {
	local pid=${HOLDER[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'HOLDER[$1]'
}

# release_all: release every holder still running (for teardown).
release_all() {
	local name
	for name in "${!HOLDER[@]}"; do
		release "$name"
	done
}

# request_stats: send SIGUSR1 to echod, wait for the statistics line it
# logs and put that line in STATS.
request_stats() {
	local before
	before=$(log_count ': stats: ')
	kill -USR1 "$ECHOD_PID"
	wait_until 5 stats_logged_since "$before"
	STATS=$(grep ': stats: ' "$LOG" | tail -n 1)
}

# stats_logged_since N: more than N statistics lines are in the log.
stats_logged_since() {
	[ "$(log_count ': stats: ')" -gt "$1" ]
}

# stats_value NAME: the number after NAME ("accepted", "bytes echoed",
# "max-per-ip" ...) in STATS.
stats_value() {
	grep -oE "(^|[ (])$1 [0-9]+" <<<"$STATS" | head -n 1 | awk '{ print $NF }'
}
