#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
// @ts-check
/**
 * The whole test suite (make test, make test-full, .ci/run), in this order:
 *
 *   unit                 orchestrator unit tests (vitest, with the checks of the
 *                        Yocto layer and the Buildroot tree); every test counts
 *   typecheck            tsc --noEmit
 *   lint                 eslint (typescript-eslint) on the orchestrator and these scripts
 *   format               prettier --check: the TypeScript and scripts as prettier
 *                        writes them (npm run format writes them)
 *   export-up-to-date    the generated overlays up to date (orchestrate export --check)
 *   checkpatch           the module's checkpatch --strict
 *   static-builds        (test-full) W=1 + sparse against every board kernel
 *   matrix               the compile matrix: the module W=1 + sparse against
 *                        Debian's kernel sources, 5.10 to sid's newest, x86_64,
 *                        arm64 and armhf; every cell counts
 *   ecat-unit            host unit tests of the EtherCAT code (src-kernel/tools,
 *                        ASan, UBSan); every test counts
 *   dkms                 the DKMS package built, installed and checked for every
 *                        amd64 headers series and flavour the host offers
 *                        (scripts/dkms-test.mjs, through sudo when not root);
 *                        every check counts
 *   corrupt-deb-refetch  a corrupt .deb in the cache is noticed and fetched again
 *   smoke                the QEMU smoke runs of every board and kernel (Debian 12,
 *                        13, sid, PREEMPT_RT); every KTAP test counts
 *   smoke-own            (test-full) a 5.10 built here from Debian's linux-source,
 *                        given to smoke with --kernel-build, every group
 *   smoke-debug          the same 5.10 with KASAN, KMEMLEAK, lockdep: the PCI,
 *                        kill and fuzz tests (test-full: every group)
 *   bench-quick          a quick benchmark run as a functional check (numbers are
 *                        never asserted)
 *   lava                 (test-full) make test-lava
 *
 * Each step prints "== <title>" and then "   ok (Ns)", "   FAILED (Ns), last
 * lines of <log>:" with the log's last lines, or its counts; logs go to
 * out/test/ (<ATEMSYS_OUT>/test/ when set). The last lines are "failed:
 * <labels> (logs in out/test/)" when something failed and "N passed, N failed".
 *
 * Environment:
 *   ATEMSYS_OUT=dir       out/ elsewhere, as for orchestrate (core/paths.ts): the
 *                         logs go to dir/test/; a relative dir is taken from the
 *                         current directory and passed on resolved, so the
 *                         orchestrate runs of the steps use the same out/
 *   ATEMSYS_TEST_FULL=1   (make test-full) the (test-full) steps above, every
 *                         group on the debug kernel and 250,000 fuzzer calls
 *   ATEMSYS_TEST_ONLY=a,b only the steps of these labels (the names in the first
 *                         column), to check a step quickly; a (test-full) step
 *                         named here runs without ATEMSYS_TEST_FULL too
 *
 * Exit status: 0 when nothing failed, 1 when something did, 2 for an unknown
 * label in ATEMSYS_TEST_ONLY or a missing zx (run make setup first), 130/143
 * on SIGINT/SIGTERM: the signal is forwarded to the running step's process
 * group (QEMU and builds stop, the DKMS test purges its package) and the
 * runner waits for it before it exits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileLines, loadZx, runner, say, signalStatus, tail, teeSink, teed } from './zx-lib.mjs';

/**
 * out/ as orchestrate finds it (resolvePaths of orchestrator/src/core/paths.ts):
 * ATEMSYS_OUT resolved from the current directory when set and not blank, else
 * <top>/out. Absolute.
 * @param {NodeJS.ProcessEnv} env
 * @param {string} top the repository's top directory
 */
function outDir(env, top) {
  const v = env.ATEMSYS_OUT;
  return v !== undefined && v.trim() !== '' ? path.resolve(v) : path.join(top, 'out');
}

/**
 * A path for messages: relative to the repository's top when under it (the
 * current directory after the chdir below), else absolute.
 * @param {string} p absolute
 */
function shown(p) {
  const r = path.relative(TOP, p);
  return r === '' ? '.' : r.startsWith('..') || path.isAbsolute(r) ? p : r;
}

