#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
// @ts-check
/**
 * Install test of the atemsys-dkms package: usage scripts/dkms-test.mjs
 * PATH.deb (as root, on Debian 12 or 13, amd64; scripts/test.mjs runs it
 * through `sudo node` when not root). Installs dkms and the newest amd64
 * headers of every series and flavour (generic, rt, cloud) the host's apt
 * offers, installs the package, and checks that DKMS built and installed
 * atemsys.ko for each kernel (dkms status, the module file, its vermagic and
 * version), the udev rule and the atemsys group; then purges the package
 * (also on failure and on SIGINT/SIGTERM) and checks the modules are gone.
 * Nothing is loaded into the running kernel. Runnable again at any time: the
 * headers stay installed (some pull in their kernel image).
 *
 * Output: one "ok - …" or "not ok - …" line per check, "# …" notes, and last
 * "N passed, N failed". Exit status: 0 when every check passed, 1 when one
 * failed (or a step the rest needs, or the run was interrupted: SIGINT and
 * SIGTERM go to the running apt-get, then the package is purged), 2 for
 * usage (no such .deb), not root, or a missing zx (run make setup first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileLines, lines, loadZx, runner, say } from './zx-lib.mjs';

const ME = path.relative(process.cwd(), fileURLToPath(import.meta.url)) || 'dkms-test.mjs';
const zx = await loadZx(ME);
const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = /^#define\s*ATEMSYS_VERSION_STR\s*"(.*)"/m.exec(fs.readFileSync(path.join(TOP, 'src-kernel/include/uapi/atemsys.h'), 'utf8'))?.[1] ?? '';
const PKG = 'atemsys-dkms';
const RULE = '/usr/lib/udev/rules.d/60-atemsys.rules';

const args = process.argv.slice(2);
if (args.length !== 1 || !fs.statSync(args[0] ?? '', { throwIfNoEntry: false })?.isFile()) {
  process.stderr.write(`usage: ${ME} PATH/atemsys-dkms_${VERSION}_all.deb\n`);
  process.exit(2);
}
const DEB = fs.realpathSync(/** @type {string} */ (args[0]));
if (process.getuid?.() !== 0) {
  process.stderr.write(`${ME}: must run as root\n`);
  process.exit(2);
}

process.env.DEBIAN_FRONTEND = 'noninteractive';
const APT = ['apt-get', '-q', '-y', '-o', 'DPkg::Lock::Timeout=600', '--no-install-recommends'];
const LOG = fs.mkdtempSync('/tmp/dkms-test.');
const sig = runner(zx, TOP);
const { run } = sig;
let passed = 0;
let failed = 0;
let purged = false;

/** A failed step the rest cannot go on without. */
class Bail extends Error {}
/** A SIGINT or SIGTERM: stop, purge. */
class Interrupted extends Error {}

/** @param {string} m */
function ok(m) {
  say(`ok - ${m}`);
  passed++;
}
/** @param {string} m */
function notOk(m) {
  say(`not ok - ${m}`);
  failed++;
}
/**
 * One result line for a condition.
 * @param {string} desc
 * @param {boolean} cond
 */
function check(desc, cond) {
  if (cond) ok(desc);
  else notOk(desc);
}
/** @param {string} m */
function bail(m) {
  notOk(m);
  return new Bail(m);
}
/** Stop here after a signal (the command it interrupted has ended). */
function stopIfSignalled() {
  if (sig.signal) throw new Interrupted(sig.signal);
}
function now() {
  return Date.now();
}
/** Seconds since `t`, one decimal, rounded down. @param {number} t */
function elapsed(t) {
  const d = Math.floor((now() - t) / 100);
  return `${Math.floor(d / 10)}.${d % 10}`;
}
/**
 * `CMD >LOG/NAME.log 2>&1`: its exit status (never stops on a signal: purge
 * must run to the end).
 * @param {string} name
 * @param {string[]} cmd
 */
async function logged(name, cmd) {
  const fd = fs.openSync(path.join(LOG, `${name}.log`), 'w');
  try {
    return (await run({ stdio: ['ignore', fd, fd] })`${cmd}`).exitCode;
  } finally {
    fs.closeSync(fd);
  }
}
/**
 * The log's last lines as "# " notes.
 * @param {string} name
 * @param {number} [n] all lines if not given
 */
function note(name, n) {
  const l = fileLines(path.join(LOG, `${name}.log`));
  for (const x of n === undefined ? l : l.slice(-n)) say(`# ${x}`);
}
/** Is the package installed (in any state but not-installed)? */
async function installed() {
  const o = await run()`dpkg-query -W -f=${'${db:Status-Status}'} ${PKG}`;
  return o.exitCode === 0 && lines(o.stdout).some((l) => l !== 'not-installed');
}
/** Purge the package if it is installed; false (the log shown) if that failed. */
async function purge() {
  purged = true;
  if (!(await installed())) return true;
  if ((await logged('purge', [...APT, 'purge', PKG])) === 0) return true;
  note('purge');
  return false;
}
/**
 * The module file of kernel `rel`, possibly compressed; '' if there is none.
 * @param {string} rel
 */
function moduleFile(rel) {
  for (const ext of ['', '.xz', '.zst', '.gz']) {
    const f = `/lib/modules/${rel}/updates/dkms/atemsys.ko${ext}`;
    if (fs.existsSync(f)) return f;
  }
  return '';
}
/**
 * A command's stdout and stderr, trailing newlines dropped (`$(CMD 2>&1 || true)`).
 * @param {import('zx').ProcessPromise} p
 */
