/**
 * Board profiles: boards/<name>.yaml, loaded and validated. Every error names
 * the file, the line and the field: `boards/x.yaml:7: qemu.memory: expected a
 * positive integer, got "lots"`.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ARCHES, flavoursOf, isArch, type Arch } from '../debian/arch.ts';
import { ConfigError } from '../core/errors.ts';
import { hotplugSlots } from '../guest/hotplug.ts';
import { checkNetdev, deviceNetdev, forbiddenQemuArg } from '../guest/netdev.ts';
import { parseDt, type DtSpec } from './profiledt.ts';
import type { OwnKernelInput } from '../kernel/ownkernel.ts';
import { suiteNames } from '../debian/suites.ts';
import { ABI_RE } from '../debian/kernelpkgs.ts';
import { Checker, describe, formatIssues, type Entries } from './yamlcheck.ts';

export { formatIssues, type Issue } from './yamlcheck.ts';

export interface KernelSpec {
  /** Debian suite the kernel comes from (debian/facts.ts): "bookworm", "trixie", "sid", ... */
  suite: string;
  /** Debian series, "6.1" or "6.12", or "newest": the newest series the suite carries. */
  series: string;
  /** Debian flavour: amd64, arm64, armmp, rt-amd64, ... */
  flavour: string;
  /** Optional ABI pin, e.g. "6.1.0-56" or "6.12.48+deb12". */
  version?: string;
  /** A kernel the user built (suite "own"): --kernel-build and friends (kernel/ownkernel.ts). */
  own?: OwnKernelInput;
  /** Selftest groups only this kernel runs besides the board's (e.g. fuzz: once per arch, not per kernel). */
  extraGroups?: string[];
  /** The guest's hard timeout (s) for this kernel, over qemu.timeout (key timeout; smoke --timeout overrides). */
  timeout?: number;
  /** smoke --fuzz-calls: the fuzz group's calls (ATEMSYS_FUZZ_CALLS on the kernel command line) */
  fuzzCalls?: number;
  /** build/smoke --only: only these selftests run (atemsys-selftest --only) */
  only?: string[];
}

/**
 * The selftest arguments for one kernel: the board's, with the kernel's
 * extra groups added to its --group list (a board without --group runs
 * every group already), --only when the run names its tests, and a
 * --timeout grown by the slowdown. Pure.
 */
export function selftestArgsFor(boardArgs: readonly string[], extraGroups: readonly string[] = [], slowdown = 1, only: readonly string[] = []): string[] {
  const args = [...boardArgs];
  const i = args.indexOf('--group');
  if (extraGroups.length > 0 && i >= 0 && i + 1 < args.length) {
    const have = (args[i + 1] ?? '').split(',').filter(Boolean);
    args[i + 1] = [...have, ...extraGroups.filter((g) => !have.includes(g))].join(',');
  }
  if (only.length > 0) args.push('--only', only.join(','));
  if (slowdown > 1 && !args.includes('--timeout')) args.push('--timeout', String(Math.min(SELFTEST_TIMEOUT_S * slowdown, SELFTEST_TIMEOUT_MAX_S)));
  return args;
}

/** atemsys-selftest's per-test limit, s (DEFAULT_TIMEOUT_S of selftests/main.c) */
export const SELFTEST_TIMEOUT_S = 20;
/** the longest per-test limit atemsys-selftest takes (--timeout, selftests/main.c) */
export const SELFTEST_TIMEOUT_MAX_S = 3600;

/**
 * How much longer than the profile's boot this kernel's boot may take
 * (smoke --timeout over qemu.timeout, rounded up; 1 when not longer): the
 * guest's per-test limits grow by as much (a debug kernel runs several
 * times slower). Pure.
 */
