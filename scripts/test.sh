#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: orchestrator unit tests (with the checks of the Yocto
# layer and the Buildroot tree) and type check, the compile matrix (the
# module against Debian's kernel sources, 5.10 to sid's newest, three
# architectures), the host unit tests of the EtherCAT code
# (src-kernel/tools), the generated overlays up to
# date, the module's static checks (checkpatch --strict; W=1 and sparse
# builds against every board kernel), the DKMS package built, installed and
# checked for every amd64 headers series and flavour the host offers, the QEMU smoke runs of every
# board and kernel (Debian 12, 13, sid, PREEMPT_RT), a quick benchmark run as
# a functional check (numbers are never asserted), and a debug kernel built
# here from Debian's linux-source (KASAN, KMEMLEAK, lockdep; given to smoke
# with --kernel-build) on the PCI, kill and fuzz tests. ATEMSYS_TEST_FULL=1
# (make test-full) adds W=1 + sparse against every board kernel, the same 5.10
# without the debug options on every group, every group on the debug kernel,
# and make test-lava.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
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
step export-up-to-date npx orchestrate export --check
step checkpatch make -s -C src-kernel checkpatch
# W=1 + sparse against every board kernel (Debian's own configs): make
# test-full; make test has W=1 on each of them (the smoke builds fail on a
# warning) and W=1 + sparse on every compile-matrix cell
if [ "${ATEMSYS_TEST_FULL:-0}" = 1 ]; then
	step static-builds npx orchestrate check --board all
fi