async function output(p) {
  const o = await p;
  stopIfSignalled();
  return o.stdall.replace(/\n+$/, '');
}
/** Does the system group atemsys exist? */
async function hasGroup() {
  return (await run()`getent group atemsys`).exitCode === 0;
}
/**
 * Of "linux-headers-<abi>-<flavour>" names, the newest ABI per series and
 * flavour, in `sort -V` order.
 * @param {string[]} names
 */
async function newestPerSeries(names) {
  /** @param {string[]} l */
  const sortV = async (l) => lines((await run({ input: l.map((x) => `${x}\n`).join('') })`sort -V`).stdout);
  /** @type {Map<string, string>} */
  const last = new Map();
  for (const name of await sortV(names)) {
    const n = name.replace(/^linux-headers-/, '');
    const v = n.split('.');
    const flavour = n.replace(/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)-/, '');
    last.set(`${v[0]}.${v[1]} ${flavour}`, name);
  }
  return sortV([...last.values()]);
}

async function main() {
  // Start from a machine without the package (an earlier run may have been cut)
  if (await installed()) {
    say(`# ${PKG} is installed from before: purging it first`);
    if (!(await purge())) throw bail(`purge the ${PKG} left from before`);
    purged = false;
  }
  stopIfSignalled();

  // (a) dkms and the newest headers of every series and amd64 flavour the
  // host's apt offers (Debian 12: 6.1 and 6.12, generic, rt and cloud; Debian
  // 13: 6.12): DKMS must build for each
  if ((await logged('update', [...APT, 'update'])) !== 0) say('# apt-get update failed: using the package lists there are');
  stopIfSignalled();
  const search = await run()`apt-cache search --names-only ${'^linux-headers-[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-(amd64|rt-amd64|cloud-amd64)$'}`;
  stopIfSignalled();
  const headers = await newestPerSeries(lines(search.stdout).map((l) => l.split(' ')[0] ?? ''));
  if (headers.length === 0) throw bail("find installable amd64 kernel headers in the host's apt");
  const kernels = headers.map((h) => h.replace(/^linux-headers-/, ''));
  say(`# kernels: ${kernels.join(' ')}`);
  let t = now();
  const hrc = await logged('headers', [...APT, 'install', 'dkms', ...headers]);
  stopIfSignalled();
  if (hrc === 0) {
    ok(`install dkms and ${headers.length} headers packages (${elapsed(t)} s)`);
  } else {
    note('headers', 30);
    throw bail(`install dkms, ${headers.join(' ')}`);
  }

  // (b) the package: its postinst has DKMS build the module for every kernel
  t = now();
  const irc = await logged('install', [...APT, 'install', DEB]);
  stopIfSignalled();
  if (irc === 0) {
    ok(`install ${path.basename(DEB)} (${elapsed(t)} s, DKMS builds included)`);
    for (const l of fileLines(path.join(LOG, 'install.log'))) if (/^(Building (for|initial|atemsys)|Done\.|Skipped)|WARNING|Error!/.test(l)) say(`# ${l}`);
  } else {
    note('install', 40);
    throw bail(`install ${path.basename(DEB)}`);
  }

  // (c) one built and installed module per kernel
  for (const rel of kernels) {
    const status = await output(run()`dkms status -m atemsys -v ${VERSION} -k ${rel}`);
    check(`dkms status: atemsys/${VERSION} installed for ${rel}`, status.includes(': installed'));
    const ko = moduleFile(rel);
    if (ko === '') {
      notOk(`/lib/modules/${rel}/updates/dkms/atemsys.ko exists`);
      continue;
    }
    ok(`${ko} exists`);
    const vermagic = await output(run()`modinfo -F vermagic ${ko}`);
    check(`vermagic of ${rel}'s module starts with ${rel} (${vermagic})`, vermagic.split(' ')[0] === rel);
    const version = await output(run()`modinfo -F version ${ko}`);
    check(`version of ${rel}'s module is ${VERSION} (${version})`, version === VERSION);
  }
  let rule = '';
  try {
    rule = fs.readFileSync(RULE, 'utf8');
  } catch (err) {
    process.stderr.write(`${ME}: ${/** @type {Error} */ (err).message}\n`);
  }
  check(`udev rule ${RULE} gives /dev/atemsys to group atemsys`, rule.includes('GROUP="atemsys"'));
  check('system group atemsys exists', await hasGroup());
  const loaded = fs.existsSync('/proc/modules') && fileLines('/proc/modules').some((l) => l.startsWith('atemsys '));
  check(`atemsys is not loaded in the running kernel (${os.release()})`, !loaded);
  stopIfSignalled();

  // (d) purge: the package, its DKMS tree and the built modules are gone
  check(`purge ${PKG}`, await purge());
  check(`${PKG} is not installed any more`, !(await installed()));
  for (const rel of kernels) check(`no atemsys module left for ${rel}`, moduleFile(rel) === '');
  check(`DKMS tree /var/lib/dkms/atemsys and /usr/src/atemsys-${VERSION} removed`, !fs.existsSync('/var/lib/dkms/atemsys') && !fs.existsSync(`/usr/src/atemsys-${VERSION}`));
  check('system group atemsys kept after purge', await hasGroup());
}

let rc = 0;
try {
  await main();
} catch (err) {
  rc = 1;
  if (err instanceof Interrupted) notOk(`interrupted by ${err.message}`);
  else if (!(err instanceof Bail)) notOk(`unexpected error (${err instanceof Error ? err.message : String(err)})`);
}
if (!purged && !(await purge())) notOk(`purge ${PKG}`);
fs.rmSync(LOG, { recursive: true, force: true });
say(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && rc === 0 ? 0 : 1);
