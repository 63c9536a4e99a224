#!/usr/bin/env bats
# Per-client and rate limits: max-per-ip, and max-rate under both policies.
# Several client addresses come from binding the source to 127.0.0.2 and
# 127.0.0.3 (any 127/8 address is local on Linux).

load helpers

teardown() {
	release_all
	stop_echod
}

# limits_config [LISTEN] LINES: a config on LISTEN (default 127.0.0.1) with
# LINES in [limits].
limits_config() {
	local listen=127.0.0.1
	if [ $# -gt 1 ]; then
		listen=$1
		shift
	fi
	write_config "[server]
listen = $listen
[limits]
$1"
}

@test "max-per-ip closes a third connection from one address at once" {
	limits_config '*' 'max-per-ip = 2'
	start_echod
	hold_conns a -s 127.0.0.2 -n 2
	[ "$(conns_value a echoed)" -eq 2 ]
	try_conns b -s 127.0.0.2 -w 3000
	[ "$(conns_value b closed)" -eq 1 ]
	[ "$(conns_value b ms)" -lt 1000 ]
	wait_until 2 log_has 'info: rejected 127\.0\.0\.2:[0-9]+: 2 connections from this address \(max-per-ip\)$'
	[ "$(live_children "$ECHOD_PID")" -eq 2 ]
}

@test "max-per-ip still serves another address" {
	limits_config '*' 'max-per-ip = 2'
	start_echod
	hold_conns a -s 127.0.0.2 -n 2
	[ "$(conns_value a echoed)" -eq 2 ]
	hold_conns b -s 127.0.0.3 -n 2
	[ "$(conns_value b echoed)" -eq 2 ]
	[ "$(conns_value b closed)" -eq 0 ]
	# Each address now has its two; a third from either is closed.
	try_conns c -s 127.0.0.3
	[ "$(conns_value c closed)" -eq 1 ]
	try_conns d -s 127.0.0.2
	[ "$(conns_value d closed)" -eq 1 ]
}

@test "a reaped child gives its slot back to its own address" {
	limits_config '*' 'max-per-ip = 2'
	start_echod
	hold_conns a1 -s 127.0.0.2
	hold_conns a2 -s 127.0.0.2
	hold_conns b -s 127.0.0.3 -n 2
	[ "$(conns_value a1 echoed)" -eq 1 ]
	[ "$(conns_value a2 echoed)" -eq 1 ]
	[ "$(conns_value b echoed)" -eq 2 ]
	release a1
	wait_until 5 children_are "$ECHOD_PID" 3
	wait_until 5 no_zombies "$ECHOD_PID"
	# The slot freed is 127.0.0.2's: 127.0.0.3 is still at its limit.
	try_conns c -s 127.0.0.3
	[ "$(conns_value c closed)" -eq 1 ]
	hold_conns a3 -s 127.0.0.2
	[ "$(conns_value a3 echoed)" -eq 1 ]
	try_conns d -s 127.0.0.2
	[ "$(conns_value d closed)" -eq 1 ]
}

@test "max-per-ip counts 127.0.0.1 when clients come from it" {
	limits_config 'max-per-ip = 1'
	start_echod
	open_conn a
	echoes "$a"
	open_conn b
	reads_eof "$b" 2
	close_conn "$b"
	echoes "$a"
	wait_until 2 log_has 'info: rejected 127\.0\.0\.1:[0-9]+: 1 connections from this address \(max-per-ip\)$'
	close_conn "$a"
}

@test "max-per-ip = 0 puts no limit on one address" {
	limits_config '*' 'max-per-ip = 0'
	start_echod
	hold_conns a -s 127.0.0.2 -n 20
	[ "$(conns_value a echoed)" -eq 20 ]
	! log_has 'rejected'
}

@test "max-rate with policy reject serves a burst of max-rate and closes the rest at once" {
	local served
	limits_config 'max-rate = 5
policy = reject'
	start_echod
	try_conns burst -n 20 -w 5000
	served=$(conns_value burst echoed)
	# A full bucket holds 5, and the burst itself refills it at 5 a second.
	[ "$served" -ge 5 ]
	[ "$served" -le $((6 + $(conns_value burst ms) * 5 / 1000)) ]
	[ "$(conns_value burst closed)" -eq $((20 - served)) ]
	[ "$(conns_value burst failed)" -eq 0 ]
	[ "$(conns_value burst ms)" -lt 2000 ]
	wait_until 2 log_has 'info: rejected 127\.0\.0\.1:[0-9]+: over 5 connections a second \(max-rate\)$'
}

@test "max-rate serves a whole burst again once a second has passed" {
	limits_config 'max-rate = 5
policy = reject'
	start_echod
	try_conns first -n 20
	[ "$(conns_value first closed)" -ge 13 ]
	# What is tested is the refill over time: a second gives 5 tokens.
	sleep 1.2
	try_conns second -n 5
	[ "$(conns_value second echoed)" -eq 5 ]
	[ "$(conns_value second closed)" -eq 0 ]
}

@test "rejections over max-rate are logged at most once a second" {
	local closed
	limits_config 'max-rate = 5
policy = reject'
	start_echod
	try_conns first -n 20
	closed=$(conns_value first closed)
	[ "$closed" -ge 13 ]
	wait_until 2 log_has '\(max-rate\)$'
	[ "$(log_count '\(max-rate\)')" -eq 1 ]
	sleep 1.2
	try_conns second -n 10
	[ "$(conns_value second closed)" -ge 3 ]
	# The first rejection after the quiet second counts those not logged.
	wait_until 2 log_has "\\(max-rate\\) \\($((closed - 1)) similar suppressed\\)$"
	[ "$(log_count '\(max-rate\)')" -eq 2 ]
}

@test "max-rate with policy pause makes clients wait, not closes them" {
	local early
	limits_config 'max-rate = 5
policy = pause'
	start_echod
	"$HOLDCONNS" -v -n 15 -w 15000 127.0.0.1 "$PORT" \
		>"$BATS_TEST_TMPDIR/holdconns.burst" 3>&-
	[ "$(conns_value burst echoed)" -eq 15 ]
	[ "$(conns_value burst closed)" -eq 0 ]
	# 5 at once, the other 10 at 5 a second: at least 2 s in all.
	[ "$(conns_value burst ms)" -ge 1800 ]
	early=$(awk '$1 == "conn" && $3 == "echoed" && $4 < 500' \
		"$BATS_TEST_TMPDIR/holdconns.burst" | wc -l)
	[ "$early" -le 8 ]
	! log_has 'rejected'
}

@test "max-rate = 0 puts no limit on the rate" {
	limits_config 'max-rate = 0
policy = reject'
	start_echod
	try_conns burst -n 30 -w 5000
	[ "$(conns_value burst echoed)" -eq 30 ]
	! log_has 'rejected'
}

@test "a reload to a new max-rate applies it with a full bucket" {
	local served
	limits_config 'policy = reject'
	start_echod
	limits_config 'policy = reject
max-rate = 3'
	kill -HUP "$ECHOD_PID"
	wait_until 5 log_has 'info: reloaded .*max-rate 0 -> 3'
	try_conns burst -n 12
	served=$(conns_value burst echoed)
	[ "$served" -ge 3 ]
	[ "$served" -le $((4 + $(conns_value burst ms) * 3 / 1000)) ]
	[ "$(conns_value burst closed)" -eq $((12 - served)) ]
}
