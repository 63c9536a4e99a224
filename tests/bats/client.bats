#!/usr/bin/env bats
# echo-client: the round trip, big and binary input, interactive use, its
# failures (refused, unknown host, short, long, altered or reset echoes,
# timeouts, a closed stdout), its command line, and -u over UDP against
# udp_faulty (tests/tools), which loses, delays, repeats or alters replies.

load helpers
bats_require_minimum_version 1.5.0

IN=$BATS_TEST_TMPDIR/in
OUT=$BATS_TEST_TMPDIR/out
ERR=$BATS_TEST_TMPDIR/err

# faulty_echo (tests/tools) gets the echo wrong on purpose; build it once.
setup_file() {
	"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 \
		-o "$BATS_FILE_TMPDIR/faulty_echo" "$TOP/tests/tools/faulty_echo.c"
}

# Keep the teardown of helpers.bash, and also stop what these tests start.
eval "helpers_$(declare -f teardown)"
teardown() {
	local pid
	for pid in "${CLIENT_PID:-}" "${FAULTY_PID:-}"; do
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	helpers_teardown
}

# start_faulty MODE: start faulty_echo in MODE on a free loopback port;
# sets FAULTY_PID and PORT.
start_faulty() {
	"$BATS_FILE_TMPDIR/faulty_echo" "$1" >"$BATS_TEST_TMPDIR/faulty.out" \
		</dev/null 3>&- &
	FAULTY_PID=$!
	wait_until 5 grep -q '^port ' "$BATS_TEST_TMPDIR/faulty.out"
	PORT=$(awk '{ print $2 }' "$BATS_TEST_TMPDIR/faulty.out")
}

# start_client_held ARGS...: start echo-client in the background with its
# stdin on a FIFO that this shell holds open as fd $HELD (so the client
# never sees the end of its input), stdout in $OUT, stderr in $ERR; sets
# CLIENT_PID.
start_client_held() {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$ECHO_CLIENT" "$@" <"$BATS_TEST_TMPDIR/fifo" >"$OUT" 2>"$ERR" 3>&- &
	CLIENT_PID=$!
	exec {HELD}>"$BATS_TEST_TMPDIR/fifo"
}

# client_exits SECONDS: wait for the client of start_client_held to end
# while its input is still open; sets CLIENT_STATUS.
client_exits() {
	wait_gone "$CLIENT_PID" "$1"
	CLIENT_STATUS=0
	wait "$CLIENT_PID" || CLIENT_STATUS=$?
	CLIENT_PID=
}

# ms_now: milliseconds on the wall clock.
ms_now() {
	echo $(($(date +%s%N) / 1000000))
}

