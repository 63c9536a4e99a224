#!/usr/bin/env bats
# Stress: the parent under valgrind memcheck through clients, a reload and
# SIGTERM: no memory error, nothing definitely lost.

load ../helpers

@test "a valgrind session of the parent shows no error and no leak" {
	local vg=$BATS_TEST_TMPDIR/valgrind.log fd i status=0
	command -v valgrind >/dev/null ||
		skip "valgrind is not installed (Debian package valgrind)"
	# echod is static; memcheck needs the dynamic build to see malloc.
	ECHOD=$TOP/build/echod-dynamic
	! grep -qa __asan_init "$ECHOD" ||
		skip "echod is built with ASan (SANITIZE=1), which valgrind cannot run"
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 4
policy = pause"
	# Children are forked copies and stay under valgrind, silent.
	start_echod_via 60 valgrind --leak-check=full --trace-children=no \
		--child-silent-after-fork=yes --error-exitcode=99 --log-file="$vg"
	for ((i = 0; i < 3; i++)); do
		open_conn fd
		echoes "$fd"
		close_conn "$fd"
	done
	run timeout 60 "$ECHO_CLIENT" 127.0.0.1 "$PORT" <<<'through echo-client'
	assert_success
	write_config "[server]
listen = 127.0.0.1
[limits]
max-children = 8
policy = reject"
	kill -HUP "$ECHOD_PID"
	wait_until 30 log_has 'info: reloaded .*: max-children 4 -> 8, policy pause -> reject$'
	open_conn fd
	echoes "$fd"
	close_conn "$fd"
	wait_until 30 children_are "$ECHOD_PID" 0
	kill -TERM "$ECHOD_PID"
	wait_gone "$ECHOD_PID" 60
	wait "$ECHOD_PID" || status=$?
	ECHOD_PID=
	cat "$vg" >&2
	[ "$status" -eq 0 ]
	log_has 'info: stopped$'
	grep -Eq 'total heap usage: [1-9][0-9,]* allocs' "$vg"
	grep -Eq 'definitely lost: 0 bytes in 0 blocks|no leaks are possible' "$vg"
	grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$vg"
}
