#!/usr/bin/env bats
# Config: every rule of the file format, checked through -t.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# conf TEXT: write bad.conf exactly as printf renders TEXT.
conf() {
	printf "$1" >bad.conf
}

check() {
	run --separate-stderr "$ECHOD" -t -c bad.conf
}

# expect_error LINE [REGEX]: -t failed with exit 1, reporting LINE of
# bad.conf (and a message matching REGEX) on stderr.
expect_error() {
	assert_failure 1
	[[ $stderr =~ ^bad\.conf:$1:\  ]] || {
		echo "stderr: $stderr" >&2
		return 1
	}
	[ $# -lt 2 ] || [[ $stderr =~ ^bad\.conf:$1:\ $2 ]] || {
		echo "stderr: $stderr" >&2
		return 1
	}
}

# pad N: N bytes of 'x'.
pad() {
	head -c "$1" /dev/zero | tr '\0' x
}

@test "a valid file prints FILE: ok on stdout and exits 0" {
	conf '[server]\nlisten = 127.0.0.1\nport = 7007\n'
	check
	assert_success
	assert_output 'bad.conf: ok'
	[ -z "$stderr" ]
}

@test "a file setting every key is valid" {
	conf '[server]\nlisten = 127.0.0.1 ::1\nport = 7\npidfile = /run/echod.pid\n[limits]\nmax-children = 65536\npolicy = reject\nidle-timeout = 0\n[log]\nlevel = debug\nfacility = local7\n'
	check
	assert_success
	assert_output 'bad.conf: ok'
}

@test "an empty file is valid" {
	: >bad.conf
	check
	assert_success
	assert_output 'bad.conf: ok'
}

@test "comments and inline comments are ignored" {
	conf '# a comment\n; another\n[server]\nport = 7007 ; the port\nlisten = 127.0.0.1\t; tab before\n'
	check
	assert_success
	assert_output 'bad.conf: ok'
}

@test "the long option --check-config works like -t" {
	conf '[server]\nport = 7007\n'
	run --separate-stderr "$ECHOD" --check-config --config bad.conf
	assert_success
	assert_output 'bad.conf: ok'
}

@test "-t prints nothing on stdout when the file is bad" {
	conf '[server]\nprot = 7\n'
	check
	expect_error 2
	assert_output ''
}

@test "a missing file is named in the error and exits 1" {
	run --separate-stderr "$ECHOD" -t -c missing.conf
	assert_failure 1
	assert_output ''
	[[ $stderr == *'missing.conf: No such file or directory'* ]]
}

@test "an unknown section is an error" {
	conf '[server]\nport = 7\n[foo]\nbar = 1\n'
	check
	expect_error 3 'unknown section \[foo\]'
}

@test "an empty unknown section is an error" {
	conf '[server]\nport = 7\n[foo]\n'
	check
	expect_error 3 'unknown section \[foo\]'
}

@test "an unknown key is an error" {
	conf '[server]\nprot = 7\n'
	check
	expect_error 2 "unknown key 'prot' in \[server\]$"
}

@test "a key outside any section is an error" {
	conf 'port = 7\n[server]\n'
	check
	expect_error 1
}

@test "a number with trailing garbage is an error" {
	conf '[limits]\nmax-children = 64abc\n'
	check
	expect_error 2 "max-children: .*'64abc'"
}

@test "a negative number is an error" {
	conf '[limits]\nidle-timeout = -1\n'
	check
	expect_error 2 "idle-timeout: .*'-1'"
}

@test "a port above 65535 is an error" {
	conf '[server]\nport = 70000\n'
	check
	expect_error 2 "port: .*'70000'"
}

@test "port 0 in the file is an error" {
	conf '[server]\nport = 0\n'
	check
	expect_error 2 "port: "
}

@test "max-children 0 is an error" {
	conf '[limits]\nmax-children = 0\n'
	check
	expect_error 2 "max-children: expected 1\.\.65536, got '0'$"
}

@test "idle-timeout above 86400 is an error" {
	conf '[limits]\nidle-timeout = 86401\n'
	check
	expect_error 2 "idle-timeout: .*'86401'"
}