const zx = await loadZx('scripts/test.mjs');
const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = outDir(process.env, TOP);
// the steps run from TOP: a relative ATEMSYS_OUT would name another directory there
if (process.env.ATEMSYS_OUT !== undefined && process.env.ATEMSYS_OUT.trim() !== '') process.env.ATEMSYS_OUT = OUT;
process.chdir(TOP);
/** The logs' directory (absolute) and as the messages show it (relative to TOP when under it). */
const LOGS = path.join(OUT, 'test');
const LOGS_SHOWN = shown(LOGS);
fs.mkdirSync(LOGS, { recursive: true });
const FULL = process.env.ATEMSYS_TEST_FULL === '1';
const sig = runner(zx, TOP);
const { run } = sig;

/** The tests of the debug kernel in make test (make test-full: every group). */
const DEBUG_LANE_TESTS = 'version,pci,ll_kill_master,fuzz,rmmod_refused_while_open,kernel_log_clean,kmemleak_clean,rmmod_after_close,init_script_mdev,device_permissions';

let passed = 0;
let failed = 0;
/** @type {string[]} */
const failures = [];

/**
 * @param {number} p
 * @param {number} f
 * @param {string} label
 */
function count(p, f, label) {
  passed += p;
  failed += f;
  if (f !== 0) failures.push(label);
}

/** @param {number} start Date.now() at the start */
function secs(start) {
  return Math.floor((Date.now() - start) / 1000);
}

/**
 * Both outputs of a command into one file descriptor (`>LOG 2>&1`).
 * @param {number} fd
 */
const into = (fd) => run({ stdio: ['ignore', fd, fd] });

/** @param {string} file */
function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * One check, one count; its output in <LOGS>/<label>.log.
 * @param {string} label
 * @param {(fd: number) => Promise<boolean>} body gets the log's descriptor, says whether it passed
 */
