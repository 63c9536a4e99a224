#!/usr/bin/env bats
# UDP: byte-exact datagrams of every size, echo-client -u in bulk, the
# safeguards (service source ports, udp-rate per source), turning UDP on
# and off by reload, UDP while TCP accept is paused, IPv6, TCP under a UDP
# flood, and how echo-client -u reports loss and usage errors.  udp_probe
# (tests/tools) sends datagrams of exact sizes from chosen sources.

load helpers
bats_require_minimum_version 1.5.0

PROBE=$TOP/build/tools/udp_probe
IN=$BATS_TEST_TMPDIR/in
OUT=$BATS_TEST_TMPDIR/out
ERR=$BATS_TEST_TMPDIR/err

# Keep the teardown of helpers.bash, and also stop the flood if it runs.
eval "helpers_$(declare -f teardown)"
teardown() {
	if [ -n "${FLOOD_PID:-}" ]; then
		kill -TERM "$FLOOD_PID" 2>/dev/null || true
		wait "$FLOOD_PID" 2>/dev/null || true
	fi
	helpers_teardown
}

# udp_config [KEYS]: a config with UDP on 127.0.0.1 and KEYS appended to
# its [limits] section.
udp_config() {
	write_config "[server]
listen = 127.0.0.1
udp = yes
[limits]
${1:-}"
}

# probe ARGS...: run udp_probe with ARGS, its report in $PROBE_OUT and
# its exit status in PROBE_STATUS.
probe() {
	PROBE_OUT=$BATS_TEST_TMPDIR/probe.out
	PROBE_STATUS=0
	timeout 30 "$PROBE" "$@" >"$PROBE_OUT" || PROBE_STATUS=$?
}

# probed NAME: a count from the last probe's report.
probed() {
	report_value "$PROBE_OUT" "$1"
}

# stats: ask echod for its statistics and print the line it logs.
stats() {
	local before
	before=$(log_count 'stats: ')
	kill -USR1 "$ECHOD_PID"
	wait_until 5 eval '[ "$(log_count "stats: ")" -gt "$before" ]' || return 1
	grep 'stats: ' "$LOG" | tail -n 1
}

# udp_echoed: the "udp echoed" count of a fresh stats line.
udp_echoed() {
	stats | sed -n 's/.*udp echoed \([0-9]*\),.*/\1/p'
}

