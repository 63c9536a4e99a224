#!/usr/bin/env bats
# Stress: accept failing with EMFILE.  The parent's descriptor limit is
# lowered to what it holds, then it is flooded: it must say so now and
# then, shed clients rather than spin, and serve again once the limit is
# back.

load ../helpers

FLOOD=$TOP/build/tools/flood
OUT=$BATS_TEST_TMPDIR/flood.out

# lowest_free_fd PID: the lowest descriptor number PID has not open, the
# one the kernel would give to its next accept.
lowest_free_fd() {
	local n=0
	while [ -e "/proc/$1/fd/$n" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# round_trip: a new client is served, its line back within 2 s.
round_trip() {
	local fd
	open_conn fd || return 1
	echoes "$fd" "round trip $RANDOM" || { close_conn "$fd"; return 1; }
	close_conn "$fd"
}

@test "out of descriptors echod sheds clients without spinning, then serves again" {
	local fd fds_before limit soft hard t0 ms ticks cpu_ms hz warned
	start_echod
	round_trip
	wait_until 5 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	fds_before=$(fd_count "$ECHOD_PID")
	read -r soft hard < <(prlimit --pid "$ECHOD_PID" --nofile --noheadings \
		--output SOFT,HARD --raw)
	# No room for one more descriptor: accept gets EMFILE.  Only the soft
	# limit moves, so that raising it back needs no privilege.
	limit=$(lowest_free_fd "$ECHOD_PID")
	prlimit --pid "$ECHOD_PID" --nofile="$limit:$hard"
	hz=$(getconf CLK_TCK)
	ticks=$(cpu_ticks "$ECHOD_PID")
	t0=$(now_ms)
	timeout 30 "$FLOOD" -n 1000 -c 100 -t 5 "$PORT" >"$OUT"
	ms=$(($(now_ms) - t0))
	cpu_ms=$((($(cpu_ticks "$ECHOD_PID") - ticks) * 1000 / hz))
	warned=$(log_count 'warning: accept: Too many open files')
	echo "flood: $(cat "$OUT"); echod used $cpu_ms ms of CPU in $ms ms;" \
		"$warned warnings" >&2
	prlimit --pid "$ECHOD_PID" --nofile="$soft:$hard"
	# No client was served, some were closed rather than left to wait
	# forever, and the parent did not spin: under 20% of one CPU.
	[ "$(report_value "$OUT" served)" -eq 0 ]
	(($(report_value "$OUT" closed) + $(report_value "$OUT" reset) >= 1))
	[ "$(report_value "$OUT" failed)" -eq 0 ]
	((cpu_ms * 5 <= ms))
	# Said, but rate-limited.
	((warned >= 1 && warned <= ms / 1000 + 1))
	! is_gone "$ECHOD_PID"
	# Limit restored: served again, and the descriptors are as before
	# once the clients left in the backlog are gone.
	wait_until 5 round_trip
	wait_until 10 children_are "$ECHOD_PID" 0
	wait_until 5 no_zombies "$ECHOD_PID"
	[ "$(fd_count "$ECHOD_PID")" -eq "$fds_before" ]
	round_trip
}