# has_ipv6_loopback: the kernel has ::1 on lo.
has_ipv6_loopback() {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# assert_usage_error: the last run failed with status 2, printed one line
# naming the problem and the usage on stderr, and nothing on stdout.
assert_usage_error() {
	assert_failure 2
	assert_output ''
	[[ ${stderr_lines[0]} == "echo-client: "* ]]
	[[ $stderr == *"usage: echo-client "* ]]
}

@test "a line comes back through echod and the client exits 0" {
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <<<'hello, echo'
	assert_success
	assert_output 'hello, echo'
	[ -z "$stderr" ]
	wait_until 5 log_has 'closed, 12 bytes echoed in [0-9.]+ s$'
}

@test "the port may be given with -p instead of after the host" {
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -p "$PORT" 127.0.0.1 <<<'by -p'
	assert_success
	assert_output 'by -p'
}

@test "64 MiB of random bytes come back byte-exact" {
	start_echod
	head -c 64M /dev/urandom >"$IN"
	timeout 60 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$IN" >"$OUT" 2>"$ERR"
	[ ! -s "$ERR" ]
	[ "$(stat -c %s "$OUT")" -eq 67108864 ]
	[ "$(sha256sum <"$IN")" = "$(sha256sum <"$OUT")" ]
}

@test "every byte value from 0 to 255 comes back unchanged" {
	local i
	start_echod
	for ((i = 0; i < 256; i++)); do
		printf "\\$(printf %03o "$i")"
	done >"$IN"
	[ "$(stat -c %s "$IN")" -eq 256 ]
	timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$IN" >"$OUT"
	cmp "$IN" "$OUT"
}

@test "empty input gives empty output and exit 0" {
	start_echod
	timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" </dev/null >"$OUT" 2>"$ERR"
	[ ! -s "$OUT" ]
	[ ! -s "$ERR" ]
	wait_until 5 log_has 'closed, 0 bytes echoed in [0-9.]+ s$'
}

@test "each line written to an open pipe comes back before the next is written" {
	local i reply pid
	start_echod
	coproc CLIENT { exec "$ECHO_CLIENT" 127.0.0.1 "$PORT" 2>"$ERR" 3>&-; }
	pid=$CLIENT_PID
	for i in 1 2 3 4 5; do
		printf 'line %d\n' "$i" >&"${CLIENT[1]}"
		IFS= read -r -t 3 reply <&"${CLIENT[0]}"
		assert_equal "$reply" "line $i"
	done
	eval "exec ${CLIENT[1]}>&-"
	wait_gone "$pid" 5
	wait "$pid"
	[ ! -s "$ERR" ]
}

@test "an IPv6 literal reaches echod on ::1" {
	has_ipv6_loopback || skip 'no ::1 on this machine'
	write_config '[server]
listen = ::1'
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -6 ::1 "$PORT" <<<'over IPv6'
	assert_success
	assert_output 'over IPv6'
	wait_until 5 log_has 'session \[?::1\]?:[0-9]+: opened'
}

@test "-4 and -6 keep to addresses of their own family" {
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -6 127.0.0.1 "$PORT" </dev/null
	assert_failure 1
	[ "$stderr" = "echo-client: cannot resolve '127.0.0.1' as IPv6: Address family for hostname not supported" ]
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -4 ::1 "$PORT" </dev/null
	assert_failure 1
	[[ $stderr == "echo-client: cannot resolve '::1' as IPv4: "* ]]
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -4 127.0.0.1 "$PORT" <<<'v4'
	assert_success
	assert_output 'v4'
}

@test "every address of a host name is tried in turn" {
	local addrs first other
	has_ipv6_loopback || skip 'no ::1 on this machine'
	# Only localhost: it comes from the hosts file, never from DNS.
	addrs=$(getent ahosts localhost | awk '$2 == "STREAM" { print $1 }')
	grep -qx '::1' <<<"$addrs" && grep -qx '127.0.0.1' <<<"$addrs" ||
		skip 'localhost does not resolve to both ::1 and 127.0.0.1 here'
	first=$(head -n 1 <<<"$addrs")
	if [ "$first" = ::1 ]; then other=127.0.0.1; else other=::1; fi
	# Listen on the second address only: the first one must be refused.
	write_config "[server]
listen = $other"
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -v localhost "$PORT" <<<'second'
	assert_success
	assert_output 'second'
	[[ $stderr == *"connect to $first port $PORT: Connection refused"* ]]
	[[ $stderr == *"connected to $other port $PORT"* ]]
}

@test "a refused connection is reported with the host and port" {
	local port
	start_echod
	port=$PORT
	stop_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$port" </dev/null
	assert_failure 1
	assert_output ''
	[ "$stderr" = "echo-client: cannot connect to 127.0.0.1 port $port: Connection refused" ]
}

@test "an unknown host is reported and nothing is sent" {
	local host
	# A 64-byte label cannot be put in a DNS query: the resolver fails
	# without sending anything off this machine.
	host=$(printf 'x%.0s' {1..64}).invalid
	run --separate-stderr timeout 10 "$ECHO_CLIENT" "$host" 7 </dev/null
	assert_failure 1
	assert_output ''
	[[ $stderr == "echo-client: cannot resolve '$host': "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "a missing host is a usage error" {
	run --separate-stderr "$ECHO_CLIENT" </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = 'echo-client: missing HOST' ]
	run --separate-stderr "$ECHO_CLIENT" -v -p 7 </dev/null
	assert_usage_error
}

@test "a port given both with -p and after the host is a usage error" {
	run --separate-stderr "$ECHO_CLIENT" -p 7 127.0.0.1 8 </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = "echo-client: PORT given twice: '-p 7' and '8'" ]
}

@test "a bad -w value is a usage error" {
	local bad
	for bad in '' abc -1 5x 1.5 86401 99999999999999999999; do
		run --separate-stderr "$ECHO_CLIENT" -w "$bad" 127.0.0.1 </dev/null
		assert_usage_error
		[ "${stderr_lines[0]}" = "echo-client: -w: expected 0..86400 seconds, got '$bad'" ]
	done
	run --separate-stderr "$ECHO_CLIENT" 127.0.0.1 -w </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = "echo-client: option '-w' needs an argument" ]
}

@test "-4 together with -6 is a usage error" {
	run --separate-stderr "$ECHO_CLIENT" -4 -6 127.0.0.1 </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = 'echo-client: -4 and -6 cannot be used together' ]
}