export function slowdownOf(q: Pick<QemuSpec, 'timeout'> | undefined, spec: Pick<KernelSpec, 'timeout'>): number {
  if (!q || spec.timeout === undefined || spec.timeout <= q.timeout) return 1;
  return Math.ceil(spec.timeout / q.timeout);
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
  /**
   * overlay source body applied on top of the atemsys DTB for QEMU only
   * (what the emulation lacks): one for every kernel, or one per kernel
   * series from which it applies (a board's DT changes between releases):
   * qemuOverlayFor() picks
   */
  dtOverlay?: string | Readonly<Record<string, string>>;
  devices: string[];
  /**
   * `-netdev` option strings, emitted before the devices: only `hubport`
   * (e.g. "hubport,id=ll0,hubid=0"), so frames never leave the guest. Left
   * out: none.
   */
  netdevs?: string[];
  /** ids of netdevs whose traffic a smoke boot records in <out dir>/<id>.pcap (QEMU filter-dump) */
  pcap?: string[];
  /**
   * The NICs built into the machine (a SoC's MACs), in the order the
   * machine creates them: each the id of a netdev (`-net nic,netdev=<id>`)
   * or "none" (left on a hub of its own). Left out: none connected.
   */
  nics?: string[];
  /**
   * `-device` strings plugged at boot that the guest may unplug and plug
   * back over QMP (guest/hotplug.ts): each with its own id= and a bus= naming a
   * pcie-root-port of `devices` with a root-bus addr=. Left out: none.
   */
  hotplug?: string[];
  /** Extra raw QEMU arguments, appended last (never -netdev, -nic, -net or -object). */
  args: string[];
  /** Seconds for one boot, whole run. */
  timeout: number;
}

/** The `bench` section: how `orchestrate bench` boots the board. */
export interface BenchSpec {
  /** seconds for one bench boot, whole run (default: 3 × qemu.timeout) */
  timeout?: number;
  /**
   * device-tree boards: the kernel's own driver module of the MAC (fec,
   * macb), loaded in the bench boot with the stock device tree for the
   * AF_PACKET baseline; it must be in modules-available
   */
  baselineDriver?: string;
  /**
   * device-tree boards: an overlay body applied to the stock device tree of
   * that boot only (what the kernel's own driver needs under QEMU)
   */
  stockOverlay?: string;
}

/** The `lava` section: how `orchestrate lava` runs the board in a LAVA lab. */
export interface LavaSpec {
  /**
   * LAVA's device type of the real board (lava-server's
   * etc/dispatcher-config/device-types/<name>.jinja2, e.g. imx8mp-evk): a
   * U-Boot job. Left out: QEMU boards run on LAVA's `qemu` device type.
   */
  deviceType?: string;
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
  /**
   * modules of the kernel image packed (with their dependencies) into the
   * initramfs but not loaded: the guest tools load them on demand, in the
   * order /lib/modules/modules.ondemand gives. Left out: none.
   */
  modulesAvailable?: string[];
  /** `orchestrate bench` settings; left out: the defaults */
  bench?: BenchSpec;
  /** `orchestrate lava` settings; left out: the defaults */
  lava?: LavaSpec;
  selftest: { args: string[] };
  /** Absolute path of the YAML file. */
  file: string;
}

const TOP_KEYS = ['name', 'description', 'arch', 'kernels', 'qemu', 'build-only', 'dt', 'modules', 'modules-available', 'bench', 'lava', 'selftest'];
const KERNEL_KEYS = ['suite', 'series', 'flavour', 'version', 'extra-groups', 'timeout'];
const GROUP_RE = /^[a-z0-9]+$/;
const QEMU_KEYS = ['binary', 'machine', 'cpu', 'memory', 'smp', 'console', 'append', 'serial', 'shutdown', 'dt-overlay', 'devices', 'netdevs', 'pcap', 'nics', 'hotplug', 'args', 'timeout'];
const SELFTEST_KEYS = ['args'];
const BENCH_KEYS = ['timeout', 'baseline-driver', 'stock-overlay'];
const LAVA_KEYS = ['device-type'];
export const SHUTDOWNS = ['poweroff', 'reboot'] as const;
export type Shutdown = (typeof SHUTDOWNS)[number];

