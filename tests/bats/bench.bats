#!/usr/bin/env bats
# echo-bench: each scenario against echod, errors of every kind found and
# counted, and bad usage refused.

load helpers
bats_require_minimum_version 1.5.0

ECHO_BENCH=${ECHO_BENCH:-$TOP/build/echo-bench}
CORRUPT_ECHO=$TOP/build/tools/corrupt_echo

teardown() {
	if [ -n "${BENCH_PID:-}" ]; then
		kill -KILL "$BENCH_PID" 2>/dev/null || true
		wait "$BENCH_PID" 2>/dev/null || true
	fi
	if [ -n "${CORRUPT_PID:-}" ]; then
		kill -TERM "$CORRUPT_PID" 2>/dev/null || true
		wait "$CORRUPT_PID" 2>/dev/null || true
	fi
	stop_echod
}

# start_corrupt MODE [ARG]: start corrupt_echo in MODE; sets CORRUPT_PID and
# CORRUPT_PORT.
start_corrupt() {
	local out=$BATS_TEST_TMPDIR/corrupt.out
	"$CORRUPT_ECHO" "$@" >"$out" 2>&1 </dev/null 3>&- &
	CORRUPT_PID=$!
	wait_until 5 grep -q '^port ' "$out"
	CORRUPT_PORT=$(sed -n 's/^port //p' "$out")
}

# bench ARGS...: run echo-bench, bounded in time, with its report in
# $output and its messages in $stderr.
bench() {
	run --separate-stderr timeout 30 "$ECHO_BENCH" "$@"
}

# assert_clean_run UNIT: the report shows a rate above zero in UNIT and
# no error, and echo-bench succeeded.
assert_clean_run() {
	assert_success
	assert_line --regexp "^rate: +[0-9]*[1-9][0-9]*(\.[0-9]+)? $1"
	assert_line --regexp '^errors: +0 \(refused 0, reset 0, timeout 0, mismatch 0, short 0, other 0\)$'
	[ -z "$stderr" ] || [[ $stderr == *established* ]]
}

# assert_errors KIND: echo-bench failed with errors of KIND counted.
assert_errors() {
	assert_failure 1
	assert_line --regexp "^errors: +[1-9][0-9]* \(.*$1 [1-9][0-9]*"
	[[ $stderr == *": $1: "* ]]
}

@test "conn against echod reports a rate and no errors" {
	start_echod
	bench -d 1 -c 4 conn 127.0.0.1 "$PORT"
	assert_clean_run 'conn/s'
	assert_line --regexp '^operations: +[1-9][0-9]* connections$'
}

@test "pingpong against echod reports a rate and no errors" {
	start_echod
	bench -d 1 -c 8 pingpong 127.0.0.1 "$PORT"
	assert_clean_run 'ops/s'
	assert_line --regexp '^latency: +p50 .*, p99 .*, p99\.9 .*, max '
}

@test "bulk against echod reports a rate and no errors" {
	start_echod
	bench -d 1 -c 2 -w 256k bulk 127.0.0.1 "$PORT"
	assert_clean_run 'MB/s'
}

@test "idle against echod holds its connections and reports no errors" {
	start_echod
	bench -d 1 -c 20 idle 127.0.0.1 "$PORT"
	assert_clean_run 'conn/s'
	assert_line --regexp '^operations: +20 of 20 connections established$'
	[[ $stderr == 'echo-bench: idle: 20 connections established, holding for 1.000 s' ]]
}

@test "payloads that are not a multiple of 8 bytes come back intact" {
	start_echod
	bench -d 1 -c 3 -s 13 pingpong 127.0.0.1 "$PORT"
	assert_clean_run 'ops/s'
	bench -d 1 -c 2 -s 1001 -w 4093 bulk 127.0.0.1 "$PORT"
	assert_clean_run 'MB/s'
}

@test "--json prints one object with the rate and the errors" {
	start_echod
	bench --json -d 1 -c 2 pingpong 127.0.0.1 "$PORT"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^\{"scenario": "pingpong", .*\}$'
	assert_output --regexp '"rate": [0-9]*[1-9][0-9]*\.[0-9]+, "unit": "ops/s"'
	assert_output --regexp '"latency_us": \{"count": [1-9][0-9]*, '
	assert_output --partial '"errors": {"total": 0, "refused": 0, "reset": 0, "timeout": 0, "mismatch": 0, "short": 0, "other": 0}}'
}