@test "an unknown option is a usage error" {
	run --separate-stderr "$ECHO_CLIENT" -x 127.0.0.1 </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = "echo-client: unknown option '-x'" ]
}

@test "a bad port or too many arguments is a usage error" {
	local bad
	for bad in 0 65536 070000 ''; do
		run --separate-stderr "$ECHO_CLIENT" 127.0.0.1 "$bad" </dev/null
		assert_usage_error
		[ "${stderr_lines[0]}" = "echo-client: port: expected 1..65535 or a service name, got '$bad'" ]
	done
	run --separate-stderr "$ECHO_CLIENT" 127.0.0.1 7 extra </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = "echo-client: too many arguments, starting at 'extra'" ]
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr "$ECHO_CLIENT" -h
	assert_success
	assert_line --index 0 'usage: echo-client [-4|-6] [-p PORT] [-w SECONDS] [-v] HOST [PORT]'
	[ -z "$stderr" ]
}

@test "-V prints the version" {
	run --separate-stderr "$ECHO_CLIENT" -V
	assert_success
	assert_output --regexp '^echo-client [0-9][0-9A-Za-z.+~-]*$'
}

@test "a server that closes before the end of the input is reported with the counts" {
	# The 13 bytes go out in one write and come back at once; then the
	# input stays open and silent, echod gives up after its 1 s idle
	# timeout, and only then does the connection close: 13 and 13.
	write_config '[server]
listen = 127.0.0.1
[limits]
idle-timeout = 1'
	start_echod
	start_client_held 127.0.0.1 "$PORT"
	printf 'partial data\n' >&"$HELD"
	client_exits 5
	[ "$CLIENT_STATUS" -eq 1 ]
	[ "$(cat "$ERR")" = 'echo-client: server closed the connection before the end of input: sent 13 bytes, received 13' ]
	[ "$(cat "$OUT")" = 'partial data' ]
	log_has 'idle for 1 s, closing'
}

@test "-w gives up on a server that accepts and never answers" {
	local start elapsed
	write_config '[server]
listen = 127.0.0.1
[limits]
max-children = 1
policy = pause'
	start_echod
	open_conn held
	echoes "$held"
	wait_until 5 log_has 'limit reached: 1 of 1 children, pausing accept'
	# The kernel completes the handshake; the client then waits in the
	# backlog and nothing ever comes back.
	start=$(ms_now)
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -w 1 127.0.0.1 "$PORT" <<<'anyone?'
	elapsed=$(($(ms_now) - start))
	assert_failure 1
	assert_output ''
	[ "$stderr" = 'echo-client: timed out after 1 s with nothing moving: sent 8 bytes, received 0' ]
	((elapsed >= 900 && elapsed < 4000))
	close_conn "$held"
}