# has_ipv6_loopback: the kernel has ::1 on lo.
has_ipv6_loopback() {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# tcp_round_trip_ms TEXT: send TEXT through echo-client over TCP, check
# that it comes back and print how many milliseconds that took.
tcp_round_trip_ms() {
	local start reply
	start=$(now_ms)
	reply=$(timeout 10 "$ECHO_CLIENT" -w 5 127.0.0.1 "$PORT" <<<"$1") || return 1
	[ "$reply" = "$1" ] || return 1
	echo $(($(now_ms) - start))
}

@test "UDP listens on the port TCP was given, with -p 0 too" {
	udp_config
	start_echod
	log_has "listening on 127.0.0.1:$PORT$"
	log_has "listening on 127.0.0.1:$PORT \\(udp\\)$"
	[ "$(log_count 'listening on')" -eq 2 ]
}

@test "without udp = yes echod does not listen on UDP" {
	start_echod
	! log_has '\(udp\)'
	probe -t 1000 127.0.0.1 "$PORT" 10
	[ "$PROBE_STATUS" -eq 1 ]
	[ "$(probed received)" -eq 0 ]
}

@test "datagrams of 0, 1, 1472, 8192 and 65507 bytes come back byte-exact" {
	local size
	udp_config
	start_echod
	for size in 0 1 1472 8192 65507; do
		probe -t 5000 127.0.0.1 "$PORT" "$size"
		assert_equal "$(cat "$PROBE_OUT")" 'sent 1 received 1 exact 1 mismatched 0 duplicate 0 refused 0'
		[ "$PROBE_STATUS" -eq 0 ]
	done
	[[ $(stats) == *'udp echoed 5, udp dropped 0 (service port 0, udp-rate 0, send 0)' ]]
}

@test "UDP is answered while TCP accept is paused at max-children" {
	udp_config 'max-children = 1
policy = pause'
	start_echod
	open_conn held
	echoes "$held"
	wait_until 5 log_has 'limit reached: 1 of 1 children, pausing accept'
	probe -t 5000 -n 3 127.0.0.1 "$PORT" 100
	[ "$PROBE_STATUS" -eq 0 ]
	close_conn "$held"
}

@test "an empty line through echo-client -u is an empty datagram and comes back" {
	udp_config
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -v 127.0.0.1 "$PORT" <<<''
	assert_success
	[ "$output" = '' ]
	[[ $stderr == *'sent 1 datagrams (0 bytes) in '*' s: 1 echoed exactly, 0 lost,'* ]]
	[[ $(stats) == *'udp echoed 1, udp dropped 0 '* ]]
}

@test "10,000 datagrams go through echo-client -u with none lost" {
	local start elapsed
	udp_config 'udp-rate = 0'
	start_echod
	seq -f 'datagram %g of 10000' 1 10000 >"$IN"
	start=$(now_ms)
	timeout 120 "$ECHO_CLIENT" -u -v 127.0.0.1 "$PORT" <"$IN" >"$OUT" 2>"$ERR"
	elapsed=$(($(now_ms) - start))
	cmp "$IN" "$OUT"
	grep -q ': 10000 echoed exactly, 0 lost, 0 mismatched, 0 stray replies$' "$ERR"
	# One reply a round trip, not a wait of -w each: a few seconds at most.
	((elapsed < 20000))
	[[ $(stats) == *'udp echoed 10000, udp dropped 0 '* ]]
}

@test "binary data through echo-client -u -s comes back byte-exact" {
	udp_config 'udp-rate = 0'
	start_echod
	head -c 1000000 /dev/urandom >"$IN"
	timeout 60 "$ECHO_CLIENT" -u -s 65507 -v 127.0.0.1 "$PORT" <"$IN" >"$OUT" 2>"$ERR"
	cmp "$IN" "$OUT"
	grep -q 'sent 16 datagrams (1000000 bytes) in .*: 16 echoed exactly, 0 lost' "$ERR"
}

@test "datagrams from source ports 19 and 7 get no answer" {
	local port
	[ "$(id -u)" -eq 0 ] || skip 'binding source ports 19 and 7 needs root'
	udp_config
	start_echod
	for port in 19 7; do
		probe -P "$port" -t 500 127.0.0.1 "$PORT" 10
		[ "$PROBE_STATUS" -ne 77 ] || skip "source port $port is in use here"
		[ "$PROBE_STATUS" -eq 1 ]
		[ "$(probed sent)" -eq 1 ]
		[ "$(probed received)" -eq 0 ]
	done
	# Echod reads in order: once this one is answered, those were dropped,
	# not late.
	probe -t 5000 127.0.0.1 "$PORT" 10
	[ "$PROBE_STATUS" -eq 0 ]
	[[ $(stats) == *'udp echoed 1, udp dropped 2 (service port 2, udp-rate 0, send 0)' ]]
	log_has 'udp: dropped a datagram from 127\.0\.0\.1:19: source port 19 is a service port'
}

@test "udp-rate drops the excess from one source and not from another" {
	local first s
	udp_config 'udp-rate = 5'
	start_echod
	# 20 at once: the first 5 pass, then one more each 200 ms.
	probe -t 3000 -n 20 127.0.0.1 "$PORT" 64
	first=$(probed exact)
	[ "$(probed sent)" -eq 20 ]
	[ "$(probed mismatched)" -eq 0 ]
	((first >= 5 && first <= 10))
	# Another source has a bucket of its own.
	probe -t 5000 -b 127.0.0.2 -n 5 127.0.0.1 "$PORT" 64
	assert_equal "$(cat "$PROBE_OUT")" 'sent 5 received 5 exact 5 mismatched 0 duplicate 0 refused 0'
	s=$(stats)
	[[ $s == *"udp echoed $((first + 5)), udp dropped $((20 - first)) (service port 0, udp-rate $((20 - first)), send 0)" ]]
	log_has 'udp: dropped a datagram from 127\.0\.0\.1:[0-9]+: over udp-rate 5 a second'
	! log_has 'udp: dropped a datagram from 127\.0\.0\.2'
}

@test "reload turns UDP on and off while TCP keeps serving" {
	write_config '[server]
listen = 127.0.0.1
udp = no'
	start_echod
	probe -t 1000 127.0.0.1 "$PORT" 32
	[ "$(probed received)" -eq 0 ]

	udp_config
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'reloaded .*udp no -> yes'
	log_has "listening on 127.0.0.1:$PORT \\(udp\\)$"
	probe -t 5000 127.0.0.1 "$PORT" 32
	[ "$PROBE_STATUS" -eq 0 ]
	tcp_round_trip_ms 'tcp with udp on' >/dev/null

	write_config '[server]
listen = 127.0.0.1
udp = no'
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'reloaded .*udp yes -> no'
	probe -t 1000 127.0.0.1 "$PORT" 32
	[ "$PROBE_STATUS" -eq 1 ]
	[ "$(probed received)" -eq 0 ]
	tcp_round_trip_ms 'tcp with udp off' >/dev/null
	! is_gone "$ECHOD_PID"
}

@test "UDP is served on ::1" {
	has_ipv6_loopback || skip 'no ::1 on this machine'
	write_config '[server]
listen = ::1
udp = yes'
	start_echod
	log_has "listening on \\[::1\\]:$PORT \\(udp\\)$"
	probe -t 5000 ::1 "$PORT" 65507
	[ "$PROBE_STATUS" -eq 0 ]
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -6 ::1 "$PORT" <<<$'over\nIPv6'
	assert_success
	assert_output $'over\nIPv6'
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -4 -w 1 127.0.0.1 "$PORT" <<<'v4'
	assert_failure 1
}

# A client's connected UDP socket drops a reply from any other address
# than the one it wrote to: on a wildcard socket, echod must answer from
# the datagram's destination, not from whatever routing picks.
@test "listen = 0.0.0.0 answers UDP from the address written to" {
	write_config '[server]
listen = 0.0.0.0
udp = yes'
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 2 127.0.0.2 "$PORT" <<<'to 127.0.0.2'
	assert_success
	assert_output 'to 127.0.0.2'
}

@test "listen = * answers UDP over IPv4 from the address written to" {
	write_config '[server]
listen = *
udp = yes'
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 2 127.0.0.3 "$PORT" <<<'to 127.0.0.3'
	assert_success
	assert_output 'to 127.0.0.3'
	if has_ipv6_loopback; then
		run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 2 ::1 "$PORT" <<<'to ::1'
		assert_success
		assert_output 'to ::1'
	fi
}

@test "TCP clients are served fast and exact during a UDP flood" {
	local i ms worst=0 start
	udp_config 'udp-rate = 0'
	start_echod
	# At most 8 s of datagrams as fast as they go, all echoed by echod.
	"$PROBE" -d 8000 -t 200 127.0.0.1 "$PORT" 512 >"$BATS_TEST_TMPDIR/flood" \
		</dev/null 3>&- &
	FLOOD_PID=$!
	wait_until 5 eval '[ "$(udp_echoed)" -gt 1000 ]'
	for ((i = 1; i <= 10; i++)); do
		ms=$(tcp_round_trip_ms "round trip $i")
		((ms > worst)) && worst=$ms
	done
	head -c 1M /dev/urandom >"$IN"
	start=$(now_ms)
	timeout 10 "$ECHO_CLIENT" -w 5 127.0.0.1 "$PORT" <"$IN" >"$OUT"
	ms=$(($(now_ms) - start))
	cmp "$IN" "$OUT"
	# The flood went on all along.
	! is_gone "$FLOOD_PID"
	[ "$(udp_echoed)" -gt 2000 ]
	echo "slowest round trip $worst ms, 1 MiB in $ms ms" >&2
	((worst < 1500 && ms < 5000))
}

@test "echo-client -u reports loss against a port with nothing listening" {
	local port
	udp_config
	start_echod
	port=$PORT
	stop_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 1 127.0.0.1 "$port" <<<$'anyone\nthere'
	assert_failure 1
	assert_output ''
	[[ ${stderr_lines[0]} == 'echo-client: datagram 1 (6 bytes): no reply'* ]]
	assert_equal "${stderr_lines[2]}" 'echo-client: 2 of 2 datagrams lost, 0 mismatched'
}

@test "echo-client -u reports loss against echod with udp off" {
	start_echod
	run --separate-stderr timeout 10 "$ECHO_CLIENT" -u -w 1 127.0.0.1 "$PORT" <<<'hello'
	assert_failure 1
	assert_output ''
	[[ ${stderr_lines[0]} == 'echo-client: datagram 1 (5 bytes): no reply'* ]]
	assert_equal "${stderr_lines[1]}" 'echo-client: 1 of 1 datagrams lost, 0 mismatched'
	# TCP on the same port is there all the same.
	run --separate-stderr timeout 10 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <<<'hello'
	assert_success
}

@test "echo-client -u with -s too big or 0 is a usage error" {
	local bad
	for bad in 65508 0; do
		run --separate-stderr "$ECHO_CLIENT" -u -s "$bad" 127.0.0.1 7 </dev/null
		assert_failure 2
		assert_output ''
		[ "${stderr_lines[0]}" = "echo-client: -s: expected 1..65507 bytes, got '$bad'" ]
		[[ $stderr == *'usage: echo-client '* ]]
	done
}
