/**
 * Board profiles: boards/<name>.yaml, loaded and validated against the schema
 * of schema.ts. Every error names the file, the line and the field:
 * `boards/x.yaml:7: qemu.memory: expected a positive integer, got "lots"`.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { Arch } from '../debian/arch.ts';
import { ConfigError } from '../core/errors.ts';
import { didYouMeanText } from '../core/suggest.ts';
import { toDtSpec, type DtSpec } from './profiledt.ts';
import type { OwnKernelInput } from '../kernel/ownkernel.ts';
import { NAME_RE, SHUTDOWNS, describeValue, overlaySeriesFor, profileSchema, type RawProfile, type RawQemu } from './schema.ts';
import { YamlChecker, formatIssues, type Issue } from './yamlcheck.ts';

export { formatIssues, type Issue } from './yamlcheck.ts';

export interface KernelSpec {
  /** Debian suite the kernel comes from (debian/suites.ts): "bookworm", "trixie", "sid", ... */
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
  /** smoke --fuzz-seed: the fuzz group's seed, decimal (ATEMSYS_FUZZ_SEED on the kernel command line) */
  fuzzSeed?: string;
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

export { SHUTDOWNS };
export type Shutdown = (typeof SHUTDOWNS)[number];

/**
 * The first line of every profile: editors that use the YAML language server
 * read boards/schema.json through it (boards/README.md).
 */
export const SCHEMA_LINE = '# yaml-language-server: $schema=./schema.json';

const SCHEMA_COMMENT = /^#\s*yaml-language-server:\s*\$schema=(\S*)\s*$/;

/**
 * The issue with a profile's `$schema` line (field `$schema`), undefined when
 * its first line is SCHEMA_LINE: missing (line 1), naming another schema
 * (its line), or not the first line (its line). Each message says how to fix
 * it. Pure.
 */
export function schemaLineIssue(text: string): Issue | undefined {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[0] === SCHEMA_LINE) return undefined;
  const at = lines.findIndex((l) => SCHEMA_COMMENT.test(l));
  const fix = `make the first line ${JSON.stringify(SCHEMA_LINE)}`;
  if (at < 0) return { line: 1, path: '$schema', message: `the first line must name the profiles' JSON Schema for editors: ${fix}` };
  const named = SCHEMA_COMMENT.exec(lines[at] ?? '')?.[1] ?? '';
  const wrong = named === './schema.json' ? '' : `names ${JSON.stringify(named)}, not "./schema.json" (boards/schema.json beside the profile); `;
  if (at === 0) return { line: 1, path: '$schema', message: wrong === '' ? `must read exactly ${JSON.stringify(SCHEMA_LINE)}` : `${wrong}${fix}` };
  return { line: at + 1, path: '$schema', message: `${wrong}must be the first line, not line ${at + 1}: ${fix} (and remove this one)` };
}

/** What parseProfile checks beyond the YAML's content. */
export interface ParseOptions {
  /**
   * The text must start with SCHEMA_LINE (schemaLineIssue): a file in boards/
   * (loadProfile sets it). Default false: a YAML snippet.
   */
  requireSchemaLine?: boolean;
}

/**
 * Parse and validate one profile. `displayFile` is used in messages, `expectedName`
 * is the file name without `.yaml`, `absFile` becomes Profile.file. Throws
 * ConfigError (exit code 2) listing every issue as `file:line: field: message`.
 */
export function parseProfile(text: string, displayFile: string, expectedName: string, absFile = displayFile, opts: ParseOptions = {}): Profile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: sameKey });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((err) => {
      const line = lc.linePos(err.pos[0]).line;
      return `${displayFile}:${line}: YAML syntax error: ${err.message.split('\n')[0] ?? err.code}`;
    });
    throw new ConfigError(msgs.join('\n'));
  }
  const c = new YamlChecker(doc, lc);
  const schemaIssue = opts.requireSchemaLine ? schemaLineIssue(text) : undefined;
  if (schemaIssue) c.issues.push(schemaIssue);
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    c.issues.push({ line: c.line(root), path: '(top level)', message: `expected a mapping, got ${describeNode(root)}` });
    throw new ConfigError(formatIssues(displayFile, c.issues));
  }
  // kernel series as dt-overlay keys may be written unquoted (6.12)
  const value = c.value([['qemu', 'dt-overlay']]);
  const r = profileSchema.safeParse(value);
  if (!r.success) c.addZodIssues(r.error.issues, value);
  const name = (value as { name?: unknown }).name;
  if (typeof name === 'string' && NAME_RE.test(name) && name !== expectedName) {
    c.issues.push({ line: c.line(root.get('name', true)), path: 'name', message: `must equal the file name "${expectedName}", got ${JSON.stringify(name)}` });
  }
  if (c.issues.length > 0 || !r.success) throw new ConfigError(formatIssues(displayFile, c.issues));
  return toProfile(r.data, absFile);
}

/**
 * The line of each overlay body's first line in a profile's text, keyed
 * as devicetree.ts profileOverlays names the fields (qemu.dt-overlay,
 * qemu.dt-overlay["6.1"], bench.stock-overlay). A block scalar (|) starts
 * on the line after its key. Pure.
 */