@test "a short echo is reported with the counts" {
	start_faulty short
	head -c 100000 /dev/urandom >"$IN"
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$IN"
	assert_failure 1
	[ "$stderr" = 'echo-client: short echo: sent 100000 bytes, received 99999' ]
}

@test "an echo longer than what was sent is reported at once" {
	start_faulty extra
	start_client_held 127.0.0.1 "$PORT"
	printf 'abc' >&"$HELD"
	client_exits 5
	[ "$CLIENT_STATUS" -eq 1 ]
	[ "$(cat "$ERR")" = 'echo-client: received more than was sent: sent 3 bytes, received 4' ]
}

@test "an altered echo is reported as differing from what was sent" {
	start_faulty mangle
	start_client_held 127.0.0.1 "$PORT"
	printf 'hello\n' >&"$HELD"
	client_exits 5
	[ "$CLIENT_STATUS" -eq 1 ]
	[[ $(cat "$ERR") == 'echo-client: echo differs from what was sent'* ]]
	[ "$(cat "$OUT")" = 'Hello' ]
}

@test "a reset by the server is reported and SIGPIPE does not kill the client" {
	start_faulty reset
	head -c 4M /dev/zero >"$IN"
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$IN"
	assert_failure 1
	[[ $stderr == 'echo-client: connection reset by peer: sent '*' bytes, received 0' ]]
}

@test "a closed stdout ends the client with status 1 and a message" {
	local status
	start_echod
	head -c 4M /dev/zero >"$IN"
	status=$(
		set +o pipefail
		timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <"$IN" 2>"$ERR" |
			head -c 10 >/dev/null
		echo "${PIPESTATUS[0]}"
	)
	[ "$status" -eq 1 ]
	[ "$(cat "$ERR")" = 'echo-client: write to standard output: Broken pipe' ]
}

# start_udp_faulty MODE: start udp_faulty (tests/tools) in MODE on a free
# loopback port; sets FAULTY_PID and PORT.
start_udp_faulty() {
	"$TOP/build/tools/udp_faulty" "$1" >"$BATS_TEST_TMPDIR/faulty.out" \
		</dev/null 3>&- &
	FAULTY_PID=$!
	wait_until 5 grep -q '^port ' "$BATS_TEST_TMPDIR/faulty.out"
	PORT=$(awk '{ print $2 }' "$BATS_TEST_TMPDIR/faulty.out")
}

