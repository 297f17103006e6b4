#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and boot timings of one or two checkouts side by side (issue 13):
#   noop-build    `orchestrate build --board $BOARD` right after a build of it
#   touch-build   the same after a one-line change to a module source file
#                 ($KERNEL kernels only; the change is undone and built again)
#   sabrelite     `orchestrate smoke --board imx6-sabrelite --no-build`
#   smoke-all     `orchestrate smoke --board all --no-build` (with --all only: long)
# Not a test: a measurement. Each checkout uses its own out dir; both share
# the cache. Prints a table and writes JSON; the load average before and
# after each run is recorded (the machine may be running other QEMUs).
#
# usage: scripts/build-bench.sh [--all] [--json <file>] <label>=<checkout>:<out dir> ...
#   e.g. scripts/build-bench.sh before=/tmp/wt-before:/tmp/out-before after=.:/tmp/out-after
# The boards ($BOARD, imx6-sabrelite; all with --all) must have been built
# in each out dir: a first, untimed build of $BOARD warms it up (WARMUP=0:
# none; a checkout without incremental builds rebuilds everything in it).
set -euo pipefail
BOARD=${BOARD:-qemu-arm64}
KERNEL=${KERNEL:-6.1/arm64/bookworm}
TOUCHED=${TOUCHED:-src-kernel/atemsys_main.c}
export BOARD KERNEL
all=0
json=out/build-bench.json
runs=()
while [ $# -gt 0 ]; do
	case $1 in
	--all) all=1 ;;
	--json) json=$2; shift ;;
	*=*:*) runs+=("$1") ;;
	*) echo "usage: $0 [--all] [--json <file>] <label>=<checkout>:<out dir> ..." >&2; exit 2 ;;
	esac
	shift
done
[ ${#runs[@]} -gt 0 ] || { echo "usage: $0 [--all] [--json <file>] <label>=<checkout>:<out dir> ..." >&2; exit 2; }

results=()   # "label measure seconds exit load-before load-after"
load() { cut -d' ' -f1 /proc/loadavg; }

# time one orchestrate run in a checkout: label measure checkout out args...
measure() {
	local label=$1 what=$2 dir=$3 out=$4
	shift 4
	local l0 rc=0 wall u s cpu
	l0=$(load)
	# user+sys of the whole tree (QEMU included): about 2 x wall means the run keeps both cores busy
	(cd "$dir" && ATEMSYS_OUT=$out /usr/bin/time -f '%e %U %S' -o "$out/bench-$what.time" npx orchestrate "$@") >"$out/bench-$what.log" 2>&1 || rc=$?
	# on a failure time(1) writes "Command exited with non-zero status N" first
	read -r wall u s < <(tail -n 1 "$out/bench-$what.time")
	cpu=$(echo "$u + $s" | bc)
	results+=("$label $what $wall $rc $l0 $(load) $cpu")
	printf '%-8s %-12s %7.1f s  cpu %6.1f s  exit %d  load %s -> %s\n' "$label" "$what" "$wall" "$cpu" "$rc" "$l0" "$(load)" >&2
}

for r in "${runs[@]}"; do
	label=${r%%=*}; rest=${r#*=}; dir=${rest%%:*}; out=${rest#*:}
	mkdir -p "$out"
	[ "${WARMUP:-1}" = 1 ] || continue
	echo "$label: warming up (build --board $BOARD in $out)" >&2
	(cd "$dir" && ATEMSYS_OUT=$out npx orchestrate build --board "$BOARD") >"$out/bench-warmup.log" 2>&1
done

# each measure for every checkout in turn, so that drifting load hits all alike
for r in "${runs[@]}"; do
	label=${r%%=*}; rest=${r#*=}; dir=${rest%%:*}; out=${rest#*:}
	measure "$label" noop-build "$dir" "$out" build --board "$BOARD"
done
for r in "${runs[@]}"; do
	label=${r%%=*}; rest=${r#*=}; dir=${rest%%:*}; out=${rest#*:}
	cp "$dir/$TOUCHED" "$out/.bench-touched.orig"
	echo "/* build-bench: a changed line */" >>"$dir/$TOUCHED"
	measure "$label" touch-build "$dir" "$out" build --board "$BOARD" --kernel "$KERNEL" || true
	cp "$out/.bench-touched.orig" "$dir/$TOUCHED"
	rm -f "$out/.bench-touched.orig"
	# back to the committed source, built (not timed)
	(cd "$dir" && ATEMSYS_OUT=$out npx orchestrate build --board "$BOARD" --kernel "$KERNEL") >"$out/bench-untouch.log" 2>&1
done
for r in "${runs[@]}"; do
	label=${r%%=*}; rest=${r#*=}; dir=${rest%%:*}; out=${rest#*:}
	measure "$label" sabrelite "$dir" "$out" smoke --board imx6-sabrelite --no-build
done
if [ "$all" = 1 ]; then
	for r in "${runs[@]}"; do
		label=${r%%=*}; rest=${r#*=}; dir=${rest%%:*}; out=${rest#*:}
		measure "$label" smoke-all "$dir" "$out" smoke --board all --no-build
	done
fi

mkdir -p "$(dirname "$json")"
printf '%s\n' "${results[@]}" | node -e '
	const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => {
		const [label, measure, seconds, exit, loadBefore, loadAfter, cpu] = l.split(" ");
		return { label, measure, seconds: Number(seconds), cpuSeconds: Number(cpu), exit: Number(exit), loadBefore: Number(loadBefore), loadAfter: Number(loadAfter) };
	});
	const labels = [...new Set(rows.map((r) => r.label))];
	const measures = [...new Set(rows.map((r) => r.measure))];
	const cell = (m, l) => { const r = rows.find((x) => x.measure === m && x.label === l); return r ? `${r.seconds.toFixed(1)} s (cpu ${r.cpuSeconds.toFixed(1)} s${r.exit ? `, exit ${r.exit}` : ""}, load ${r.loadBefore})` : "-"; };
	const head = ["measure", ...labels];
	const body = measures.map((m) => [m, ...labels.map((l) => cell(m, l))]);
	const w = head.map((_, i) => Math.max(...[head, ...body].map((r) => r[i].length)));
	for (const r of [head, w.map((n) => "-".repeat(n)), ...body]) console.log(r.map((c, i) => c.padEnd(w[i])).join("  "));
	require("fs").writeFileSync(process.argv[1], JSON.stringify({ board: process.env.BOARD, kernel: process.env.KERNEL, nproc: require("os").availableParallelism(), rows }, null, 2) + "\n");
	console.log(`\nJSON: ${process.argv[1]}  (cpu: user+sys of orchestrate and its children; load: the 1-minute load average before the run, on ${require("os").availableParallelism()} cores)`);
' "$json"
