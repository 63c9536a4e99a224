#!/bin/bash
# Benchmark echod side by side with the servers a user would pick instead:
# xinetd's built-in echo and tcpserver running cat.  Installs those two from
# Debian when missing, runs every scenario of echo-bench against each server
# in turn, round after round, and writes a table of medians with their
# min-max and echod's ratio to each peer to bench/results.md.
#
# Usage: bench/run.sh   (make bench)
# Environment: QUICK=1 for a short run (3 rounds of 1 s instead of 5 of
# 5 s); ROUNDS, DURATION (seconds per run), IDLE_CONNS and RESULTS (the
# output file) override the defaults.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
ECHOD=$TOP/build/echod
BENCH=$TOP/build/echo-bench
if [ "${QUICK:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-3}
	DURATION=${DURATION:-1}
else
	ROUNDS=${ROUNDS:-5}
	DURATION=${DURATION:-5}
fi
IDLE_CONNS=${IDLE_CONNS:-200}
RESULTS=${RESULTS:-$TOP/bench/results.md}
SERVERS="echod xinetd tcpserver"

# Each scenario: a key, its label in the table, its unit, echo-bench's
# arguments.  The idle one is measured differently, see measure_idle.
SCENARIOS=(
	"conn|conn c=16 s=64|conn/s|-c 16 -s 64 conn"
	"bulk1|bulk c=1 s=64k w=256k|MB/s|-c 1 -s 64k -w 256k bulk"
	"bulk8|bulk c=8 s=64k w=256k|MB/s|-c 8 -s 64k -w 256k bulk"
	"pp1|pingpong c=1 s=64|ops/s|-c 1 -s 64 pingpong"
	"pp64|pingpong c=64 s=64|ops/s|-c 64 -s 64 pingpong"
	"idle|idle c=$IDLE_CONNS, PSS per client|KiB|-c $IDLE_CONNS idle"
)

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

# --- what the run needs --------------------------------------------------

if [ ! -x "$ECHOD" ] || [ ! -x "$BENCH" ]; then
	die "build first: make"
fi

install_peers() {
	local missing='' sudo=''

	command -v xinetd >/dev/null 2>&1 || [ -x /usr/sbin/xinetd ] ||
		missing="$missing xinetd"
	command -v tcpserver >/dev/null 2>&1 || missing="$missing ucspi-tcp"
	[ -n "$missing" ] || return 0
	command -v apt-get >/dev/null 2>&1 ||
		die "missing:$missing (and no apt-get to install them)"
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	say "installing$missing"
	$sudo apt-get update -qq
	# policy-rc.d or not, the xinetd service started by the package is
	# not the one measured: it has no service enabled and listens nowhere.
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing >&2
}
install_peers
XINETD=$(command -v xinetd || echo /usr/sbin/xinetd)
TCPSERVER=$(command -v tcpserver)

# Servers on CPU 0, echo-bench on CPU 1, so that neither steals the
# other's time; without a second CPU, no pinning at all.
if [ "$(nproc)" -ge 2 ]; then
	SERVER_PIN=(taskset -c 0)
	CLIENT_PIN=(taskset -c 1)
	PINNING="servers on CPU 0, echo-bench on CPU 1 (taskset)"
else
	SERVER_PIN=()
	CLIENT_PIN=()
	PINNING="not pinned: only one CPU"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/echod-bench.XXXXXX")
declare -A PID PORT
BENCH_PID=

# Stop what this script started, by PID: echo-bench if one is running,
# then each server (TERM, then KILL after 3 s).
cleanup() {
	local name pid i
	if [ -n "$BENCH_PID" ]; then
		kill -KILL "$BENCH_PID" 2>/dev/null || true
		wait "$BENCH_PID" 2>/dev/null || true
	fi
	for name in "${!PID[@]}"; do
		pid=${PID[$name]}
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port that nothing uses now, below the ephemeral range so that no
# outgoing connection is handed it during the run.
free_port() {
	local used p i
	used=" $(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' \
		/proc/net/tcp /proc/net/tcp6 | tr '\n' ' ') ${PORT[*]:-} "
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12768))
		case $used in
		*" $(printf '%04X' "$p") "* | *" $p "*) ;;
		*) echo "$p"; return 0 ;;
		esac
	done
	die "no free port found"
}

