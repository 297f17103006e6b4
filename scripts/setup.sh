#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything this project needs on Debian 12 (bookworm) or 13
# (trixie): Debian packages through apt-get, npm packages through npm ci, and
# checkpatch.pl unpacked from the release's linux-source. Safe to run again:
# it only installs what is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# The release: its kernel source (checkpatch.pl) and whether QEMU must come
# from backports (bookworm has 7.2; the i.MX8MP EVK machine needs 9.2)
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case "$codename" in
bookworm) source_series=6.1 ;;
trixie) source_series=6.12 ;;
*)
	echo "setup: this is ${PRETTY_NAME:-$(. /etc/os-release && echo "$PRETTY_NAME")}; set-up knows Debian 12 (bookworm) and 13 (trixie)" >&2
	exit 1
	;;
esac

# orchestrator/test/facts.test.ts checks that this list holds every package
# orchestrator/src/debian/facts.ts says set-up installs (tools, compilers, libcs)
packages=(
	# build the module against Debian's kernel headers (6.12 needs pahole):
	# Debian 12's kernels name gcc-12, also on a Debian 13 host; kernels of a
	# newer suite than the host's build in a chroot of theirs (debootstrap)
	make gcc gcc-12 bc bison flex libelf-dev libssl-dev dwarves kmod debootstrap
	gcc-12-aarch64-linux-gnu gcc-12-arm-linux-gnueabihf
	# cross compilers and libc for the static selftests
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-i686-linux-gnu
	libc6-dev libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-i386-cross
	# static checks: sparse, and checkpatch.pl from the kernel source
	sparse "linux-source-$source_series" perl
	# guests: QEMU, initramfs, device trees
	qemu-system-x86 qemu-system-arm cpio gzip xz-utils zstd
	device-tree-compiler file ca-certificates
	# smoke: Wireshark's EtherCAT dissector checks the recorded frames (wire_conformance)
	tshark
	# lava: LAVA's own job schema checks the generated jobs (lava_common, voluptuous)
	lava-common python3-voluptuous python3-yaml
	# the DKMS Debian package: build it, install it, let DKMS build the module
	# (dpkg-buildpackage checks for build-essential, which a minimal host lacks)
	build-essential dpkg-dev debhelper dh-dkms dkms
)

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "setup: run as root (or install sudo): apt-get needs it" >&2
		exit 1
	fi
else
	sudo=()
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	# A foreign-arch index that is mid-sync on the mirror makes update exit
	# 100; the amd64 indexes we install from are still usable then.
	"${sudo[@]}" apt-get update -q || echo "setup: apt-get update reported errors, continuing" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# QEMU >= 9.2 (i.MX8MP EVK machine): bookworm has 7.2, bookworm-backports 10.x.
# The backports source reuses the mirror of the host's own bookworm source.
qemu_new_enough() {
	local v
	v=$(qemu-system-aarch64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$v" ] || return 1
	set -- $v
	[ "$1" -gt 9 ] || { [ "$1" -eq 9 ] && [ "$2" -ge 2 ]; }
}

bookworm_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: the URIs of the stanza whose Suites list bookworm
		awk 'BEGIN { RS = ""; FS = "\n" }
		     /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ || /(^|\n)Suites:[ \t]*bookworm([ \t]|\n|$)/ {
			for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); print u[1]; exit }
		     }' "$f"
	done | head -n 1
	# one-line format
	if [ -f /etc/apt/sources.list ]; then
		awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list
	fi
}

backports=/etc/apt/sources.list.d/atemsys-bookworm-backports.sources
if [ "$codename" = bookworm ] && ! qemu_new_enough; then
	if [ ! -f "$backports" ]; then
		mirror=$(bookworm_mirror | head -n 1)
		if [ -z "$mirror" ]; then
			echo "setup: no bookworm apt source found to derive bookworm-backports from;" >&2
			echo "setup: add one (Suites: bookworm-backports) and run make setup again" >&2
			exit 1
		fi
		echo "setup: adding bookworm-backports ($mirror) for QEMU >= 9.2"
		printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$mirror" | "${sudo[@]}" tee "$backports" >/dev/null
	fi
	"${sudo[@]}" apt-get update -q || echo "setup: apt-get update reported errors, continuing" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends -t bookworm-backports \
		qemu-system-arm qemu-system-x86
	qemu_new_enough || { echo "setup: QEMU is still older than 9.2 after installing from bookworm-backports" >&2; exit 1; }
fi

qemu_new_enough || { echo "setup: QEMU is older than 9.2 (the i.MX8MP EVK machine needs it)" >&2; exit 1; }

# checkpatch.pl and the data files it reads, from the release's linux-source
# (in the project's cache: ATEMSYS_CACHE, else $XDG_CACHE_HOME/atemsys, else
# ~/.cache/atemsys, as orchestrator/src/core/paths.ts resolves it)
case "${XDG_CACHE_HOME:-}" in
/*) cache=${ATEMSYS_CACHE:-$XDG_CACHE_HOME/atemsys} ;;
*) cache=${ATEMSYS_CACHE:-$HOME/.cache/atemsys} ;;
esac
cp_dir=$cache/linux-source
if [ ! -f "$cp_dir/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-"$source_series".tar.* | head -n 1)
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi

# npm packages, exactly as locked
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund
fi

echo "setup: done"