const SERIES_RE = /^(\d+\.\d+|newest)$/;
const SUITE_RE = new RegExp(`^(${suiteNames().join('|')})$`);
const FLAVOUR_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
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
      const suite = c.str(ke, n, kp, 'suite', { required: true, pattern: SUITE_RE, hint: `a Debian suite: ${suiteNames().join(', ')}` });
      const series = c.str(ke, n, kp, 'series', { required: true, pattern: SERIES_RE, hint: 'a Debian kernel series like "6.1", or "newest"' });
      const flavour = c.str(ke, n, kp, 'flavour', { required: true, pattern: FLAVOUR_RE, hint: 'a Debian kernel flavour like "amd64"' });
      const version = c.str(ke, n, kp, 'version', { pattern: ABI_RE, hint: 'a kernel ABI like "6.1.0-56" or "6.12.48+deb12"' });
      if (flavour !== undefined && arch !== undefined && isArch(arch) && !flavoursOf(arch).includes(flavour)) {
        c.add(ke.get('flavour')?.value, `${kp}.flavour`, `Debian builds no ${JSON.stringify(flavour)} kernel for ${arch} (debian/facts.ts): ${flavoursOf(arch).join(', ')}`);
      }
      if (suite !== undefined && series !== undefined && flavour !== undefined) {
        if (version !== undefined && (series === 'newest' || !version.startsWith(`${series}.`))) {
          c.add(ke.get('version')?.value, `${kp}.version`, `ABI ${JSON.stringify(version)} is not of series ${series}`);
        }
        const key = `${suite}/${series}/${flavour}`;
        if (seen.has(key)) {
          c.add(n, kp, `duplicate kernel ${suite} ${series} ${flavour} (also kernels[${seen.get(key) ?? 0}])`);
        }
        seen.set(key, i);
        const extra = c.strList(ke, kp, 'extra-groups');
        const badGroup = extra?.findIndex((g) => !GROUP_RE.test(g)) ?? -1;
        if (extra && badGroup >= 0) c.add(ke.get('extra-groups')?.value, `${kp}.extra-groups[${badGroup}]`, `expected a selftest group name like "fuzz", got ${JSON.stringify(extra[badGroup])}`);
        const timeout = c.posInt(ke, n, kp, 'timeout', false);
        kernels.push({
          suite,
          series,
          flavour,
          ...(version === undefined ? {} : { version }),
          ...(extra && extra.length > 0 ? { extraGroups: extra } : {}),
          ...(timeout === undefined ? {} : { timeout }),
        });
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
      const dtOverlay = dtOverlayOf(c, qe);
      if (dtOverlay !== undefined && !top.has('dt')) c.add(qe.get('dt-overlay')?.key, 'qemu.dt-overlay', 'needs a dt section (it is applied on top of the atemsys DTB)');
      const devices = c.strList(qe, 'qemu', 'devices') ?? [];
      const net = checkNetworking(c, qe, devices);
      const hotplug = c.strList(qe, 'qemu', 'hotplug');
      for (const p of hotplugSlots(devices, hotplug ?? []).problems) c.add(item(qe, 'hotplug', p.index), `qemu.hotplug[${p.index}]`, p.problem);
      const netIds = new Set((net.netdevs ?? []).map((n) => /(?:^|,)id=([^,]*)/.exec(n)?.[1]));
      hotplug?.forEach((d, i) => {
        const n = deviceNetdev(d);
        if (n !== undefined && !netIds.has(n)) c.add(item(qe, 'hotplug', i), `qemu.hotplug[${i}]`, `netdev=${n} names no entry of qemu.netdevs: add "hubport,id=${n},hubid=0" there`);
      });
      const args = c.strList(qe, 'qemu', 'args') ?? [];
      args.forEach((a, i) => {
        const why = forbiddenQemuArg(a);
        if (why !== undefined) c.add(item(qe, 'args', i), `qemu.args[${i}]`, why);
      });
      const timeout = c.posInt(qe, q, 'qemu', 'timeout', true);
      if (binary && machine && memory && console && timeout) {
        qemu = { binary, machine, memory, console, append, shutdown, devices, args, timeout };
        if (cpu !== undefined) qemu.cpu = cpu;
        if (smp !== undefined) qemu.smp = smp;
        if (serial !== undefined) qemu.serial = serial;
        if (dtOverlay !== undefined) qemu.dtOverlay = dtOverlay;
        if (net.netdevs !== undefined) qemu.netdevs = net.netdevs;
        if (net.pcap !== undefined) qemu.pcap = net.pcap;
        if (net.nics !== undefined) qemu.nics = net.nics;
        if (hotplug !== undefined) qemu.hotplug = hotplug;
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

  const modules = moduleList(c, top, 'modules', 'imx2_wdt') ?? [];
  const modulesAvailable = moduleList(c, top, 'modules-available', 'uio_pci_generic');

  // bench (optional)
  let bench: BenchSpec | undefined;
  const bEntry = top.get('bench');
  if (bEntry) {
    const b = bEntry.value;
    if (!isMap(b)) {
      c.add(b ?? bEntry.key, 'bench', `expected a mapping, got ${describe(b)}`);
    } else {
      const be = c.checkKeys(b, 'bench', BENCH_KEYS);
      const t = c.posInt(be, b, 'bench', 'timeout', false);
      const drv = c.str(be, b, 'bench', 'baseline-driver', { pattern: /^[a-z0-9_-]+$/, hint: 'a kernel module name, e.g. fec' });
      const so = c.str(be, b, 'bench', 'stock-overlay');
      if (t !== undefined || drv !== undefined || so !== undefined) {
        bench = { ...(t !== undefined ? { timeout: t } : {}), ...(drv !== undefined ? { baselineDriver: drv } : {}), ...(so !== undefined ? { stockOverlay: so } : {}) };
      }
      if (drv !== undefined && !top.has('dt')) c.add(be.get('baseline-driver')?.key, 'bench.baseline-driver', 'is for device-tree boards (the stock device tree boot); a PCI board binds its NIC driver itself');
    }
    if (!qEntry) c.add(bEntry.key, 'bench', 'needs a qemu section (bench boots the board)');
  }

  const drv = bench?.baselineDriver;
  if (drv !== undefined && !(modulesAvailable ?? []).some((m) => m.replace(/-/g, '_') === drv.replace(/-/g, '_'))) {
    c.add(top.get('bench')?.key, 'bench.baseline-driver', `${drv} must be in modules-available too: the stock boot loads it from the initramfs`);
  }

  // lava (optional)
  let lava: LavaSpec | undefined;
  const lEntry = top.get('lava');
  if (lEntry) {
    const l = lEntry.value;
    if (!isMap(l)) {
      c.add(l ?? lEntry.key, 'lava', `expected a mapping, got ${describe(l)}`);
    } else {
      const le = c.checkKeys(l, 'lava', LAVA_KEYS);
      const dtype = c.str(le, l, 'lava', 'device-type', { pattern: /^[a-z0-9][a-z0-9_.-]*$/, hint: "LAVA's device type name, e.g. imx8mp-evk" });
      if (dtype !== undefined) lava = { deviceType: dtype };
      if (dtype !== undefined && !top.has('dt')) c.add(le.get('device-type')?.key, 'lava.device-type', 'is for device-tree boards (a U-Boot job on the board); a QEMU board runs on the qemu device type');
    }
  }

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
  if (modulesAvailable !== undefined) profile.modulesAvailable = modulesAvailable;
  if (bench) profile.bench = bench;
  if (lava) profile.lava = lava;
  if (qemu) profile.qemu = qemu;
  if (buildOnly !== undefined) profile.buildOnly = buildOnly;
  if (dt) profile.dt = dt;
  return profile;
}

/** The node of item `i` of the list under `k` (for its line), else the value itself. */
function item(e: Entries, k: string, i: number): Node | null | undefined {
  const v = e.get(k)?.value;
  return isSeq(v) ? (v.items[i] as Node | null) : v;
}

/** A list of module names under `key` (no .ko suffix); each bad one is reported. */
function moduleList(c: Checker, top: Entries, key: string, example: string): string[] | undefined {
  const list = c.strList(top, '', key);
  list?.forEach((m, i) => {
    if (!MODULE_RE.test(m) || m.endsWith('.ko')) c.add(item(top, key, i), `${key}[${i}]`, `expected a module name like "${example}", got ${JSON.stringify(m)}`);
  });
  const seen = new Set<string>();
  list?.forEach((m, i) => {
    const n = m.replace(/-/g, '_');
    if (seen.has(n)) c.add(item(top, key, i), `${key}[${i}]`, `${JSON.stringify(m)} is listed twice`);
    seen.add(n);
  });
  return list;
}

/**
 * qemu.netdevs (checked with guest/netdev.ts: hubport or dgram, ids unique), the
 * netdev= of qemu.devices and the entries of qemu.nics (each must name one
 * of them, once in all), and qemu.pcap (ids of netdevs, each once).
 */
function checkNetworking(c: Checker, qe: Entries, devices: readonly string[]): { netdevs?: string[]; pcap?: string[]; nics?: string[] } {
  const out: { netdevs?: string[]; pcap?: string[]; nics?: string[] } = {};
  const netdevs = c.strList(qe, 'qemu', 'netdevs');
  const ids = new Set<string>();
  // ids of entries that are wrong for another reason: devices naming them get no second error
  const named = new Set<string>();
  netdevs?.forEach((s, i) => {
    const r = checkNetdev(s);
    const id = /(?:^|,)id=([^,]*)/.exec(s)?.[1];
    if (id !== undefined) named.add(id);
    if (!r.ok) c.add(item(qe, 'netdevs', i), `qemu.netdevs[${i}]`, r.problem);
    else if (ids.has(r.id)) c.add(item(qe, 'netdevs', i), `qemu.netdevs[${i}]`, `id ${JSON.stringify(r.id)} is used twice: give each netdev its own id`);
    else ids.add(r.id);
  });
  if (netdevs !== undefined) out.netdevs = netdevs;
  devices.forEach((d, i) => {
    const n = deviceNetdev(d);
    if (n !== undefined && !named.has(n)) {
      c.add(item(qe, 'devices', i), `qemu.devices[${i}]`, `netdev=${n} names no entry of qemu.netdevs${ids.size > 0 ? ` (ids: ${[...ids].join(', ')})` : ''}: add "hubport,id=${n},hubid=0" there`);
    }
  });
  const used = new Set(devices.map(deviceNetdev).filter((n) => n !== undefined));
  const nics = c.strList(qe, 'qemu', 'nics');
  nics?.forEach((id, i) => {
    if (id === 'none') return;
    if (!named.has(id)) c.add(item(qe, 'nics', i), `qemu.nics[${i}]`, `${JSON.stringify(id)} is not the id of an entry of qemu.netdevs${ids.size > 0 ? ` (ids: ${[...ids].join(', ')})` : ''}, nor "none" (a NIC left unconnected)`);
    else if (used.has(id)) c.add(item(qe, 'nics', i), `qemu.nics[${i}]`, `netdev ${JSON.stringify(id)} is connected to another NIC already: give each NIC its own netdev`);
    used.add(id);
  });
  if (nics !== undefined) out.nics = nics;
  const pcap = c.strList(qe, 'qemu', 'pcap');
  const seen = new Set<string>();
  pcap?.forEach((id, i) => {
    if (!named.has(id)) c.add(item(qe, 'pcap', i), `qemu.pcap[${i}]`, `${JSON.stringify(id)} is not the id of an entry of qemu.netdevs${ids.size > 0 ? ` (ids: ${[...ids].join(', ')})` : ''}`);
    else if (seen.has(id)) c.add(item(qe, 'pcap', i), `qemu.pcap[${i}]`, `${JSON.stringify(id)} is listed twice`);
    seen.add(id);
  });
  if (pcap !== undefined) out.pcap = pcap;
  return out;
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

/**
 * qemu.dt-overlay: a string, or a mapping from kernel series ("6.1",
 * "6.12") to the overlay for that series and later ones.
 */
function dtOverlayOf(c: Checker, qe: Entries): string | Record<string, string> | undefined {
  const entry = qe.get('dt-overlay');
  if (!entry) return undefined;
  const v = entry.value;
  if (!isMap(v)) return c.strValue(v as Node | null, entry.key as Node, 'qemu.dt-overlay');
  const out: Record<string, string> = {};
  for (const it of v.items) {
    const k = isScalar(it.key) ? String(it.key.value) : '';
    const fp = `qemu.dt-overlay.${k}`;
    if (!/^\d+\.\d+$/.test(k)) {
      c.add(it.key as Node, fp, `expected a kernel series like "6.12" (the overlay applies from that series on), got ${JSON.stringify(k)}`);
      continue;
    }
    const body = c.strValue(it.value as Node | null, it.key as Node, fp);
    if (body !== undefined) out[k] = body;
  }
  if (Object.keys(out).length === 0) c.add(v, 'qemu.dt-overlay', 'expected an overlay, or a mapping from kernel series to overlays');
  return out;
}

function seriesValue(s: string): number {
  const [a, b] = s.split('.').map(Number);
  return (a ?? 0) * 1000 + (b ?? 0);
}

/**
 * The QEMU overlay for a kernel of `series` ("6.12"): the string form for
 * every series, else the entry of the highest series at or below it.
 * Undefined when the profile has none; ConfigError (exit 2) when no entry
 * is old enough.
 */
export function qemuOverlayFor(q: QemuSpec | undefined, series: string): string | undefined {
  const o = q?.dtOverlay;
  if (o === undefined || typeof o === 'string') return o;
  const fit = Object.keys(o)
    .filter((k) => seriesValue(k) <= seriesValue(series))
    .sort((a, b) => seriesValue(b) - seriesValue(a))[0];
  if (fit === undefined) throw new ConfigError(`qemu.dt-overlay has no overlay for kernel series ${series} (it has ${Object.keys(o).join(', ')}): add one for ${series} or older`);
  return o[fit];
}