# is_listening PORT: a socket listens on 127.0.0.1:PORT.
is_listening() {
	awk -v want="0100007F:$(printf '%04X' "$1")" \
		'$2 == want && $4 == "0A" { found = 1 } END { exit !found }' \
		/proc/net/tcp
}

# wait_for SECONDS COMMAND...: retry COMMAND every 50 ms for SECONDS.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS <= deadline)) || return 1
		sleep 0.05
	done
}

# tree PID: PID and all its descendants, one per line.
tree() {
	local c
	echo "$1"
	# shellcheck disable=SC2013 # the file is a list of words
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tree "$c"
	done
}

# tree_size PID: how many processes the tree of PID holds.
tree_size() {
	tree "$1" | wc -l
}

# tree_pss PID: the proportional set size of the tree of PID, in KiB.
tree_pss() {
	local p files=()
	for p in $(tree "$1"); do
		files+=("/proc/$p/smaps_rollup")
	done
	cat "${files[@]}" 2>/dev/null |
		awk '$1 == "Pss:" { kib += $2 } END { print kib + 0 }'
}

# is_alone NAME: the server NAME runs without any child.
is_alone() {
	[ "$(tree_size "${PID[$1]}")" -le 1 ]
}

# quiesce NAME: wait until the server has no children left from the
# previous run (at most 20 s).
quiesce() {
	wait_for 20 is_alone "$1" ||
		say "$1 still has $(($(tree_size "${PID[$1]}") - 1)) children"
}

# --- the servers ---------------------------------------------------------

start_echod() {
	PORT[echod]=$(free_port)
	cat >"$WORK/echod.conf" <<-EOF
	[server]
	listen = 127.0.0.1
	port = ${PORT[echod]}
	[limits]
	max-children = 2000
	policy = pause
	[log]
	level = warning
	EOF
	"${SERVER_PIN[@]}" "$ECHOD" -f -c "$WORK/echod.conf" \
		</dev/null 2>>"$WORK/echod.log" &
	PID[echod]=$!
}

start_xinetd() {
	PORT[xinetd]=$(free_port)
	cat >"$WORK/xinetd.conf" <<-EOF
	defaults
	{
	        instances       = UNLIMITED
	        per_source      = UNLIMITED
	        cps             = 1000000 1
	}

	service echo
	{
	        type            = INTERNAL UNLISTED
	        id              = echo-stream
	        socket_type     = stream
	        protocol        = tcp
	        wait            = no
	        bind            = 127.0.0.1
	        port            = ${PORT[xinetd]}
	        instances       = UNLIMITED
	        per_source      = UNLIMITED
	        cps             = 1000000 1
	}
	EOF
	"${SERVER_PIN[@]}" "$XINETD" -dontfork -stayalive \
		-filelog "$WORK/xinetd.log" -pidfile "$WORK/xinetd.pid" \
		-f "$WORK/xinetd.conf" </dev/null 2>>"$WORK/xinetd.err" &
	PID[xinetd]=$!
}

# -c: connections at once (default 40); -b: listen backlog (default 20);
# -R -H -l 0: no ident, reverse DNS or local name lookups per connection.
start_tcpserver() {
	PORT[tcpserver]=$(free_port)
	"${SERVER_PIN[@]}" "$TCPSERVER" -c 2000 -b 1024 -R -H -l 0 \
		127.0.0.1 "${PORT[tcpserver]}" cat \
		</dev/null 2>>"$WORK/tcpserver.log" &
	PID[tcpserver]=$!
}

for s in $SERVERS; do
	"start_$s"
	wait_for 10 is_listening "${PORT[$s]}" || {
		cat "$WORK/$s".{log,err} >&2 2>/dev/null || true
		die "$s does not listen on 127.0.0.1:${PORT[$s]}"
	}
