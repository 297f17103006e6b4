#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Proves that set-up and the smoke test work on a fresh Debian 13 (trixie)
# host: debootstraps a minimal trixie into DIR from the host's own Debian
# mirror, clones this repository into it (HEAD, committed work only) and runs
# there, as a newcomer would:
#   make setup                      (apt-get, npm ci: nothing pre-installed)
#   npx orchestrate <ARGS>          (default: smoke --board qemu-x86_64 --kernel trixie)
#   or, when ARGS start with "make": that make command (make test: the whole suite)
# inside a private mount namespace with /proc, /sys and /dev bound (they end
# with the script). Root only: debootstrap and chroot need it.
#
#   scripts/trixie-host-check.sh [--dir DIR] [ORCHESTRATE ARGS... | make TARGET...]
#
# DIR defaults to /var/tmp/atemsys-trixie-host (kept: a second run reuses
# the chroot and the project's cache in its /root/.cache/atemsys, outside
# the clone, as on a host).
# Exit status: that of the last command, 2 usage.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=/var/tmp/atemsys-trixie-host
if [ "${1:-}" = --dir ]; then
	[ $# -ge 2 ] || { echo "usage: $0 [--dir DIR] [ORCHESTRATE ARGS...]" >&2; exit 2; }
	dir=$2
	shift 2
fi
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(smoke --board qemu-x86_64 --kernel trixie)
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "$0: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

# The host's Debian archive and security URIs (deb822 or one-line sources)
uri_of() {	# uri_of <regex of a suite>
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk -v re="$1" 'BEGIN { RS = ""; FS = "\n" } {
				u = ""; s = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
					if ($i ~ /^Suites:/) s = $i
				}
				if (u != "" && s ~ re) print u
			}' || true
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk -v re="$1" '$1 == "deb" {
				i = 2	# skip [options]
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) ~ re) print $i
			}' || true
	} | head -n 1
}
archive=$(uri_of '(bookworm|trixie|sid)([ \t]|-updates|-backports|$)')
security=$(uri_of '(bookworm|trixie)-security')
[ -n "$archive" ] || { echo "$0: no Debian archive in /etc/apt: cannot debootstrap" >&2; exit 2; }

root=$dir/root
if [ ! -f "$root/.atemsys-host-ready" ]; then
	echo "== debootstrap trixie into $root ($archive)"
	rm -rf "$root"
	mkdir -p "$dir"
	debootstrap --variant=minbase --include=ca-certificates,git,make,sudo,procps trixie "$root" "$archive"
	{
		printf 'Types: deb\nURIs: %s\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$archive"
		[ -z "$security" ] || printf '\nTypes: deb\nURIs: %s\nSuites: trixie-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security"
	} >"$root/etc/apt/sources.list.d/debian.sources"
	rm -f "$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	touch "$root/.atemsys-host-ready"
fi
# the host's apt settings for its mirror (Acquire::*: a snapshot mirror
# whose Release files are past Valid-Until, say)
rm -f "$root/etc/apt/apt.conf.d/99host-acquire"
for f in $(grep -l 'Acquire::Check-' /etc/apt/apt.conf.d/* 2>/dev/null); do
	cp "$f" "$root/etc/apt/apt.conf.d/$(basename "$f")"
done
# the host's own certificate authorities (a TLS proxy in front of the
# package registries, say): the chroot is this host's network, not a new one
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
	chroot "$root" update-ca-certificates >/dev/null
fi

echo "== clone $(git -C "$top" rev-parse --short HEAD) into $root/work/atemsys"
mkdir -p "$root/work"
rm -rf "$root/work/atemsys"
git clone -q "$top" "$root/work/atemsys"

printf -v cmd '%q ' "${args[@]}"
[ "${args[0]}" = make ] || cmd="npx orchestrate $cmd"
echo "== in the trixie chroot: make setup && ${cmd}"
unshare --mount --propagation private -- sh -euc '
	r=$1; shift
	# / of a real host is a mount point (unshare --propagation needs one)
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	exec chroot "$r" "$@"' sh "$root" \
	env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 CI=true \
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
	sh -euc "cd /work/atemsys && apt-get update -q && make setup && $cmd"