@test "a misspelt policy is an error" {
	conf '[limits]\npolicy = pausee\n'
	check
	expect_error 2 "policy: .*'pausee'"
}

@test "an unknown log level is an error" {
	conf '[log]\nlevel = loud\n'
	check
	expect_error 2 "level: .*'loud'"
}

@test "an unknown log facility is an error" {
	conf '[log]\nfacility = local8\n'
	check
	expect_error 2 "facility: .*'local8'"
}

@test "an empty value is an error" {
	conf '[server]\nlisten = 127.0.0.1\nport =\n'
	check
	expect_error 3 'port: '
}

@test "a relative pidfile is an error" {
	conf '[server]\npidfile = echod.pid\n'
	check
	expect_error 2 'pidfile: '
}

@test "a bad listen address is an error" {
	conf '[server]\nlisten = 127.0.0.256\n'
	check
	expect_error 2 "listen: .*127\.0\.0\.256"
}

@test "listen = * mixed with an address is an error" {
	conf '[server]\nlisten = * 127.0.0.1\n'
	check
	expect_error 2 'listen: '
}

@test "an address given twice in listen is an error" {
	conf '[server]\nlisten = 127.0.0.1 127.0.0.1\n'
	check
	expect_error 2 'listen: '
}

@test "a key given twice in a section is an error at the second" {
	conf '[server]\nport = 7\nlisten = 127.0.0.1\nport = 8\n'
	check
	expect_error 4 'port: given twice in \[server\] \(first on line 2\)$'
}

@test "a key given again under a repeated section header is an error" {
	conf '[server]\nport = 7\n[limits]\npolicy = pause\n[server]\nport = 8\n'
	check
	expect_error 6 'port: given twice in \[server\] \(first on line 2\)$'
}

@test "a repeated section header with different keys is fine" {
	conf '[server]\nport = 7\n[limits]\npolicy = pause\n[server]\nlisten = 127.0.0.1\n'
	check
	assert_success
	assert_output 'bad.conf: ok'
}

@test "a line without '=' is an error" {
	conf '[server]\nport 7\n'
	check
	expect_error 2 "expected 'key = value' or '\[section\]'"
}

@test "a 'key: value' line is an error" {
	conf '[server]\nport: 7\n'
	check
	expect_error 2 "expected 'key = value' or '\[section\]'"
}

@test "an indented line is not a continuation of the one before" {
	conf '[server]\nport = 7\n  8\n'
	check
	expect_error 3 "expected 'key = value' or '\[section\]'"
}

@test "a line over 1024 bytes with a long inline comment is accepted" {
	printf '[server]\nlisten = 127.0.0.1 ; %s\nport = 7\n' "$(pad 2000)" >bad.conf
	check
	assert_success
	assert_output 'bad.conf: ok'
}

@test "a line of 5000 bytes is an error at its own line number" {
	printf '[server]\nport = 7\nlisten = 127.0.0.1 ; %s\nfoo\n' "$(pad 5000)" >bad.conf
	check
	expect_error 3 'line longer than 4095 bytes$'
}

@test "a NUL byte in a line is an error" {
	printf '[server]\nport = 7\0\nlisten = 127.0.0.1\n' >bad.conf
	check
	expect_error 2
}

@test "the first of two errors is the one reported" {
	conf '[server]\nport = 7\nprot = 8\n[limits]\nmax-children = lots\n'
	check
	expect_error 3 "unknown key 'prot'"
	[[ $stderr != *':5:'* ]]
}

@test "a bad value is reported with the range expected" {
	conf '[server]\nport = 7\n[limits]\nmax-children = lots\n'
	check
	expect_error 4 "max-children: expected 1\.\.65536, got 'lots'$"
}

@test "group without user is an error at the group's line" {
	conf '[server]\nport = 7\ngroup = nogroup\n'
	check
	expect_error 3 "group: needs a user to switch to$"
}

@test "a user missing from /etc/passwd is an error naming the file" {
	conf '[server]\nuser = no-such-user-here\n'
	check
	expect_error 2 "user: no such user 'no-such-user-here' in /etc/passwd$"
}