done
say "echod on port ${PORT[echod]}, xinetd on ${PORT[xinetd]}," \
	"tcpserver on ${PORT[tcpserver]}; $ROUNDS rounds of ${DURATION} s"

# --- the runs -----------------------------------------------------------

RAW=$WORK/raw	# one line per run: key server round value errors
ERRS=$WORK/errors

# json_field NAME FILE: a number from echo-bench's JSON report.
json_field() {
	sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2"
}

# note_errors NAME KEY ROUND STATUS OUT ERR: remember a run that went wrong.
note_errors() {
	local total
	total=$(json_field total "$5")
	if [ "$4" -ne 0 ] || [ "${total:-0}" != 0 ]; then
		printf '%s %s round %s: exit %s, %s errors: %s\n' "$1" "$2" \
			"$3" "$4" "${total:-?}" \
			"$(head -n 3 "$6" | tr '\n' ' ')" >>"$ERRS"
		echo "${total:-1}"
	else
		echo 0
	fi
}

measure() {
	local name=$1 key=$2 round=$3 args=$4 rc=0 value errors
	# shellcheck disable=SC2086 # args is a list of words
	"${CLIENT_PIN[@]}" "$BENCH" --json -d "$DURATION" $args 127.0.0.1 \
		"${PORT[$name]}" >"$WORK/out" 2>"$WORK/err" || rc=$?
	value=$(json_field rate "$WORK/out")
	errors=$(note_errors "$name" "$key" "$round" "$rc" "$WORK/out" "$WORK/err")
	echo "$key $name $round ${value:-0} $errors" >>"$RAW"
}

# The memory one idle client costs: the tree's PSS with IDLE_CONNS clients
# held, less its PSS before, divided by IDLE_CONNS.
measure_idle() {
	local name=$1 key=$2 round=$3 args=$4 rc=0 before after value errors
	before=$(tree_pss "${PID[$name]}")
	# Empty now: the background job truncates it only once it has started.
	: >"$WORK/err"
	# shellcheck disable=SC2086 # args is a list of words
	"${CLIENT_PIN[@]}" "$BENCH" --json -d 0 $args 127.0.0.1 \
		"${PORT[$name]}" >"$WORK/out" 2>"$WORK/err" &
	BENCH_PID=$!
	if wait_for 60 grep -q 'established' "$WORK/err"; then
		after=$(tree_pss "${PID[$name]}")
	else
		after=$before
	fi
	kill -TERM "$BENCH_PID" 2>/dev/null || true
	wait "$BENCH_PID" || rc=$?
	BENCH_PID=
	value=$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" \
		'BEGIN { printf "%.1f", (a - b) / n }')
	errors=$(note_errors "$name" "$key" "$round" "$rc" "$WORK/out" "$WORK/err")
	echo "$key $name $round $value $errors" >>"$RAW"
}

started=$SECONDS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$RAW"
: >"$ERRS"
for ((round = 1; round <= ROUNDS; round++)); do
	for entry in "${SCENARIOS[@]}"; do
		IFS='|' read -r key label unit args <<<"$entry"
		for s in $SERVERS; do
			quiesce "$s"
			if [ "$key" = idle ]; then
				measure_idle "$s" "$key" "$round" "$args"
			else
				measure "$s" "$key" "$round" "$args"
			fi
		done
	done
	say "round $round of $ROUNDS done after $((SECONDS - started)) s"
done

# --- the table ----------------------------------------------------------

# stats KEY SERVER: "median min max" of the runs of SERVER in KEY.
stats() {
	awk -v k="$1" -v s="$2" '$1 == k && $2 == s { print $4 }' "$RAW" |
		sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "0 0 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR]
		}'
}

# had_errors KEY SERVER: some run of SERVER in KEY counted errors.
had_errors() {
	awk -v k="$1" -v s="$2" '$1 == k && $2 == s && $5 != 0 { f = 1 }
		END { exit !f }' "$RAW"
}

