#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A corrupt .deb in the cache is caught and fetched again (make test): one
# byte in the middle of the cached busybox-static of qemu-x86_64's bookworm
# 6.1 kernel is changed, then `orchestrate build` must name it as corrupt in
# its JSON and leave the file as it was before (the sha256 of the index).
# Needs the host's Debian mirror (apt-get download). Exit 0 on success.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${ATEMSYS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/atemsys}
build=(npx orchestrate build --board qemu-x86_64 --kernel 6.1/amd64/bookworm --json)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"${build[@]}" >"$tmp/first.json"
file=$(node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const p = r[0].packages.find((x) => x.name === "busybox-static");
	console.log(`${p.arch === "all" ? "amd64" : p.arch}/${p.file}`);
' "$tmp/first.json")
deb=$cache/debs/$file
[ -f "$deb" ] || { echo "no cached $deb after a build"; exit 1; }
before=$(sha256sum "$deb" | cut -d' ' -f1)
size=$(stat -c %s "$deb")
printf '\x5a' | dd of="$deb" bs=1 seek=$((size / 2)) conv=notrunc status=none
[ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$before" ] || printf '\xa5' | dd of="$deb" bs=1 seek=$((size / 2)) conv=notrunc status=none
echo "changed one byte of $deb"

# --rebuild: nothing else changed, so a plain build would find its artifacts up to date and fetch nothing
"${build[@]}" --rebuild >"$tmp/second.json"
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const c = r[0].corrupt ?? [];
	if (!c.some((x) => x.includes(process.argv[2]))) { console.error(`build did not report ${process.argv[2]} as corrupt: corrupt = ${JSON.stringify(c)}`); process.exit(1); }
	console.log(`build reported: ${c.join("; ")}`);
' "$tmp/second.json" "$(basename "$deb")"
after=$(sha256sum "$deb" | cut -d' ' -f1)
[ "$after" = "$before" ] || { echo "$deb was fetched again but its sha256 is $after, was $before"; exit 1; }
echo "fetched again: sha256 ${after:0:12}… as before"
