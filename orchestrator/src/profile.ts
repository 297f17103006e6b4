/**
 * Board profiles: boards/<name>.yaml, loaded and validated. Every error names
 * the file, the line and the field: `boards/x.yaml:7: qemu.memory: expected a
 * positive integer, got "lots"`.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { ARCHES, isArch, type Arch } from './arch.ts';
import { ConfigError } from './errors.ts';
import { parseDt, type DtSpec } from './profiledt.ts';
import { Checker, describe, formatIssues } from './yamlcheck.ts';

export { formatIssues, type Issue } from './yamlcheck.ts';

export interface KernelSpec {
  /** Debian series, "6.1" or "6.12". */
  series: string;
  /** Debian flavour: amd64, arm64, armmp, rt-amd64, ... */
  flavour: string;
  /** Optional ABI pin, e.g. "6.1.0-56" or "6.12.48+deb12". */
  version?: string;
}

export interface QemuSpec {
  binary: string;
  machine: string;
  /** left out for machines with a fixed CPU (i.MX, ZynqMP) */
  cpu?: string;
  /** MiB */
  memory: number;
  /** left out: the machine's default */
  smp?: number;
  console: string;
  append: string;
  /**
   * -serial backends in order, one of them stdio (or mon:stdio): the console's
   * UART is not always the first (i.MX: ttymxc1 is the second). Left out:
   * -nographic, which puts the first UART on stdio.
   */
  serial?: string[];
  /** how the guest ends: poweroff (PSCI/ACPI make QEMU exit) or reboot (with -no-reboot, e.g. via imx2_wdt) */
  shutdown: Shutdown;
  /** overlay source body applied on top of the atemsys DTB for QEMU only (what the emulation lacks) */
  dtOverlay?: string;
  devices: string[];
  /** Extra raw QEMU arguments, appended last. */
  args: string[];
  /** Seconds for one boot, whole run. */
  timeout: number;
}

export interface Profile {
  name: string;
  description: string;
  arch: Arch;
  kernels: KernelSpec[];
  qemu?: QemuSpec;
  /** why a board without a qemu section cannot be booted */
  buildOnly?: string;
  /** device-tree board: the overlay that hands MAC nodes to atemsys */
  dt?: DtSpec;
  /** extra modules of the kernel image, loaded (with their dependencies) before atemsys */
  modules: string[];
  selftest: { args: string[] };
  /** Absolute path of the YAML file. */
  file: string;
}

const TOP_KEYS = ['name', 'description', 'arch', 'kernels', 'qemu', 'build-only', 'dt', 'modules', 'selftest'];
const KERNEL_KEYS = ['series', 'flavour', 'version'];
const QEMU_KEYS = ['binary', 'machine', 'cpu', 'memory', 'smp', 'console', 'append', 'serial', 'shutdown', 'dt-overlay', 'devices', 'args', 'timeout'];
const SELFTEST_KEYS = ['args'];
export const SHUTDOWNS = ['poweroff', 'reboot'] as const;
export type Shutdown = (typeof SHUTDOWNS)[number];

const SERIES_RE = /^\d+\.\d+$/;
const FLAVOUR_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ABI_RE = /^\d+\.\d+\.\d+(-\d+|\+deb\d+)$/;
const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const MODULE_RE = /^[A-Za-z0-9_-]+$/;
/** a -serial backend: null, stdio, mon:stdio, pty, ... (no file paths) */
const SERIAL_RE = /^(mon:)?[a-z]+$/;

/**
 * Parse and validate one profile. `displayFile` is used in messages, `expectedName`
 * is the file name without `.yaml`. Throws ConfigError listing every issue.
 */
