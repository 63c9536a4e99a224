#!/usr/bin/env bats
# Installing: make install and uninstall (PREFIX, DESTDIR, SYSCONFDIR,
# UNITDIR), the man pages as installed, and the systemd units.
#
# make runs in the source tree itself, with the settings build/ was made
# with.  Installing for another SYSCONFDIR has build/echod rebuilt for it
# (the config path is compiled in); the file's teardown builds it back and
# checks that build/flags is as it was.

load helpers

setup_file() {
	[ -e "$TOP/build/flags" ] || return 0
	FLAGS_BEFORE=$(cat "$TOP/build/flags")
	export FLAGS_BEFORE
}

teardown_file() {
	[ -n "${FLAGS_BEFORE:-}" ] || return 0
	MAKE_LOG=$BATS_FILE_TMPDIR/make.log
	restore_build
	: >"$MAKE_LOG"
}

setup() {
	[ -n "${FLAGS_BEFORE:-}" ] || skip "build first: make"
	SYSCONFDIR_BEFORE=${FLAGS_BEFORE%% *}
	D=$BATS_TEST_TMPDIR/dest
	MAKE_LOG=$BATS_TEST_TMPDIR/make.log
}


# make_top ARGS...: make ARGS in the source tree with the settings build/
# was made with (the compiler, -Werror, the sanitizers, from build/flags);
# its output goes to $MAKE_LOG, and is shown if it fails.
make_top() {
	local vars=(CC="$(awk '{ print $2 }' <<<"$FLAGS_BEFORE")")
	case " $FLAGS_BEFORE " in
	*" -Werror "*) vars+=(WERROR=1) ;;
	esac
	case $FLAGS_BEFORE in
	*-fsanitize=*) vars+=(SANITIZE=1) ;;
	esac
	make -C "$TOP" --no-print-directory "${vars[@]}" "$@" \
		>>"$MAKE_LOG" 2>&1 </dev/null 3>&- || {
		cat "$MAKE_LOG" >&2
		return 1
	}
}

# restore_build: build build/ again as it was, if an install for another
# SYSCONFDIR or PREFIX changed it, and check build/flags.
restore_build() {
	if [ "$(cat "$TOP/build/flags")" != "$FLAGS_BEFORE" ]; then
		make_top all SYSCONFDIR="${FLAGS_BEFORE%% *}" || return 1
	fi
	[ "$(cat "$TOP/build/flags")" = "$FLAGS_BEFORE" ] || {
		echo "build/flags changed: $(cat "$TOP/build/flags")" >&2
		return 1
	}
}

# files_under DIR: every file under DIR, relative to it, sorted.
files_under() {
	(cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
}

# installed_files PREFIX ETC UNITS: what make install puts in place, each
# relative to DESTDIR and sorted.
installed_files() {
	local f
	{
		echo "${1#/}/sbin/echod"
		echo "${1#/}/bin/echo-client"
		if ls "$TOP"/client/bench*.c >/dev/null 2>&1; then
			echo "${1#/}/bin/echo-bench"
		fi
		for f in "$TOP"/man/*.1; do
			echo "${1#/}/share/man/man1/${f##*/}"
		done
		echo "${1#/}/share/man/man5/echod.conf.5"
		echo "${1#/}/share/man/man8/echod.8"
		echo "${2#/}/echod.conf"
		echo "${3#/}/echod.service"
		echo "${3#/}/echod.socket"
	} | LC_ALL=C sort
}

