#!/bin/sh
# Install the Debian packages that building and testing echod need, and only
# those that are missing.  Uses sudo when not run as root.
# Usage: tests/deps.sh [fuzz]   (fuzz: also clang and its libFuzzer runtime)
set -eu

packages="gcc make pkg-config libinih-dev bats bats-support bats-assert mandoc
	valgrind systemd man-db"
[ "${1:-}" = fuzz ] && packages="$packages clang libclang-rt-dev"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing (and no apt-get to install them)" >&2
	exit 1
fi
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