export function parseProfile(text: string, displayFile: string, expectedName: string, absFile = displayFile): Profile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((err) => {
      const line = lc.linePos(err.pos[0]).line;
      return `${displayFile}:${line}: YAML syntax error: ${err.message.split('\n')[0] ?? err.code}`;
    });
    throw new ConfigError(msgs.join('\n'));
  }
  const c = new Checker(lc);
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    throw new ConfigError(`${displayFile}:${c.line(root)}: (top level): expected a mapping, got ${describe(root)}`);
  }
  const top = c.checkKeys(root, '', TOP_KEYS);

  const name = c.str(top, root, '', 'name', { required: true, pattern: NAME_RE, hint: 'a lower-case board name' });
  if (name !== undefined && name !== expectedName) {
    c.add(top.get('name')?.value, 'name', `must equal the file name "${expectedName}", got ${JSON.stringify(name)}`);
  }
  const description = c.str(top, root, '', 'description', { required: true });
  const arch = c.str(top, root, '', 'arch', { required: true, oneOf: ARCHES });

  // kernels
  const kernels: KernelSpec[] = [];
  const kEntry = top.get('kernels');
  if (!kEntry) {
    c.add(root, 'kernels', 'required field is missing');
  } else if (!isSeq(kEntry.value) || kEntry.value.items.length === 0) {
    c.add(kEntry.value ?? kEntry.key, 'kernels', `expected a non-empty list of kernels, got ${describe(kEntry.value)}`);
  } else {
    const seen = new Map<string, number>();
    kEntry.value.items.forEach((item, i) => {
      const kp = `kernels[${i}]`;
      const n = item as Node | null;
      if (!isMap(n)) {
        c.add(n ?? kEntry.value, kp, `expected a mapping with series and flavour, got ${describe(n)}`);
        return;
      }
      const ke = c.checkKeys(n, kp, KERNEL_KEYS);
      const series = c.str(ke, n, kp, 'series', { required: true, pattern: SERIES_RE, hint: 'a Debian kernel series like "6.1"' });
      const flavour = c.str(ke, n, kp, 'flavour', { required: true, pattern: FLAVOUR_RE, hint: 'a Debian kernel flavour like "amd64"' });
      const version = c.str(ke, n, kp, 'version', { pattern: ABI_RE, hint: 'a kernel ABI like "6.1.0-56" or "6.12.48+deb12"' });
      if (series !== undefined && flavour !== undefined) {
        if (version !== undefined && !version.startsWith(`${series}.`)) {
          c.add(ke.get('version')?.value, `${kp}.version`, `ABI ${JSON.stringify(version)} is not of series ${series}`);
        }
        const key = `${series}/${flavour}`;
        if (seen.has(key)) {
          c.add(n, kp, `duplicate kernel ${series} ${flavour} (also kernels[${seen.get(key) ?? 0}])`);
        }
        seen.set(key, i);
        kernels.push(version === undefined ? { series, flavour } : { series, flavour, version });
      }
    });
  }

  // qemu (optional: a board without it can be built but not booted)
  let qemu: QemuSpec | undefined;
  const qEntry = top.get('qemu');
  if (qEntry) {
    const q = qEntry.value;
    if (!isMap(q)) {
      c.add(q ?? qEntry.key, 'qemu', `expected a mapping, got ${describe(q)}`);
    } else {
      const qe = c.checkKeys(q, 'qemu', QEMU_KEYS);
      const binary = c.str(qe, q, 'qemu', 'binary', { required: true, pattern: /^qemu-system-[a-z0-9_]+$/, hint: 'a qemu-system-* binary name' });
      const machine = c.str(qe, q, 'qemu', 'machine', { required: true });
      const cpu = c.str(qe, q, 'qemu', 'cpu');
      const memory = c.posInt(qe, q, 'qemu', 'memory', true);
      const smp = c.posInt(qe, q, 'qemu', 'smp', false);
      const console = c.str(qe, q, 'qemu', 'console', { required: true, pattern: /^[A-Za-z0-9]+$/, hint: 'a console device like "ttyS0"' });
      const append = c.str(qe, q, 'qemu', 'append', { allowEmpty: true }) ?? '';
      const serial = c.strList(qe, 'qemu', 'serial');
      if (serial !== undefined) {
        const bad = serial.findIndex((b) => !SERIAL_RE.test(b));
        const sEntry = qe.get('serial')?.value;
        if (bad >= 0) c.add(sEntry, `qemu.serial[${bad}]`, `expected a -serial backend like null, stdio or mon:stdio, got ${JSON.stringify(serial[bad])}`);
        else if (serial.filter((b) => b === 'stdio' || b === 'mon:stdio').length !== 1) {
          c.add(sEntry, 'qemu.serial', 'exactly one backend must be stdio or mon:stdio (the console the log is read from)');
        }
      }
      const shutdown = (c.str(qe, q, 'qemu', 'shutdown', { oneOf: SHUTDOWNS }) ?? 'poweroff') as Shutdown;
      const dtOverlay = c.str(qe, q, 'qemu', 'dt-overlay');
      if (dtOverlay !== undefined && !top.has('dt')) c.add(qe.get('dt-overlay')?.key, 'qemu.dt-overlay', 'needs a dt section (it is applied on top of the atemsys DTB)');
      const devices = c.strList(qe, 'qemu', 'devices') ?? [];
      const args = c.strList(qe, 'qemu', 'args') ?? [];
      const timeout = c.posInt(qe, q, 'qemu', 'timeout', true);
      if (binary && machine && memory && console && timeout) {
        qemu = { binary, machine, memory, console, append, shutdown, devices, args, timeout };
        if (cpu !== undefined) qemu.cpu = cpu;
        if (smp !== undefined) qemu.smp = smp;
        if (serial !== undefined) qemu.serial = serial;
        if (dtOverlay !== undefined) qemu.dtOverlay = dtOverlay;
      }
    }
  }

  // build-only: required exactly when there is no qemu section
  const buildOnly = c.str(top, root, '', 'build-only');
  if (qEntry && top.has('build-only')) {
    c.add(top.get('build-only')?.key, 'build-only', 'a board with a qemu section is booted: remove build-only or the qemu section');
  } else if (!qEntry && !top.has('build-only')) {
    c.add(root, 'build-only', 'required when there is no qemu section: say why the board cannot be booted in QEMU');
  }

  const dt = parseDt(c, top);

  const modules = c.strList(top, '', 'modules') ?? [];
  const badModule = modules.findIndex((m) => !MODULE_RE.test(m) || m.endsWith('.ko'));
  if (badModule >= 0) c.add(top.get('modules')?.value, `modules[${badModule}]`, `expected a module name like "imx2_wdt", got ${JSON.stringify(modules[badModule])}`);

  // selftest (optional)
  let selftestArgs: string[] = [];
  const sEntry = top.get('selftest');
  if (sEntry) {
    const s = sEntry.value;
    if (!isMap(s)) {
      c.add(s ?? sEntry.key, 'selftest', `expected a mapping, got ${describe(s)}`);
    } else {
      const se = c.checkKeys(s, 'selftest', SELFTEST_KEYS);
      selftestArgs = c.strList(se, 'selftest', 'args') ?? [];
    }
  }

  if (c.issues.length > 0 || name === undefined || description === undefined || arch === undefined || !isArch(arch)) {
    throw new ConfigError(formatIssues(displayFile, c.issues));
  }
  const profile: Profile = { name, description, arch, kernels, modules, selftest: { args: selftestArgs }, file: absFile };
  if (qemu) profile.qemu = qemu;
  if (buildOnly !== undefined) profile.buildOnly = buildOnly;
  if (dt) profile.dt = dt;
  return profile;
}