@test "make install puts every file in its place" {
	local f
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	[ "$(files_under "$D")" = "$(installed_files /usr/local /etc /usr/local/lib/systemd/system)" ]
	cmp "$TOP/build/echod" "$D/usr/local/sbin/echod"
	cmp "$TOP/build/echo-client" "$D/usr/local/bin/echo-client"
	for f in "$D"/usr/local/sbin/echod "$D"/usr/local/bin/*; do
		[ "$(stat -c %a "$f")" = 755 ]
	done
	for f in "$TOP"/man/*.1; do
		cmp "$f" "$D/usr/local/share/man/man1/${f##*/}"
	done
	cmp "$TOP/man/echod.conf.5" "$D/usr/local/share/man/man5/echod.conf.5"
	cmp "$TOP/man/echod.8" "$D/usr/local/share/man/man8/echod.8"
	cmp "$TOP/etc/echod.conf" "$D/etc/echod.conf"
	cmp "$TOP/etc/systemd/echod.socket" "$D/usr/local/lib/systemd/system/echod.socket"
	for f in "$D"/usr/local/share/man/man*/* "$D"/etc/echod.conf \
		"$D"/usr/local/lib/systemd/system/*; do
		[ "$(stat -c %a "$f")" = 644 ]
	done
}

@test "make install writes the paths into the service unit" {
	local unit=$D/usr/local/lib/systemd/system/echod.service
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	grep -qx 'ExecStart=/usr/local/sbin/echod -f -c /etc/echod.conf' "$unit"
	! grep -n '@[A-Z]*@' "$unit"
	# Otherwise the unit is the one shipped.
	diff <(grep -v '^ExecStart=' "$unit") \
		<(grep -v '^ExecStart=' "$TOP/etc/systemd/echod.service")
}

@test "the installed echod reads the config where it was installed" {
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	run "$D/usr/local/sbin/echod" -h
	assert_success
	assert_output --partial '(default /etc/echod.conf)'
}

@test "make install gives the unit its mode whatever the umask" {
	local f
	# Built first, so that only the install itself runs under umask 077.
	make_top all SYSCONFDIR=/etc
	(umask 077 && make_top install DESTDIR="$D" SYSCONFDIR=/etc)
	for f in "$D"/usr/local/lib/systemd/system/*; do
		stat -c '%a %n' "$f"
		[ "$(stat -c %a "$f")" = 644 ]
	done
}

@test "make install keeps a config that is already there" {
	mkdir -p "$D/etc"
	{
		echo '; edited by the administrator'
		sed 's/^max-children = 64 /max-children = 8  /' "$TOP/etc/echod.conf"
	} >"$D/etc/echod.conf"
	cp "$D/etc/echod.conf" "$BATS_TEST_TMPDIR/edited"
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	cmp "$BATS_TEST_TMPDIR/edited" "$D/etc/echod.conf"
	[ -e "$D/usr/local/sbin/echod" ]
}

@test "make uninstall removes every file install put there" {
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	[ -n "$(files_under "$D")" ]
	make_top uninstall DESTDIR="$D" SYSCONFDIR=/etc
	[ -z "$(files_under "$D")" ]
}

@test "make uninstall keeps a config the administrator edited" {
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	echo '; edited by the administrator' >>"$D/etc/echod.conf"
	cp "$D/etc/echod.conf" "$BATS_TEST_TMPDIR/edited"
	make_top uninstall DESTDIR="$D" SYSCONFDIR=/etc
	[ "$(files_under "$D")" = etc/echod.conf ]
	cmp "$BATS_TEST_TMPDIR/edited" "$D/etc/echod.conf"
}

@test "UNITDIR puts the units elsewhere, and uninstall finds them there" {
	make_top install DESTDIR="$D" SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	[ -e "$D/lib/systemd/system/echod.service" ]
	[ -e "$D/lib/systemd/system/echod.socket" ]
	[ ! -e "$D/usr/local/lib/systemd/system/echod.service" ]
	make_top uninstall DESTDIR="$D" SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	[ -z "$(files_under "$D")" ]
}

@test "the installed man pages render with man -M" {
	local page
	command -v man >/dev/null || skip "man is not installed"
	make_top install DESTDIR="$D" SYSCONFDIR=/etc
	for page in echod 'echod.conf' echo-client; do
		MANPAGER=cat MANWIDTH=80 man -M "$D/usr/local/share/man" "$page" \
			>"$BATS_TEST_TMPDIR/page" 2>"$BATS_TEST_TMPDIR/page.err"
		grep -q 'SYNOPSIS\|DESCRIPTION' "$BATS_TEST_TMPDIR/page"
		[ ! -s "$BATS_TEST_TMPDIR/page.err" ] ||
			{ cat "$BATS_TEST_TMPDIR/page.err" >&2; false; }
	done
	MANPAGER=cat MANWIDTH=80 man -M "$D/usr/local/share/man" 8 echod |
		grep -q '^NAME'
}

@test "make install with build/'s own settings rebuilds nothing" {
	restore_build
	: >"$MAKE_LOG"
	cp "$TOP/build/echod" "$BATS_TEST_TMPDIR/echod.before"
	make_top install DESTDIR="$D" SYSCONFDIR="$SYSCONFDIR_BEFORE"
	[ "$(cat "$TOP/build/flags")" = "$FLAGS_BEFORE" ]
	cmp "$BATS_TEST_TMPDIR/echod.before" "$TOP/build/echod"
	! grep -E '(^| )(cc|gcc|clang) ' "$MAKE_LOG"
}

@test "systemd-analyze verify finds no error in the installed units" {
	local p=$BATS_TEST_TMPDIR/prefix
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	command -v man >/dev/null || skip "man is not installed (verify runs it)"
	# No DESTDIR: ExecStart must name a program that is there.
	make_top install PREFIX="$p"
	grep -qx "ExecStart=$p/sbin/echod -f -c $p/etc/echod.conf" \
		"$p/lib/systemd/system/echod.service"
	MANPATH=$p/share/man run systemd-analyze verify \
		"$p/lib/systemd/system/echod.socket" \
		"$p/lib/systemd/system/echod.service"
	assert_success
	refute_output --partial 'echod.s'
}