export function overlayLines(text: string): Map<string, number> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: sameKey });
  const out = new Map<string, number>();
  const add = (field: string, node: unknown): void => {
    if (!isScalar(node) || typeof node.value !== 'string' || node.range === undefined || node.range === null) return;
    const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    out.set(field, lc.linePos(node.range[0]).line + (block ? 1 : 0));
  };
  const q = doc.getIn(['qemu', 'dt-overlay'], true);
  if (isMap(q)) {
    for (const pair of q.items) {
      const k = pair.key;
      if (isScalar(k)) add(`qemu.dt-overlay["${typeof k.value === 'number' && typeof k.source === 'string' ? k.source : String(k.value)}"]`, pair.value);
    }
  } else add('qemu.dt-overlay', q);
  add('bench.stock-overlay', doc.getIn(['bench', 'stock-overlay'], true));
  return out;
}

/** YAML's duplicate-key test, with number keys compared as written (6.10 and 6.1 are two kernel series). */
function sameKey(a: unknown, b: unknown): boolean {
  if (!isScalar(a) || !isScalar(b)) return a === b;
  if (typeof a.value === 'number' && typeof b.value === 'number') return a.source === b.source;
  return a.value === b.value;
}

function describeNode(node: Node | null): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return describeValue(node.value);
  return node === null ? 'nothing' : 'an alias';
}

/** The profile as the YAML spells it (validated) in the shape the orchestrator takes. */
function toProfile(raw: RawProfile, file: string): Profile {
  const kernels = raw.kernels.map((k): KernelSpec => {
    const spec: KernelSpec = { suite: k.suite, series: k.series, flavour: k.flavour };
    if (k.version !== undefined) spec.version = k.version;
    const extra = k['extra-groups'];
    if (extra && extra.length > 0) spec.extraGroups = extra;
    if (k.timeout !== undefined) spec.timeout = k.timeout;
    return spec;
  });
  const profile: Profile = { name: raw.name, description: raw.description, arch: raw.arch, kernels, modules: raw.modules ?? [], selftest: { args: raw.selftest?.args ?? [] }, file };
  if (raw['modules-available'] !== undefined) profile.modulesAvailable = raw['modules-available'];
  const b = raw.bench;
  if (b && (b.timeout !== undefined || b['baseline-driver'] !== undefined || b['stock-overlay'] !== undefined)) {
    const bench: BenchSpec = {};
    if (b.timeout !== undefined) bench.timeout = b.timeout;
    if (b['baseline-driver'] !== undefined) bench.baselineDriver = b['baseline-driver'];
    if (b['stock-overlay'] !== undefined) bench.stockOverlay = b['stock-overlay'];
    profile.bench = bench;
  }
  const deviceType = raw.lava?.['device-type'];
  if (deviceType !== undefined) profile.lava = { deviceType };
  if (raw.qemu) profile.qemu = toQemu(raw.qemu);
  if (raw['build-only'] !== undefined) profile.buildOnly = raw['build-only'];
  if (raw.dt) profile.dt = toDtSpec(raw.dt);
  return profile;
}

function toQemu(q: RawQemu): QemuSpec {
  const out: QemuSpec = {
    binary: q.binary,
    machine: q.machine,
    memory: q.memory,
    console: q.console,
    append: q.append ?? '',
    shutdown: q.shutdown ?? 'poweroff',
    devices: q.devices ?? [],
    args: q.args ?? [],
    timeout: q.timeout,
  };
  if (q.cpu !== undefined) out.cpu = q.cpu;
  if (q.smp !== undefined) out.smp = q.smp;
  if (q.serial !== undefined) out.serial = q.serial;
  if (q['dt-overlay'] !== undefined) out.dtOverlay = q['dt-overlay'];
  if (q.netdevs !== undefined) out.netdevs = q.netdevs;
  if (q.pcap !== undefined) out.pcap = q.pcap;
  if (q.nics !== undefined) out.nics = q.nics;
  if (q.hotplug !== undefined) out.hotplug = q.hotplug;
  return out;
}

/**
 * Read and validate the profile `file` (a boards/<name>.yaml: its first line
 * must be SCHEMA_LINE); messages name it relative to repoRoot. Throws
 * ConfigError (exit code 2) when it cannot be read or has issues.
 */
export async function loadProfile(file: string, repoRoot: string): Promise<Profile> {
  const abs = path.resolve(file);
  const display = path.relative(repoRoot, abs) || abs;
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`${display}: cannot read board profile (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseProfile(text, display, path.basename(abs).replace(/\.ya?ml$/, ''), abs, { requireSchemaLine: true });
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
    throw new ConfigError(`unknown board "${name}"${didYouMeanText(name, known)} (known: ${known.join(', ') || 'none'}; profiles live in boards/<name>.yaml)`);
  }
  return loadProfile(file, repoRoot);
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
  const fit = overlaySeriesFor(Object.keys(o), series);
  if (fit === undefined) throw new ConfigError(`qemu.dt-overlay has no overlay for kernel series ${series} (it has ${Object.keys(o).join(', ')}): add one for ${series} or older`);
  return o[fit];
}