export async function loadProfile(file: string, repoRoot: string): Promise<Profile> {
  const abs = path.resolve(file);
  const display = path.relative(repoRoot, abs) || abs;
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`${display}: cannot read board profile (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseProfile(text, display, path.basename(abs).replace(/\.ya?ml$/, ''), abs);
}

/** All profiles in the boards directory, sorted by name. All issues of all files are reported together. */
export async function loadAllProfiles(boardsDir: string, repoRoot: string): Promise<Profile[]> {
  const names = (await readdir(boardsDir)).filter((f) => f.endsWith('.yaml')).sort();
  const profiles: Profile[] = [];
  const errors: string[] = [];
  for (const f of names) {
    try {
      profiles.push(await loadProfile(path.join(boardsDir, f), repoRoot));
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err.message);
      else throw err;
    }
  }
  if (errors.length > 0) throw new ConfigError(errors.join('\n'));
  return profiles;
}

export async function findProfile(boardsDir: string, repoRoot: string, name: string): Promise<Profile> {
  if (!NAME_RE.test(name)) throw new ConfigError(`invalid board name ${JSON.stringify(name)}`);
  const file = path.join(boardsDir, `${name}.yaml`);
  try {
    await readFile(file);
  } catch {
    const known = (await readdir(boardsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
    throw new ConfigError(`unknown board "${name}" (known: ${known.join(', ') || 'none'}; profiles live in boards/<name>.yaml)`);
  }
  return loadProfile(file, repoRoot);
}