# count_totals <label> <log> <exit code>: add the log's last "N passed, N failed"
count_totals() {
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
	else
		p=0 f=1
	fi
	[ "$3" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	count "$p" "$f" "$1"
}

# The compile matrix: the module W=1 + sparse against Debian's kernel
# sources, 5.10 to sid's newest, x86_64, arm64 and armhf; every cell counts
printf '== compile matrix (Debian kernel sources x architectures)\n'
npx orchestrate matrix >"$logs/matrix.log" 2>&1
mrc=$?
sed -n '/^kernel (W=1/,$p' "$logs/matrix.log" | sed 's/^/   /'
[ $mrc -eq 0 ] || grep -q '^kernel (W=1' "$logs/matrix.log" || tail -n 30 "$logs/matrix.log" | sed 's/^/   | /'
count_totals matrix "$logs/matrix.log" $mrc

# The EtherCAT frame codec and slave model on the host (ASan, UBSan): every
# test counts
printf '== EtherCAT unit tests (host)\n'
make -s -C src-kernel/tools test O="$top/$logs/tools" >"$logs/ecat-unit.log" 2>&1
erc=$?
tail -n 1 "$logs/ecat-unit.log" | sed 's/^/   /'
[ $erc -eq 0 ] || tail -n 20 "$logs/ecat-unit.log" | sed 's/^/   | /'
count_totals ecat-unit "$logs/ecat-unit.log" $erc

# DKMS: build the Debian package, install it, DKMS builds the module for every
# installable amd64 headers series and flavour (each check counts); purged after
printf '== DKMS package (build, install, modinfo)\n'
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
if npx orchestrate package deb --json >"$logs/package-deb.json" 2>"$logs/package-deb.log"; then
	deb=$(node -e 'console.log(require(process.argv[1]).deb)' "$top/$logs/package-deb.json")
	"${as_root[@]}" scripts/dkms-test.sh "$deb" 2>&1 | tee "$logs/dkms.log" | sed 's/^/   /'
	count_totals dkms "$logs/dkms.log" "${PIPESTATUS[0]}"
else
	tail -n 30 "$logs/package-deb.log" | sed 's/^/   | /'
	count 0 1 "package deb"
fi

# A corrupt .deb in the cache is noticed (sha256 against the index) and
# fetched again
step corrupt-deb-refetch scripts/corrupt-deb-check.sh

# QEMU smoke: every KTAP test of every board and kernel counts
printf '== smoke (all QEMU boards)\n'
npx orchestrate smoke --board all 2>&1 | tee "$logs/smoke.log"
count_totals smoke "$logs/smoke.log" "${PIPESTATUS[0]}"

# kernel_lane <name> <testkernel options> -- <smoke options>: build a 5.10
# from Debian's linux-source (cached in ~/.cache/atemsys/testkernel/) and
# give it to smoke as a user gives theirs (--kernel-build); logs
# <name>kernel.json/.log and smoke-<name>.log
kernel_lane() {
	local name=$1 tk=() b m
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do tk+=("$1"); shift; done
	[ $# -eq 0 ] || shift
	if npx orchestrate testkernel "${tk[@]}" --json >"$logs/${name}kernel.json" 2>"$logs/${name}kernel.log"; then
		b=$(node -e 'console.log(require(process.argv[1]).build)' "$top/$logs/${name}kernel.json")
		m=$(node -e 'console.log(require(process.argv[1]).modules)' "$top/$logs/${name}kernel.json")
		npx orchestrate smoke --board qemu-x86_64 --kernel-build "$b" --kernel-modules "$m" "$@" 2>&1 | tee "$logs/smoke-$name.log"
		count_totals "smoke-$name" "$logs/smoke-$name.log" "${PIPESTATUS[0]}"
	else
		tail -n 30 "$logs/${name}kernel.log" | sed 's/^/   | /'
		count 0 1 "testkernel $name"
	fi
}

# Your own kernel: a small 5.10, every group. make test-full: in make test
# the debug kernel below (the same 5.10 source and base config) takes that path
if [ "${ATEMSYS_TEST_FULL:-0}" = 1 ]; then
	printf '== smoke of a kernel you built (5.10 from linux-source)\n'
	kernel_lane own --
fi

# The debug kernel: the same 5.10 with KASAN, KMEMLEAK, lockdep (PROVE_LOCKING,
# PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS and the hung-task detector
# (built once, cached). make test runs the PCI tests, the kill tests and the
# fuzzer on it, then kmemleak_clean scans and any report fails
# kernel_log_clean (about 10 minutes on 2 cores); make test-full runs every
# group and the 32-bit run. Under KASAN the fuzzer makes 15,000-30,000 calls
# a minute: 50,000 here, 250,000 in make test-full (the 1,000,000-call runs
# are the normal kernels').
DEBUG_LANE_TESTS=version,pci,ll_kill_master,fuzz,rmmod_refused_while_open,kernel_log_clean,kmemleak_clean,rmmod_after_close,init_script_mdev,device_permissions
debug_kernel_lane() {
	local lane=(--only "$DEBUG_LANE_TESTS" --fuzz-calls 50000)
	[ "${ATEMSYS_TEST_FULL:-0}" != 1 ] || lane=(--fuzz-calls 250000)
	printf '== smoke of the debug kernel (5.10 + KASAN, KMEMLEAK, lockdep, fuzzer)\n'
	kernel_lane debug --debug -- --extra-groups fuzz --timeout 3600 "${lane[@]}"
}
debug_kernel_lane

# Benchmark: a functional check only. bench exits 0 and bench.json is well
# formed with at least one row in each of the groups irq, rtt, dma and cycle-*.
bench_check() {
	local rc
	npx orchestrate bench --board qemu-x86_64 --quick --json >"$logs/bench.json"
	rc=$?
	[ -s "$logs/bench.json" ] || { echo "bench exited $rc and printed nothing"; return 1; }
	node -e '
		const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const fail = (m) => { console.error(`bench.json: ${m}`); process.exit(1); };
		if (f.format !== 1 || f.board !== "qemu-x86_64" || !Array.isArray(f.boots) || f.boots.length !== 1) fail("not one boot of qemu-x86_64 in format 1");
		const b = f.boots[0];
		if (b.status !== "passed") fail(`boot ${b.status}: ${b.problems.join("; ")}`);
		if (!b.info || b.info.quick !== true) fail("no BEGIN info with quick: true");
		const groups = new Set(b.rows.map((r) => r.group.startsWith("cycle-") ? "cycle-*" : r.group));
		for (const g of ["irq", "rtt", "dma", "cycle-*"]) if (!groups.has(g)) fail(`no row in group ${g}`);
		for (const r of b.rows) {
			if (!["ok", "skipped", "error"].includes(r.status)) fail(`row ${r.group}/${r.variant}: status ${r.status}`);
			if (r.status === "ok" && (!Array.isArray(r.q) || r.q.length !== 101)) fail(`row ${r.group}/${r.variant}: no 101 percentiles`);
		}
		if (!Array.isArray(b.targets) || b.targets.length === 0) fail("no targets");
		console.log(`bench.json: ${b.rows.length} rows in ${[...groups].join(", ")}; targets: ${b.targets.map((t) => t.verdict).join(", ")}`);
	' "$top/$logs/bench.json" || return 1
	[ "$rc" -eq 0 ] || { echo "bench exited $rc"; return 1; }
}
step bench-quick bench_check

# make test-full: the LAVA jobs of qemu-x86_64 and qemu-arm64 on a real
# LAVA server and worker on this machine (make test-lava; about 8 minutes)
[ "${ATEMSYS_TEST_FULL:-0}" != 1 ] || step lava scripts/lava-test.sh

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $logs/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