async function step(label, body) {
  const log = `${LOGS}/${label}.log`;
  const start = Date.now();
  say(`== ${label}`);
  const fd = fs.openSync(log, 'w');
  let ok;
  try {
    ok = await body(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (sig.signal) return;
  if (ok) {
    say(`   ok (${secs(start)}s)`);
    count(1, 0, label);
  } else {
    say(`   FAILED (${secs(start)}s), last lines of ${shown(log)}:`);
    tail(log, 30, '   | ');
    count(0, 1, label);
  }
}

/**
 * A step that is one command.
 * @param {string} label
 * @param {(r: ReturnType<typeof into>) => import('zx').ProcessPromise} cmd
 */
function commandStep(label, cmd) {
  return step(label, async (fd) => (await cmd(into(fd))).exitCode === 0);
}

/**
 * Add the log's last "N passed, N failed" line (none: 0 passed, 1 failed; a
 * non-zero exit status fails at least one).
 * @param {string} label
 * @param {string} log
 * @param {number | null} code
 */
function countTotals(label, log, code) {
  const line = fileLines(log)
    .filter((l) => /^[0-9]+ passed, [0-9]+ failed/.test(l))
    .pop();
  const m = line ? /^([0-9]+) passed, ([0-9]+) failed/.exec(line) : null;
  const p = m ? Number(m[1]) : 0;
  let f = m ? Number(m[2]) : 1;
  if (code !== 0 && f === 0) f = 1;
  count(p, f, label);
}

/** Unit tests: every vitest test counts. */
async function unitTests() {
  say('== unit tests (vitest)');
  const json = `${LOGS}/vitest.json`;
  const log = `${LOGS}/vitest.log`;
  fs.rmSync(json, { force: true });
  const fd = fs.openSync(log, 'w');
  const o = await into(fd)`npx vitest run --root orchestrator --reporter=default --reporter=json --outputFile=${json}`;
  fs.closeSync(fd);
  if (sig.signal) return;
  let vp = 0;
  let vf = 1;
  try {
    const r = readJson(json);
    if (Number.isInteger(r.numPassedTests) && Number.isInteger(r.numFailedTests)) [vp, vf] = [r.numPassedTests, r.numFailedTests];
  } catch {
    // no report: 0 passed, 1 failed
  }
  if (o.exitCode !== 0 && vf === 0) vf = 1;
  say(`   ${vp} passed, ${vf} failed`);
  if (vf !== 0) tail(log, 40, '   | ');
  count(vp, vf, 'unit tests');
}

/**
 * The compile matrix: the module W=1 + sparse against Debian's kernel
 * sources, 5.10 to sid's newest, x86_64, arm64 and armhf; every cell counts.
 */
async function matrix() {
  say('== compile matrix (Debian kernel sources x architectures)');
  const log = `${LOGS}/matrix.log`;
  const fd = fs.openSync(log, 'w');
  const o = await into(fd)`npx orchestrate matrix`;
  fs.closeSync(fd);
  if (sig.signal) return;
  const l = fileLines(log);
  const table = l.findIndex((x) => x.startsWith('kernel (W=1'));
  if (table >= 0) for (const x of l.slice(table)) say(`   ${x}`);
  if (o.exitCode !== 0 && table < 0) tail(log, 30, '   | ');
  countTotals('matrix', log, o.exitCode);
}

/** The EtherCAT frame codec and slave model on the host (ASan, UBSan): every test counts. */
async function ecatUnit() {
  say('== EtherCAT unit tests (host)');
  const log = `${LOGS}/ecat-unit.log`;
  const fd = fs.openSync(log, 'w');
  const o = await into(fd)`make -s -C src-kernel/tools test O=${path.join(LOGS, 'tools')}`;
  fs.closeSync(fd);
  if (sig.signal) return;
  tail(log, 1, '   ');
  if (o.exitCode !== 0) tail(log, 20, '   | ');
  countTotals('ecat-unit', log, o.exitCode);
}

/**
 * `orchestrate ARGS --json >NAME.json 2>NAME.log`: the parsed JSON, or null
 * (then the log's last lines are shown).
 * @param {string} name
 * @param {string[]} args
 */
async function orchestrateJson(name, args) {
  const json = fs.openSync(`${LOGS}/${name}.json`, 'w');
  const log = fs.openSync(`${LOGS}/${name}.log`, 'w');
  const o = await run({ stdio: ['ignore', json, log] })`npx orchestrate ${args} --json`;
  fs.closeSync(json);
  fs.closeSync(log);
  if (sig.signal) return null;
  if (o.exitCode === 0) {
    try {
      return readJson(`${LOGS}/${name}.json`);
    } catch (err) {
      fs.appendFileSync(`${LOGS}/${name}.log`, `${name}.json: ${/** @type {Error} */ (err).message}\n`);
    }
  }
  tail(`${LOGS}/${name}.log`, 30, '   | ');
  return null;
}

/**
 * Run a command whose stdout and stderr go to LOG and, each line with
 * PREFIX, to stdout (`CMD 2>&1 | tee LOG | sed 's/^/PREFIX/'`); then count
 * the log's totals under LABEL.
 * @param {string} label
 * @param {string} log
 * @param {string} prefix
 * @param {import('zx').ProcessPromise} p started with both outputs piped
 */
async function teeAndCount(label, log, prefix, p) {
  const fd = fs.openSync(log, 'w');
  let o;
  try {
    o = await teed(p, teeSink(fd, prefix));
  } finally {
    fs.closeSync(fd);
  }
  if (sig.signal) return;
  countTotals(label, log, o.exitCode);
}

/**
 * DKMS: build the Debian package, install it, DKMS builds the module for
 * every installable amd64 headers series and flavour (each check counts);
 * purged after.
 */
async function dkms() {
  say('== DKMS package (build, install, modinfo)');
  const pkg = await orchestrateJson('package-deb', ['package', 'deb']);
  if (sig.signal) return;
  if (!pkg) {
    count(0, 1, 'package deb');
    return;
  }
  const script = path.join(TOP, 'scripts', 'dkms-test.mjs');
  let p;
  if (process.getuid?.() === 0) {
    p = run()`${process.execPath} ${script} ${pkg.deb}`;
  } else {
    // ask for a password here, in the foreground, if sudo needs one; the
    // test itself runs detached (a background process group cannot prompt)
    if ((await run()`sudo -n true`).exitCode !== 0) await zx.$({ stdio: 'inherit', nothrow: true })`sudo -v`;
    if (sig.signal) return;
    // the signal to sudo alone: it relays it to the test once
    p = run({ groupSignal: false })`sudo -n ${process.execPath} ${script} ${pkg.deb}`;
  }
  await teeAndCount('dkms', `${LOGS}/dkms.log`, '   ', p);
}

/** QEMU smoke: every KTAP test of every board and kernel counts. */
async function smoke() {
  say('== smoke (all QEMU boards)');
  await teeAndCount('smoke', `${LOGS}/smoke.log`, '', run()`npx orchestrate smoke --board all`);
}

/**
 * Build a 5.10 from Debian's linux-source (cached in
 * ~/.cache/atemsys/testkernel/) and give it to smoke as a user gives theirs
 * (--kernel-build); logs <name>kernel.json/.log and smoke-<name>.log.
 * @param {string} name
 * @param {string[]} testkernel options of orchestrate testkernel
 * @param {string[]} smokeArgs more options of orchestrate smoke
 */
async function kernelLane(name, testkernel, smokeArgs) {
  const k = await orchestrateJson(`${name}kernel`, ['testkernel', ...testkernel]);
  if (sig.signal) return;
  if (!k) {
    count(0, 1, `testkernel ${name}`);
    return;
  }
  const p = run()`npx orchestrate smoke --board qemu-x86_64 --kernel-build ${k.build} --kernel-modules ${k.modules} ${smokeArgs}`;
  await teeAndCount(`smoke-${name}`, `${LOGS}/smoke-${name}.log`, '', p);
}

/**
 * Your own kernel: a small 5.10, every group. make test-full: in make test
 * the debug kernel below (the same 5.10 source and base config) takes that path.
 */
async function ownKernelLane() {
  say('== smoke of a kernel you built (5.10 from linux-source)');
  await kernelLane('own', [], []);
}

/**
 * The debug kernel: the same 5.10 with KASAN, KMEMLEAK, lockdep
 * (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS and the
 * hung-task detector (built once, cached). make test runs the PCI tests, the
 * kill tests and the fuzzer on it, then kmemleak_clean scans and any report
 * fails kernel_log_clean (about 10 minutes on 2 cores); make test-full runs
 * every group and the 32-bit run. Under KASAN the fuzzer makes 15,000-30,000
 * calls a minute: 50,000 here, 250,000 in make test-full (the 1,000,000-call
 * runs are the normal kernels').
 */
async function debugKernelLane() {
  const lane = FULL ? ['--fuzz-calls', '250000'] : ['--only', DEBUG_LANE_TESTS, '--fuzz-calls', '50000'];
  say('== smoke of the debug kernel (5.10 + KASAN, KMEMLEAK, lockdep, fuzzer)');
  await kernelLane('debug', ['--debug'], ['--extra-groups', 'fuzz', '--timeout', '3600', ...lane]);
}

/**
 * Is bench.json one passed quick boot of qemu-x86_64 in format 1 with at
 * least one row in each of the groups irq, rtt, dma and cycle-*? The reason
 * when not, else null; `summary` gets the line for the log.
 * @param {any} f the parsed bench.json
 * @param {string[]} summary
 */
function benchProblem(f, summary) {
  if (f?.format !== 1 || f.board !== 'qemu-x86_64' || !Array.isArray(f.boots) || f.boots.length !== 1) return 'not one boot of qemu-x86_64 in format 1';
  const b = f.boots[0];
  if (b.status !== 'passed') return `boot ${b.status}: ${(b.problems ?? []).join('; ')}`;
  if (!b.info || b.info.quick !== true) return 'no BEGIN info with quick: true';
  const rows = Array.isArray(b.rows) ? b.rows : [];
  const groups = new Set(rows.map((/** @type {any} */ r) => (String(r.group).startsWith('cycle-') ? 'cycle-*' : r.group)));
  for (const g of ['irq', 'rtt', 'dma', 'cycle-*']) if (!groups.has(g)) return `no row in group ${g}`;
  for (const r of rows) {
    if (!['ok', 'skipped', 'error'].includes(r.status)) return `row ${r.group}/${r.variant}: status ${r.status}`;
    if (r.status === 'ok' && (!Array.isArray(r.q) || r.q.length !== 101)) return `row ${r.group}/${r.variant}: no 101 percentiles`;
  }
  if (!Array.isArray(b.targets) || b.targets.length === 0) return 'no targets';
  summary.push(`bench.json: ${rows.length} rows in ${[...groups].join(', ')}; targets: ${b.targets.map((/** @type {any} */ t) => t.verdict).join(', ')}`);
  return null;
}

/**
 * Benchmark: a functional check only. bench exits 0 and bench.json is well
 * formed with at least one row in each of the groups irq, rtt, dma and cycle-*.
 * @param {number} log the step log's descriptor
 */
async function benchCheck(log) {
  const file = `${LOGS}/bench.json`;
  const json = fs.openSync(file, 'w');
  const o = await run({ stdio: ['ignore', json, log] })`npx orchestrate bench --board qemu-x86_64 --quick --json`;
  fs.closeSync(json);
  const rc = o.exitCode ?? o.signal;
  if (fs.statSync(file).size === 0) {
    fs.writeSync(log, `bench exited ${rc} and printed nothing\n`);
    return false;
  }
  /** @type {string[]} */
  const summary = [];
  let problem;
  try {
    problem = benchProblem(readJson(file), summary);
  } catch (err) {
    problem = `not JSON: ${/** @type {Error} */ (err).message}`;
  }
  if (problem) {
    fs.writeSync(log, `bench.json: ${problem}\n`);
    return false;
  }
  fs.writeSync(log, `${summary.join('\n')}\n`);
  if (rc !== 0) {
    fs.writeSync(log, `bench exited ${rc}\n`);
    return false;
  }
  return true;
}

/**
 * The steps in their order; `full`: only in make test-full (or when named in
 * ATEMSYS_TEST_ONLY).
 * @type {{ label: string, full?: boolean, run: () => Promise<void> }[]}
 */
const STEPS = [
  { label: 'unit', run: unitTests },
  { label: 'typecheck', run: () => commandStep('typecheck', (r) => r`npx tsc --noEmit -p .`) },
  { label: 'lint', run: () => commandStep('lint', (r) => r`npm run -s lint`) },
  { label: 'format', run: () => commandStep('format', (r) => r`npm run -s format:check`) },
  { label: 'export-up-to-date', run: () => commandStep('export-up-to-date', (r) => r`npx orchestrate export --check`) },
  { label: 'checkpatch', run: () => commandStep('checkpatch', (r) => r`make -s -C src-kernel checkpatch`) },
  // W=1 + sparse against every board kernel (Debian's own configs): make
  // test-full; make test has W=1 on each of them (the smoke builds fail on a
  // warning) and W=1 + sparse on every compile-matrix cell
  { label: 'static-builds', full: true, run: () => commandStep('static-builds', (r) => r`npx orchestrate check --board all`) },
  { label: 'matrix', run: matrix },
  { label: 'ecat-unit', run: ecatUnit },
  { label: 'dkms', run: dkms },
  // a corrupt .deb in the cache is noticed (sha256 against the index) and fetched again
  { label: 'corrupt-deb-refetch', run: () => commandStep('corrupt-deb-refetch', (r) => r`scripts/corrupt-deb-check.sh`) },
  { label: 'smoke', run: smoke },
  { label: 'smoke-own', full: true, run: ownKernelLane },
  { label: 'smoke-debug', run: debugKernelLane },
  { label: 'bench-quick', run: () => step('bench-quick', benchCheck) },
  // the LAVA jobs of qemu-x86_64 and qemu-arm64 on a real LAVA server and
  // worker on this machine (make test-lava; about 8 minutes)
  { label: 'lava', full: true, run: () => commandStep('lava', (r) => r`scripts/lava-test.sh`) },
];

const only = (process.env.ATEMSYS_TEST_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const unknown = only.filter((l) => !STEPS.some((s) => s.label === l));
if (unknown.length > 0) {
  process.stderr.write(`scripts/test.mjs: ATEMSYS_TEST_ONLY: no step ${unknown.join(', ')}; the steps: ${STEPS.map((s) => s.label).join(', ')}\n`);
  process.exit(2);
}
if (only.length > 0) say(`(ATEMSYS_TEST_ONLY: ${only.join(', ')}; the other steps are skipped)`);

for (const s of STEPS) {
  if (only.length > 0 ? !only.includes(s.label) : s.full && !FULL) continue;
  await s.run();
  if (sig.signal) {
    process.stderr.write(`scripts/test.mjs: ${sig.signal}: stopped in step ${s.label}\n`);
    process.exit(signalStatus(sig.signal));
  }
}

say('');
if (failures.length > 0) say(`failed: ${failures.join(' ')} (logs in ${LOGS_SHOWN}/)`);
say(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