@test "-u sends each line as a datagram and writes each reply as a line" {
	start_udp_faulty echo
	printf 'one\n\nthree has spaces\n' >"$IN"
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -v 127.0.0.1 "$PORT" <"$IN"
	assert_success
	[ "$output" = "$(cat "$IN")" ]
	assert_equal "${stderr_lines[0]}" "echo-client: sending to 127.0.0.1 port $PORT"
	[[ ${stderr_lines[1]} == 'echo-client: sent 3 datagrams (19 bytes) in '[0-9]*.[0-9][0-9][0-9]' s: 3 echoed exactly, 0 lost, 0 mismatched, 0 stray replies' ]]
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "-u -s cuts binary input into datagrams and writes the replies raw" {
	start_udp_faulty echo
	head -c 100500 /dev/urandom >"$IN"
	timeout 10 "$ECHO_CLIENT" -u -s 1000 -v 127.0.0.1 "$PORT" <"$IN" >"$OUT" 2>"$ERR"
	cmp "$IN" "$OUT"
	grep -q 'sent 101 datagrams (100500 bytes) in .* 101 echoed exactly, 0 lost' "$ERR"
}

@test "-u with empty input sends nothing and exits 0" {
	start_udp_faulty echo
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u 127.0.0.1 "$PORT" </dev/null
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "-u reports a mangled reply as mismatched and writes it as it came" {
	start_udp_faulty mangle
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u 127.0.0.1 "$PORT" <<<'hello'
	assert_failure 1
	assert_output 'Hello'
	assert_equal "${stderr_lines[0]}" 'echo-client: datagram 1 (5 bytes): the reply differs (5 bytes)'
	assert_equal "${stderr_lines[1]}" 'echo-client: 0 of 1 datagrams lost, 1 mismatched'
}

@test "-u reports a lost datagram after -w seconds and goes on with the rest" {
	local start elapsed
	start_udp_faulty drop2
	start=$(ms_now)
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 1 127.0.0.1 "$PORT" <<<$'a\nbb\nccc'
	elapsed=$(($(ms_now) - start))
	assert_failure 1
	assert_output $'a\nccc'
	assert_equal "${stderr_lines[0]}" 'echo-client: datagram 2 (2 bytes): no reply within 1 s'
	assert_equal "${stderr_lines[1]}" 'echo-client: 1 of 3 datagrams lost, 0 mismatched'
	((elapsed >= 900 && elapsed < 5000))
}

@test "-u sets a late reply aside instead of taking it for the next datagram" {
	# The reply to datagram 2 comes just before that to datagram 3.
	start_udp_faulty late2
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 1 127.0.0.1 "$PORT" <<<$'a\nbb\nccc\ndddd'
	assert_failure 1
	assert_output $'a\nccc\ndddd'
	assert_equal "${stderr_lines[0]}" 'echo-client: datagram 2 (2 bytes): no reply within 1 s'
	assert_equal "${stderr_lines[1]}" 'echo-client: datagram 3 (3 bytes): set aside a late or repeated reply (2 bytes) to an earlier datagram'
	assert_equal "${stderr_lines[2]}" 'echo-client: 1 of 4 datagrams lost, 0 mismatched, 1 stray replies'
}

@test "-u fails when the server answers each datagram twice" {
	start_udp_faulty twice
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u 127.0.0.1 "$PORT" <<<$'a\nbb\nccc'
	assert_failure 1
	assert_output $'a\nbb\nccc'
	assert_equal "${stderr_lines[2]}" 'echo-client: 0 of 3 datagrams lost, 0 mismatched, 2 stray replies'
}

@test "-u reports the first ten problems one by one, then only counts" {
	start_udp_faulty mangle
	seq 1 15 >"$IN"
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u 127.0.0.1 "$PORT" <"$IN"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 12 ]
	assert_equal "${stderr_lines[9]}" 'echo-client: datagram 10 (2 bytes): the reply differs (2 bytes)'
	assert_equal "${stderr_lines[10]}" 'echo-client: further problems are only counted'
	assert_equal "${stderr_lines[11]}" 'echo-client: 0 of 15 datagrams lost, 15 mismatched'
}

@test "-u stops at a line too long for a datagram" {
	start_udp_faulty echo
	{
		echo short
		head -c 65508 /dev/zero | tr '\0' x
		echo
	} >"$IN"
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u 127.0.0.1 "$PORT" <"$IN"
	assert_failure 1
	assert_output 'short'
	assert_equal "$stderr" 'echo-client: line 2 has 65508 bytes, more than the 65507 a datagram can carry'
}

@test "-s without -u, or out of 1..65507, is a usage error" {
	local bad
	run --separate-stderr "$ECHO_CLIENT" -s 100 127.0.0.1 </dev/null
	assert_usage_error
	[ "${stderr_lines[0]}" = 'echo-client: -s needs -u' ]
	for bad in 0 65508 '' abc -1 99999999999999999999; do
		run --separate-stderr "$ECHO_CLIENT" -u -s "$bad" 127.0.0.1 </dev/null
		assert_usage_error
		[ "${stderr_lines[0]}" = "echo-client: -s: expected 1..65507 bytes, got '$bad'" ]
	done
}

@test "-h shows the UDP usage too" {
	run --separate-stderr "$ECHO_CLIENT" -h
	assert_success
	assert_line --index 1 '       echo-client -u [-4|-6] [-p PORT] [-s SIZE] [-w SECONDS] [-v] HOST [PORT]'
	assert_line --partial '  -u          use UDP'
}