@test "idle with -d 0 holds until SIGTERM, then reports and succeeds" {
	local out=$BATS_TEST_TMPDIR/bench.out err=$BATS_TEST_TMPDIR/bench.err rc=0
	start_echod
	"$ECHO_BENCH" -d 0 -c 10 idle 127.0.0.1 "$PORT" >"$out" 2>"$err" 3>&- &
	BENCH_PID=$!
	wait_until 10 grep -q 'established' "$err"
	grep -qx 'echo-bench: idle: 10 connections established, holding until SIGINT or SIGTERM' "$err"
	wait_until 5 children_are "$ECHOD_PID" 10
	kill -TERM "$BENCH_PID"
	wait "$BENCH_PID" || rc=$?
	BENCH_PID=
	[ "$rc" -eq 0 ]
	grep -Eq '^errors: +0 ' "$out"
	grep -Eq '^operations: +10 of 10 connections established$' "$out"
}

@test "a corrupted echo counts as mismatches in every scenario and exits 1" {
	local s
	start_corrupt flip
	for s in conn pingpong bulk idle; do
		bench -d 1 -c 2 "$s" 127.0.0.1 "$CORRUPT_PORT"
		assert_errors mismatch
	done
	[[ $stderr == *'mismatch: byte 0 came back as 0x'* ]]
}

@test "a bulk stream corrupted far from its start is caught at that byte" {
	# An offset that is neither a multiple of 8 nor of the write size.
	start_corrupt flip 1234567
	bench -d 1 -c 1 -s 64k bulk 127.0.0.1 "$CORRUPT_PORT"
	assert_errors mismatch
	[[ $stderr == *'mismatch: byte 1234567 came back as 0x'* ]]
}

@test "a server that closes early counts as short" {
	start_corrupt close
	bench -d 1 -c 2 pingpong 127.0.0.1 "$CORRUPT_PORT"
	assert_errors short
	[[ $stderr == *'server closed after echoing 32 of 64 bytes'* ]]
}

@test "a server that resets counts as reset" {
	start_corrupt reset
	bench -d 1 -c 2 conn 127.0.0.1 "$CORRUPT_PORT"
	assert_errors reset
}

@test "a server that never answers counts as timeout" {
	start_corrupt mute
	bench -d 1 -t 0.5 -c 2 pingpong 127.0.0.1 "$CORRUPT_PORT"
	assert_errors timeout
	[[ $stderr == *'nothing moved for 0.5 s (64 bytes sent, 0 back)'* ]]
}

@test "a port nobody listens on counts as refused" {
	local port
	port=$(free_port)
	bench -d 0.5 conn 127.0.0.1 "$port"
	assert_errors refused
	assert_line --regexp '^operations: +0 connections$'
}

@test "a port that does not resolve fails with exit 1" {
	bench -d 1 conn 127.0.0.1 no-such-service
	assert_failure 1
	[[ $stderr == "echo-bench: cannot resolve '127.0.0.1' port 'no-such-service': "* ]]
	[ -z "$output" ]
}

@test "an unknown scenario is a usage error" {
	bench -d 1 flood 127.0.0.1 7
	assert_failure 2
	[[ $stderr == *"unknown scenario 'flood'"*"usage: echo-bench"* ]]
	[ -z "$output" ]
}

@test "missing or extra arguments are usage errors" {
	bench
	assert_failure 2
	bench pingpong 127.0.0.1
	assert_failure 2
	[[ $stderr == *'expected SCENARIO HOST PORT'* ]]
	bench pingpong 127.0.0.1 7 extra
	assert_failure 2
	[[ $stderr == *"unexpected argument 'extra'"* ]]
	bench -c
	assert_failure 2
	[[ $stderr == *"option '-c' needs an argument"* ]]
	bench -x pingpong 127.0.0.1 7
	assert_failure 2
	[[ $stderr == *"unknown option '-x'"* ]]
	bench --fast pingpong 127.0.0.1 7
	assert_failure 2
	[[ $stderr == *"unknown option '--fast'"* ]]
}

@test "bad numbers are usage errors" {
	local args
	for args in '-c 0' '-c 100001' '-c 4x' '-c -1' '-s 0' '-s 2g' '-s 1q' \
		'-d 0' '-d -1' '-d abc' '-d 1e3' '-d 86401' '-w 0' '-t 0' \
		'-t nan'; do
		# shellcheck disable=SC2086 # split the option from its value
		bench $args pingpong 127.0.0.1 7
		assert_failure 2
		[[ $stderr == "echo-bench: -${args:1:1}: expected "* ]]
	done
	for args in 0 65536 'a b' ''; do
		bench pingpong 127.0.0.1 "$args"
		assert_failure 2
	done
}

@test "-h prints the usage on stdout and -V the version" {
	bench -h
	assert_success
	assert_line --index 0 --regexp '^usage: echo-bench '
	bench -V
	assert_success
	assert_output --regexp '^echo-bench [0-9]+\.[0-9]+\.[0-9]+$'
}
