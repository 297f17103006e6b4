#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: orchestrator unit tests and type check, the module's
# static checks (checkpatch --strict; W=1 and sparse builds against every
# board kernel), and the QEMU smoke runs of every board. Ends with
# "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=out/test
mkdir -p "$logs"

passed=0
failed=0
failures=()

count() {	# count <passed> <failed> <label>
	passed=$((passed + $1))
	failed=$((failed + $2))
	[ "$2" -eq 0 ] || failures+=("$3")
}

# step <label> <command...>: one check, one count; log in out/test/<label>.log
step() {
	local label=$1 log="$logs/$1.log" start=$SECONDS
	shift
	printf '== %s\n' "$label"
	if "$@" >"$log" 2>&1; then
		printf '   ok (%ds)\n' $((SECONDS - start))
		count 1 0 "$label"
	else
		printf '   FAILED (%ds), last lines of %s:\n' $((SECONDS - start)) "$log"
		tail -n 30 "$log" | sed 's/^/   | /'
		count 0 1 "$label"
	fi
}

# Unit tests: every vitest test counts
printf '== unit tests (vitest)\n'
npx vitest run --root orchestrator --reporter=default \
	--reporter=json --outputFile="$top/$logs/vitest.json" >"$logs/vitest.log" 2>&1
vrc=$?
if [ -f "$logs/vitest.json" ]; then
	read -r vp vf < <(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests)' "$top/$logs/vitest.json")
else
	vp=0 vf=1
fi
[ $vrc -eq 0 ] || [ "$vf" -gt 0 ] || vf=1
printf '   %s passed, %s failed\n' "$vp" "$vf"
[ "$vf" -eq 0 ] || tail -n 40 "$logs/vitest.log" | sed 's/^/   | /'
count "$vp" "$vf" "unit tests"

step typecheck npx tsc --noEmit -p .
step checkpatch make -s -C src-kernel checkpatch
step static-builds npx orchestrate check --board all

# QEMU smoke: every KTAP test of every board and kernel counts
printf '== smoke (all QEMU boards)\n'
npx orchestrate smoke --board all 2>&1 | tee "$logs/smoke.log"
src=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/smoke.log" | tail -n 1)
if [ -n "$line" ]; then
	sp=${line%% passed*}
	sf=${line#*passed, }
	sf=${sf%% failed*}
else
	sp=0 sf=1
fi
[ "$src" -eq 0 ] || [ "$sf" -gt 0 ] || sf=1
count "$sp" "$sf" "smoke"

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $logs/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
