#!/usr/bin/env bats
# Reload: SIGHUP re-reads the config file and applies it whole or not at all.

load helpers

teardown() {
	stop_blocker
	stop_echod
}

# config_with PORT MAX POLICY [IDLE]: a config on 127.0.0.1 (PORT may be
# empty for none).
config_with() {
	write_config "[server]
listen = 127.0.0.1
${1:+port = $1}
[limits]
max-children = $2
policy = $3
idle-timeout = ${4:-300}"
}

# reload: send SIGHUP and wait for the result to be logged.
reload() {
	local n
	n=$(grep -c 'reload' "$LOG" || true)
	kill -HUP "$ECHOD_PID"
	wait_until 3 eval '[ "$(grep -c reload "$LOG")" -gt "$n" ]'
}

@test "a reload to a new port keeps clients, closes the old port, serves the new one" {
	local p1 p2
	p1=$(free_port)
	config_with "$p1" 64 pause
	start_echod_noport
	[ "$PORT" = "$p1" ]
	open_conn a
	echoes "$a"
	p2=$(free_port)
	while [ "$p2" = "$p1" ]; do p2=$(free_port); done
	config_with "$p2" 64 pause
	reload
	grep -qF "info: reloaded $CONF: " "$LOG"
	log_has "listening on 127\.0\.0\.1:$p2\$"
	echoes "$a"
	! can_connect 127.0.0.1 "$p1"
	open_conn_to b 127.0.0.1 "$p2"
	echoes "$b"
	close_conn "$a"
	close_conn "$b"
}

@test "a reload with a broken file keeps serving and logs FILE:LINE" {
	start_echod
	open_conn a
	echoes "$a"
	write_config '[server]
listen = 127.0.0.1
prot = 7'
	reload
	grep -qF "error: reload failed, keeping the running configuration: $CONF:3: unknown key 'prot' in [server]" "$LOG"
	! grep -q 'reloaded' "$LOG"
	echoes "$a"
	open_conn b
	echoes "$b"
	close_conn "$a"
	close_conn "$b"
}

@test "a reload changing max-children and policy logs the changes and applies them" {
	config_with '' 4 pause
	start_echod
	config_with '' 1 reject
	reload
	grep -qF "info: reloaded $CONF: max-children 4 -> 1, policy pause -> reject" "$LOG"
	open_conn a
	echoes "$a"
	open_conn b
	reads_eof "$b" 1
	wait_until 2 log_has 'rejected 127\.0\.0\.1:[0-9]+: 1 of 1 children busy$'
	close_conn "$b"
	close_conn "$a"
}

@test "a reload raising max-children lets waiting clients in at once" {
	local reply
	config_with '' 1 pause
	start_echod
	open_conn a
	echoes "$a"
	open_conn b
	printf 'waiting\n' >&"$b"
	stays_silent "$b" 0.3
	config_with '' 2 pause
	reload
	grep -qF "reloaded $CONF: max-children 1 -> 2" "$LOG"
	IFS= read -r -t 2 reply <&"$b"
	[ "$reply" = waiting ]
	close_conn "$a"
	close_conn "$b"
}

@test "lowering max-children kills no child and pauses until enough have left" {
	local reply
	config_with '' 3 pause
	start_echod
	open_conn a
	open_conn b
	open_conn c
	echoes "$a"
	echoes "$b"
	echoes "$c"
	config_with '' 1 pause
	reload
	grep -qF "reloaded $CONF: max-children 3 -> 1" "$LOG"
	echoes "$a"
	echoes "$b"
	echoes "$c"
	[ "$(live_children "$ECHOD_PID")" -eq 3 ]
	open_conn d
	printf 'waiting\n' >&"$d"
	close_conn "$a"
	close_conn "$b"
	stays_silent "$d" 0.5
	close_conn "$c"
	IFS= read -r -t 3 reply <&"$d"
	[ "$reply" = waiting ]
	close_conn "$d"
}

@test "a reload of an unchanged file logs no changes" {
	start_echod
	wait_until 2 log_has 'ready: '
	reload
	grep -qF "info: reloaded $CONF: no changes" "$LOG"
}

@test "a port given with -p wins over the file's port across reloads" {
	local p
	start_echod
	p=$(free_port)
	while [ "$p" = "$PORT" ]; do p=$(free_port); done
	write_config "[server]
listen = 127.0.0.1
port = $p"
	reload
	grep -qF "reloaded $CONF: " "$LOG"
	open_conn a
	echoes "$a"
	close_conn "$a"
	! can_connect 127.0.0.1 "$p"
}

@test "a reload whose new port cannot be bound keeps the whole old configuration" {
	local p1
	start_blocker
	p1=$(free_port)
	config_with "$p1" 1 reject
	start_echod_noport
	config_with "$BLOCKER_PORT" 2 reject
	reload
	log_has "error: .*127\.0\.0\.1:$BLOCKER_PORT.*Address already in use"
	! grep -q 'reloaded' "$LOG"
	# Still the old port and still max-children 1.
	open_conn a
	echoes "$a"
	open_conn b
	reads_eof "$b" 1
	close_conn "$b"
	close_conn "$a"
}

@test "a new idle-timeout applies to new clients only" {
	config_with '' 64 pause 300
	start_echod
	open_conn a
	echoes "$a"
	config_with '' 64 pause 1
	reload
	grep -qF "reloaded $CONF: idle-timeout 300 -> 1" "$LOG"
	open_conn b
	reads_eof "$b" 4
	close_conn "$b"
	wait_until 2 log_has 'idle for 1 s, closing$'
	# a has been silent for more than a second and is still served.
	echoes "$a"
	close_conn "$a"
}