fmt() {
	awk -v v="$1" 'BEGIN {
		if (v >= 1000) printf "%.0f", v
		else if (v >= 100) printf "%.1f", v
		else printf "%.2f", v
	}'
}

table() {
	local entry key label unit args s med min max cell ratio
	local -A median
	printf '| scenario | unit | echod | xinetd | tcpserver | echod/xinetd | echod/tcpserver |\n'
	printf '|---|---|---:|---:|---:|---:|---:|\n'
	for entry in "${SCENARIOS[@]}"; do
		IFS='|' read -r key label unit args <<<"$entry"
		printf '| %s | %s ' "$label" "$unit"
		for s in $SERVERS; do
			read -r med min max < <(stats "$key" "$s")
			median[$s]=$med
			cell="$(fmt "$med") ($(fmt "$min")–$(fmt "$max"))"
			had_errors "$key" "$s" && cell="$cell ⚠"
			printf '| %s ' "$cell"
		done
		for s in xinetd tcpserver; do
			ratio=$(awk -v a="${median[echod]}" -v b="${median[$s]}" \
				'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
			printf '| %s ' "$ratio"
		done
		printf '|\n'
	done
}

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown
}
{
	printf '# echod benchmark\n\n'
	# shellcheck disable=SC2016 # backquotes for Markdown
	printf 'Written by `bench/run.sh` (`make bench%s`).\n\n' \
		"$([ "${QUICK:-0}" = 1 ] && echo ' QUICK=1')"
	printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf -- '- CPU: %s, %s CPUs; %s\n' "${cpu:-unknown}" "$(nproc)" "$PINNING"
	printf -- '- kernel: %s\n' "$(uname -sr)"
	printf -- '- load average (1, 5, 15 min): %s before, %s after\n' \
		"$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf -- '- echod %s (%s), xinetd %s, ucspi-tcp %s\n' \
		"$("$ECHOD" -V | awk '{ print $2 }')" \
		"$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?')" \
		"$(version xinetd)" "$(version ucspi-tcp)"
	printf -- '- %s rounds, servers interleaved in each scenario; %s s per run\n\n' \
		"$ROUNDS" "$DURATION"
	table
	printf '\nMedian of %s runs, (min–max) after it. Higher is better, except\n' "$ROUNDS"
	printf 'for idle memory, where a ratio below 1 means echod uses less.\n'
	printf 'PSS is summed from /proc/PID/smaps_rollup over the whole process\n'
	printf 'tree of the server, held clients against none.'
	if [ -s "$ERRS" ]; then
		printf ' ⚠: some runs counted errors:\n\n'
		sed 's/^/    /' "$ERRS"
	else
		printf ' No run counted any error.\n'
	fi
	printf '\n## Commands\n\n'
	printf 'Servers (on 127.0.0.1, port chosen per run):\n\n'
	printf '    %s build/echod -f -c echod.conf\n' "${SERVER_PIN[*]}"
	printf '    %s xinetd -dontfork -stayalive -filelog LOG -pidfile PID -f xinetd.conf\n' \
		"${SERVER_PIN[*]}"
	printf '    %s tcpserver -c 2000 -b 1024 -R -H -l 0 127.0.0.1 PORT cat\n\n' \
		"${SERVER_PIN[*]}"
	printf 'Each run (idle: -d 0, stopped with SIGTERM once all are established\n'
	printf 'and the PSS is read):\n\n'
	for entry in "${SCENARIOS[@]}"; do
		IFS='|' read -r key label unit args <<<"$entry"
		printf '    %s build/echo-bench --json -d %s %s 127.0.0.1 PORT\n' \
			"${CLIENT_PIN[*]}" "$([ "$key" = idle ] && echo 0 ||
			echo "$DURATION")" "$args"
	done
	printf '\nechod.conf:\n\n'
	sed 's/^/    /' "$WORK/echod.conf"
	printf '\nxinetd.conf:\n\n'
	sed 's/^/    /' "$WORK/xinetd.conf"
} >"$RESULTS"

table
say "$((SECONDS - started)) s; written to $RESULTS"
