#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install test of the atemsys-dkms package: usage scripts/dkms-test.sh PATH.deb
# (as root, on Debian 12 or 13, amd64). Installs dkms and the newest amd64
# headers of every series and flavour (generic, rt, cloud) the host's apt
# offers, installs the package, and checks that DKMS built and installed
# atemsys.ko for each kernel (dkms status, the module file, its vermagic and
# version), the udev rule and the atemsys group;
# then purges the package (also on failure) and checks the modules are gone.
# Nothing is loaded into the running kernel. Runnable again at any time: the
# headers stay installed (some pull in their kernel image).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(sed -n 's/^#define[[:space:]]*ATEMSYS_VERSION_STR[[:space:]]*"\(.*\)"/\1/p' "$top/src-kernel/include/uapi/atemsys.h")
PKG=atemsys-dkms
RULE=/usr/lib/udev/rules.d/60-atemsys.rules

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 PATH/atemsys-dkms_${VERSION}_all.deb" >&2
	exit 2
fi
DEB=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root" >&2; exit 2; }

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -q -y -o DPkg::Lock::Timeout=600 --no-install-recommends)
LOG=$(mktemp -d /tmp/dkms-test.XXXXXX)
passed=0
failed=0
purged=0
bailed=0

ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
# check DESCRIPTION COMMAND...: one result line for COMMAND's exit status
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# bail DESCRIPTION: a failed step the rest cannot go on without
bail() { not_ok "$*"; bailed=1; exit 1; }
now() { date +%s%N; }
elapsed() { local d=$((($(now) - $1) / 100000000)); echo "$((d / 10)).$((d % 10))"; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null | grep -qv '^not-installed$'; }

purge() {
	purged=1
	if installed; then
		"${APT[@]}" purge "$PKG" >"$LOG/purge.log" 2>&1 || { sed 's/^/# /' "$LOG/purge.log"; return 1; }
	fi
}

finish() {
	local rc=$?
	if [ "$purged" -eq 0 ]; then
		[ "$rc" -eq 0 ] || [ "$bailed" -eq 1 ] || not_ok "unexpected error (exit status $rc)"
		purge || not_ok "purge $PKG"
	fi
	rm -rf "$LOG"
	echo "$passed passed, $failed failed"
	if [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]; then exit 0; fi
	exit 1
}
trap finish EXIT

# The module file of kernel $1, possibly compressed; empty if there is none
module_file() {
	local f
	for f in /lib/modules/"$1"/updates/dkms/atemsys.ko{,.xz,.zst,.gz}; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	return 0
}

# Start from a machine without the package (an earlier run may have been cut)
if installed; then
	echo "# $PKG is installed from before: purging it first"
	purge || bail "purge the $PKG left from before"
	purged=0
fi

# (a) dkms and the newest headers of every series and amd64 flavour the
# host's apt offers (Debian 12: 6.1 and 6.12, generic, rt and cloud; Debian
# 13: 6.12): DKMS must build for each
"${APT[@]}" update >"$LOG/update.log" 2>&1 || echo "# apt-get update failed: using the package lists there are"
# newest_per_series: of "linux-headers-<abi>-<flavour>" names, the newest ABI per series and flavour
newest_per_series() {
	sort -V | awk '{
		n = $0; sub(/^linux-headers-/, "", n)
		split(n, v, "."); fl = n; sub(/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)-/, "", fl)
		last[v[1] "." v[2] " " fl] = $0
	} END { for (k in last) print last[k] }' | sort -V
}
mapfile -t headers < <(apt-cache search --names-only '^linux-headers-[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)-(amd64|rt-amd64|cloud-amd64)$' |
	cut -d' ' -f1 | newest_per_series)
[ "${#headers[@]}" -gt 0 ] || bail "find installable amd64 kernel headers in the host's apt"
kernels=()
for h in "${headers[@]}"; do kernels+=("${h#linux-headers-}"); done
echo "# kernels: ${kernels[*]}"
t=$(now)
if "${APT[@]}" install dkms "${headers[@]}" >"$LOG/headers.log" 2>&1; then
	ok "install dkms and ${#headers[@]} headers packages ($(elapsed "$t") s)"
else
	tail -n 30 "$LOG/headers.log" | sed 's/^/# /'
	bail "install dkms, ${headers[*]}"
fi

# (b) the package: its postinst has DKMS build the module for every kernel
t=$(now)
if "${APT[@]}" install "$DEB" >"$LOG/install.log" 2>&1; then
	ok "install $(basename "$DEB") ($(elapsed "$t") s, DKMS builds included)"
	grep -E '^(Building (for|initial|atemsys)|Done\.|Skipped)|WARNING|Error!' "$LOG/install.log" |
		sed 's/^/# /' || true
else
	tail -n 40 "$LOG/install.log" | sed 's/^/# /'
	bail "install $(basename "$DEB")"
fi

# (c) one built and installed module per kernel
for rel in "${kernels[@]}"; do
	status=$(dkms status -m atemsys -v "$VERSION" -k "$rel" 2>&1 || true)
	check "dkms status: atemsys/$VERSION installed for $rel" \
		grep -q ": installed" <<<"$status"
	ko=$(module_file "$rel")
	if [ -z "$ko" ]; then
		not_ok "/lib/modules/$rel/updates/dkms/atemsys.ko exists"
		continue
	fi
	ok "$ko exists"
	vermagic=$(modinfo -F vermagic "$ko" 2>&1 || true)
	check "vermagic of $rel's module starts with $rel ($vermagic)" \
		test "${vermagic%% *}" = "$rel"
	version=$(modinfo -F version "$ko" 2>&1 || true)
	check "version of $rel's module is $VERSION ($version)" test "$version" = "$VERSION"
done
check "udev rule $RULE gives /dev/atemsys to group atemsys" \
	grep -q 'GROUP="atemsys"' "$RULE"
has_group() { getent group atemsys >/dev/null; }
check "system group atemsys exists" has_group
not_loaded() { [ ! -e /proc/modules ] || ! grep -q '^atemsys ' /proc/modules; }
check "atemsys is not loaded in the running kernel ($(uname -r))" not_loaded

# (d) purge: the package, its DKMS tree and the built modules are gone
purge_ok=0
purge && purge_ok=1
check "purge $PKG" test "$purge_ok" -eq 1
not_installed() { ! installed; }
check "$PKG is not installed any more" not_installed
for rel in "${kernels[@]}"; do
	check "no atemsys module left for $rel" test -z "$(module_file "$rel")"
done
check "DKMS tree /var/lib/dkms/atemsys and /usr/src/atemsys-$VERSION removed" \
	test ! -e /var/lib/dkms/atemsys -a ! -e "/usr/src/atemsys-$VERSION"
check "system group atemsys kept after purge" has_group
