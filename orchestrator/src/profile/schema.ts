/**
 * The board profile's shape, defined once: zod validates boards/<name>.yaml
 * with it (messages worded for the file:line:field errors of profile.ts,
 * lines found by yamlcheck.ts), and `npx orchestrate export` writes it as
 * JSON Schema to boards/schema.json for editors (the
 * `# yaml-language-server: $schema=./schema.json` line of every profile).
 * Checks JSON Schema cannot say (one field against another, netdev option
 * strings) are refinements: zod runs them, the JSON Schema leaves them out.
 * Pure.
 */
import { z } from 'zod';
import { didYouMeanText } from '../core/suggest.ts';
import { ARCHES, flavoursOf, isArch } from '../debian/arch.ts';
import { ABI_RE } from '../debian/kernelpkgs.ts';
import { suiteNames } from '../debian/suites.ts';
import { hotplugSlots } from '../guest/hotplug.ts';
import { checkNetdev, deviceNetdev, forbiddenQemuArg } from '../guest/netdev.ts';

export const U32_MAX = 0xffffffff;
/** The kernel's atemsys_mac_info ident is char[32]. */
export const IDENT_MAX = 31;
export const SHUTDOWNS = ['poweroff', 'reboot'] as const;
/** Properties the overlay sets from other fields. */
export const RESERVED_PROPERTIES = [
  'compatible',
  'atemsys-Ident',
  'atemsys-Instance',
  'atemsys-phy-reset-gpios',
  'atemsys-phy-reset-duration',
  'atemsys-phy-reset-post-delay',
  'atemsys-phy-reset-active-high',
];

export const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const SERIES_RE = /^(\d+\.\d+|newest)$/;
const SUITES = suiteNames();
const FLAVOUR_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const GROUP_RE = /^[a-z0-9]+$/;
const MODULE_RE = /^[A-Za-z0-9_-]+$/;
/** a -serial backend: null, stdio, mon:stdio, pty, ... (no file paths) */
const SERIAL_RE = /^(mon:)?[a-z]+$/;
const BASE_RE = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._+,/-]+\.dtb$/;
const NODE_PATH_RE = /^(\/[A-Za-z0-9,._+-]+(@[A-Za-z0-9,._+-]+)?)+$/;
const IDENT_RE = /^[A-Za-z0-9_.-]+$/;
const PROP_NAME_RE = /^[A-Za-z0-9,._+?#-]{1,31}$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const DT_SERIES_RE = /^\d+\.\d+$/;

function seriesValue(s: string): number {
  const [a, b] = s.split('.').map(Number);
  return (a ?? 0) * 1000 + (b ?? 0);
}

/**
 * The key of a per-series qemu.dt-overlay that applies to a kernel of
 * `series` ("6.12"): the highest key at or below it; undefined when every
 * key is newer. Pure.
 */
export function overlaySeriesFor(keys: readonly string[], series: string): string | undefined {
  return keys.filter((k) => seriesValue(k) <= seriesValue(series)).sort((a, b) => seriesValue(b) - seriesValue(a))[0];
}

export function isNodePath(s: string): boolean {
  return NODE_PATH_RE.test(s);
}

/** How a YAML value reads in a message: "lots", 512, a mapping, a list, nothing. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v as number | boolean);
}

export const MISSING = 'required field is missing';

/** zod's error parameter: "required field is missing" when absent, else `msg(value)`. */
function err(msg: (input: unknown) => string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => (iss.input === undefined ? MISSING : msg(iss.input)) };
}
/**
 * The same for a check (min, regex, ...). Only the first failing check of a
 * value is reported (yamlcheck.ts keeps the first issue of a path); `abort`
 * would say so too, but it also stops the refinements of the mappings and
 * lists around the value, which check what is valid.
 */
const chk = err;

const stringExpected = (i: unknown): string => `expected a string${typeof i === 'number' ? ' (quote it)' : ''}, got ${describeValue(i)}`;

interface StrOptions {
  pattern?: RegExp;
  /** what the pattern asks for, in "expected <hint>, got ..." */
  hint?: string;
  allowEmpty?: boolean;
  maxLength?: number;
}

/** A string: non-empty unless allowEmpty, then at most maxLength, then the pattern; the first failing check is reported. */
function str(o: StrOptions = {}): z.ZodString {
  let s = z.string(err(stringExpected));
  if (!o.allowEmpty) {
    // minLength for editors where no pattern says more; blank strings are zod's alone
    if (!o.pattern)
      s = s.min(
        1,
        chk(() => 'expected a non-empty string'),
      );
    s = s.refine((v) => v.trim() !== '', { error: 'expected a non-empty string' });
  }
  if (o.maxLength !== undefined) {
    const n = o.maxLength;
    s = s.max(
      n,
      chk((i) => `expected at most ${n} characters, got ${String(i).length} (${describeValue(i)})`),
    );
  }
  const p = o.pattern;
  if (p)
    s = s.regex(
      p,
      chk((i) => `expected ${o.hint ?? `a string matching ${String(p)}`}, got ${describeValue(i)}`),
    );
  return s;
}

/** One of `values` (editors offer them): "expected <hint>, got ..." */
function oneOf<const T extends readonly string[]>(values: T, hint = `one of ${values.join(', ')}`): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(
    values,
    err((i) => {
      if (typeof i !== 'string') return stringExpected(i);
      if (i.trim() === '') return 'expected a non-empty string';
      return `expected ${hint}, got ${describeValue(i)}`;
    }),
  );
}

/** An integer in [min, max]. */
function int(min = 0, max = U32_MAX, hint = `an integer from ${min} to ${max === U32_MAX ? '0xffffffff' : max}`): z.ZodNumber {
  const m = (i: unknown): string => `expected ${hint}, got ${describeValue(i)}`;
  return z.int(err(m)).min(min, chk(m)).max(max, chk(m));
}
const u32 = (): z.ZodNumber => int();
const posInt = (): z.ZodNumber => int(1, U32_MAX, 'a positive integer');

/** A list item: a non-empty string, then the pattern. */
function item(pattern?: RegExp, hint?: (got: string) => string): z.ZodString {
  const m = (i: unknown): string => `expected a non-empty string, got ${describeValue(i)}`;
  const s = z.string(err(m)).min(1, chk(m));
  return pattern && hint
    ? s.regex(
        pattern,
        chk((i) => hint(JSON.stringify(i))),
      )
    : s;
}

function strList<T extends z.ZodType<string>>(of: T): z.ZodArray<T> {
  return z.array(
    of,
    err((i) => `expected a list of strings, got ${describeValue(i)}`),
  );
}

/** A mapping with exactly these keys (`what` names it in "expected <what>, got ..."). */
function obj<S extends z.ZodRawShape>(shape: S, what = 'a mapping'): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const hint = iss.keys.length === 1 ? didYouMeanText(iss.keys[0] ?? '', Object.keys(shape)) : '';
        return `unknown key${hint} (allowed: ${allowed})`;
      }
      return iss.input === undefined ? MISSING : `expected ${what}, got ${describeValue(iss.input)}`;
    },
  });
}

/** `value` when it passes `schema` on its own, else undefined (the refinements below check what is valid). */
function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function field(v: unknown, k: string): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
}

function has(v: unknown, k: string): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, k);
}

/**
 * A refinement's issue (every one carries these params, maybe empty: it is
 * reported beside the first issue of its path, not instead of it), and where
 * it is shown when not at its path's value: `key` = the key's line; `node` =
 * another path's node.
 */
export interface IssueAt {
  at?: 'key';
  node?: (string | number)[];
}

type Ctx = z.core.$RefinementCtx;
function issue(ctx: Ctx, path: (string | number)[], message: string, at: IssueAt = {}): void {
  ctx.addIssue({ code: 'custom', path, message, params: at });
}

/** run a refinement even when parts of the value are invalid: it checks the parts that are valid */
const ALWAYS = { when: (): boolean => true };

// ---------------------------------------------------------------- kernels

const KERNEL = {
  suite: oneOf(SUITES, `a Debian suite: ${SUITES.join(', ')}`).describe(`Debian suite the kernel comes from (orchestrator/src/debian/facts.ts; a suite newer than the host is built in a chroot)`),
  series: str({ pattern: SERIES_RE, hint: 'a Debian kernel series like "6.1", or "newest"' }).describe(
    'Debian kernel series, quoted ("6.1", "6.12"), or "newest": the newest series the suite carries',
  ),
  flavour: str({ pattern: FLAVOUR_RE, hint: 'a Debian kernel flavour like "amd64"' }).describe('Debian kernel flavour: amd64, arm64, armmp, rt-amd64, rt-arm64, ...'),
  version: str({ pattern: ABI_RE, hint: 'a kernel ABI like "6.1.0-56" or "6.12.48+deb12"' })
    .describe('Pin one kernel ABI of the series, e.g. "6.1.0-56" or "6.12.48+deb12"; left out: the newest')
    .optional(),
  'extra-groups': strList(item(GROUP_RE, (g) => `expected a selftest group name like "fuzz", got ${g}`))
    .describe("Selftest groups only this kernel runs, added to selftest.args' --group (e.g. [fuzz]: the fuzzer once per arch, not on every kernel)")
    .optional(),
  timeout: posInt().describe("This kernel's guest timeout in seconds, over qemu.timeout (smoke --timeout overrides)").optional(),
};

const kernelSchema = obj(KERNEL, 'a mapping with series and flavour').describe('One Debian kernel to build the module against and boot');

/** ABI pins of the right series, and no kernel twice (checked where suite, series and flavour are valid). */
function checkKernels(list: unknown, ctx: Ctx): void {
  if (!Array.isArray(list)) return;
  const seen = new Map<string, number>();
  list.forEach((k: unknown, i) => {
    const suite = valid(KERNEL.suite, field(k, 'suite'));
    const series = valid(KERNEL.series, field(k, 'series'));
    const flavour = valid(KERNEL.flavour, field(k, 'flavour'));
    if (suite === undefined || series === undefined || flavour === undefined) return;
    const version = valid(KERNEL.version, field(k, 'version'));
    if (version !== undefined && (series === 'newest' || !version.startsWith(`${series}.`))) {
      issue(ctx, [i, 'version'], `ABI ${JSON.stringify(version)} is not of series ${series}`);
    }
    const key = `${suite}/${series}/${flavour}`;
    const before = seen.get(key);
    if (before !== undefined) issue(ctx, [i], `duplicate kernel ${suite} ${series} ${flavour} (also kernels[${before}])`);
    seen.set(key, i);
  });
}

const kernelsMsg = (i: unknown): string => `expected a non-empty list of kernels, got ${describeValue(i)}`;
const kernelsSchema = z
  .array(kernelSchema, err(kernelsMsg))
  .min(1, chk(kernelsMsg))
  .superRefine(checkKernels, ALWAYS)
  .describe('Debian kernels the module is built against and booted with, newest ABI of each series unless pinned');

// ---------------------------------------------------------------- qemu

/** A string, or a mapping from kernel series ("6.12") to the string for that series on. */
function perSeries(doc: string): z.ZodUnion<readonly [z.ZodString, z.ZodRecord<z.ZodString, z.ZodString>]> {
  const bySeries = z
    .record(
      z.string().regex(
        DT_SERIES_RE,
        chk((k) => `expected a kernel series like "6.12" (the overlay applies from that series on), got ${JSON.stringify(k)}`),
      ),
      str(),
    )
    .refine((o) => Object.keys(o).length > 0, { error: 'expected an overlay, or a mapping from kernel series to overlays' });
  return z.union([str(), bySeries], err(stringExpected)).describe(doc);
}

const argItem = item().superRefine((a, ctx) => {
  const why = forbiddenQemuArg(a);
  if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
});

const netdevItem = item().superRefine((s, ctx) => {
  const r = checkNetdev(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
});

const serialSchema = strList(item(SERIAL_RE, (b) => `expected a -serial backend like null, stdio or mon:stdio, got ${b}`)).superRefine((serial, ctx) => {
  if (serial.every((b) => SERIAL_RE.test(b)) && serial.filter((b) => b === 'stdio' || b === 'mon:stdio').length !== 1) {
    ctx.addIssue({ code: 'custom', message: 'exactly one backend must be stdio or mon:stdio (the console the log is read from)' });
  }
});

const QEMU = {
  binary: str({ pattern: /^qemu-system-[a-z0-9_]+$/, hint: 'a qemu-system-* binary name' }).describe('The QEMU system emulator, e.g. qemu-system-aarch64'),
  machine: str().describe('-machine, e.g. virt, q35, virt,highmem=off, imx8mp-evk'),
  cpu: str().describe('-cpu, e.g. cortex-a57 or max; left out for machines with a fixed CPU (i.MX, ZynqMP)').optional(),
  memory: posInt().describe('Guest memory in MiB (-m)'),
  smp: posInt().describe("Number of guest CPUs (-smp); left out: the machine's default").optional(),
  console: str({ pattern: /^[A-Za-z0-9]+$/, hint: 'a console device like "ttyS0"' }).describe('The serial console the log is read from, e.g. ttyS0, ttyAMA0, ttymxc1'),
  append: str({ allowEmpty: true }).describe('Extra kernel command line').optional(),
  serial: serialSchema
    .describe("-serial backends in order, exactly one of them stdio or mon:stdio (the console's UART is not always the first: i.MX ttymxc1 is the second); left out: -nographic")
    .optional(),
  shutdown: oneOf(SHUTDOWNS).describe('How the guest ends: poweroff (PSCI/ACPI make QEMU exit; the default) or reboot (with -no-reboot, for machines that cannot power off)').optional(),
  'dt-overlay': perSeries(
    'QEMU only: overlay source applied on top of the atemsys DTB (what the emulation lacks); or a mapping from kernel series ("6.12") to the overlay for that series and later ones. Needs a dt section',
  ).optional(),
  devices: strList(item()).describe('-device strings, in order').optional(),
  netdevs: strList(netdevItem)
    .describe(
      "-netdev option strings, emitted before the devices: hubport,id=<id>,hubid=<n> (a port of QEMU's internal hub) or dgram,id=<id> (to the host's EtherCAT simulator on 127.0.0.1); each id once",
    )
    .optional(),
  pcap: strList(item()).describe('Ids of netdevs whose traffic a smoke boot records in <out dir>/<id>.pcap').optional(),
  nics: strList(item()).describe("The NICs built into the machine (a SoC's MACs), in the order the machine creates them: each the id of a netdev, or none (left unconnected)").optional(),
  hotplug: strList(item())
    .describe('-device strings plugged at boot that the guest may unplug and plug back over QMP: each with its own id= and a bus= naming a pcie-root-port of devices with a root-bus addr=')
    .optional(),
  args: strList(argItem).describe('Extra raw QEMU arguments, one per item, appended last (never -netdev, -nic, -net or -object)').optional(),
  timeout: posInt().describe('Seconds for one boot, the whole test run'),
};

const netdevId = (s: string): string | undefined => /(?:^|,)id=([^,]*)/.exec(s)?.[1];

/**
 * qemu.netdevs ids unique, the netdev= of qemu.devices and qemu.hotplug and
 * the entries of qemu.nics and qemu.pcap naming netdevs that exist (each NIC
 * its own, each capture once), hot-plug devices on root ports of devices.
 */
function checkQemu(q: unknown, ctx: Ctx): void {
  const list = (k: keyof typeof QEMU): string[] | undefined => valid(strList(item()), field(q, k));
  const devices = list('devices') ?? [];
  const netdevs = list('netdevs');
  const ids = new Set<string>();
  // ids of entries that are wrong for another reason: devices naming them get no second error
  const named = new Set<string>();
  netdevs?.forEach((s, i) => {
    const r = checkNetdev(s);
    const id = netdevId(s);
    if (id !== undefined) named.add(id);
    if (!r.ok) return; // reported by the item's own check
    if (ids.has(r.id)) issue(ctx, ['netdevs', i], `id ${JSON.stringify(r.id)} is used twice: give each netdev its own id`);
    else ids.add(r.id);
  });
  const idList = ids.size > 0 ? ` (ids: ${[...ids].join(', ')})` : '';
  devices.forEach((d, i) => {
    const n = deviceNetdev(d);
    if (n !== undefined && !named.has(n)) issue(ctx, ['devices', i], `netdev=${n} names no entry of qemu.netdevs${idList}: add "hubport,id=${n},hubid=0" there`);
  });
  const used = new Set(devices.map(deviceNetdev).filter((n) => n !== undefined));
  list('nics')?.forEach((id, i) => {
    if (id === 'none') return;
    if (!named.has(id)) issue(ctx, ['nics', i], `${JSON.stringify(id)} is not the id of an entry of qemu.netdevs${idList}, nor "none" (a NIC left unconnected)`);
    else if (used.has(id)) issue(ctx, ['nics', i], `netdev ${JSON.stringify(id)} is connected to another NIC already: give each NIC its own netdev`);
    used.add(id);
  });
  const seen = new Set<string>();
  list('pcap')?.forEach((id, i) => {
    if (!named.has(id)) issue(ctx, ['pcap', i], `${JSON.stringify(id)} is not the id of an entry of qemu.netdevs${idList}`);
    else if (seen.has(id)) issue(ctx, ['pcap', i], `${JSON.stringify(id)} is listed twice`);
    seen.add(id);
  });
  const hotplug = list('hotplug');
  for (const p of hotplugSlots(devices, hotplug ?? []).problems) issue(ctx, ['hotplug', p.index], p.problem);
  const netIds = new Set((netdevs ?? []).map(netdevId));
  hotplug?.forEach((d, i) => {
    const n = deviceNetdev(d);
    if (n !== undefined && !netIds.has(n)) issue(ctx, ['hotplug', i], `netdev=${n} names no entry of qemu.netdevs: add "hubport,id=${n},hubid=0" there`);
  });
}

const qemuSchema = obj(QEMU).superRefine(checkQemu, ALWAYS).describe('How the board boots in QEMU; leave out for a build-only board (then build-only says why)');

// ---------------------------------------------------------------- dt

const cellsMsg = (i: unknown): string => `expected a non-empty list of cells, got ${describeValue(i)}`;
const u32Msg = (i: unknown): string => `expected an integer from 0 to 0xffffffff, got ${describeValue(i)}`;

const gpioCell = z.union(
  [
    z.string().regex(
      NODE_PATH_RE,
      chk((i) => `expected a u32 or the absolute path of a node (its phandle), got ${describeValue(i)}`),
    ),
    u32(),
  ],
  err(u32Msg),
);

const propValue = z
  .union(
    [
      z.string().regex(
        PRINTABLE_RE,
        chk((i) => `expected printable ASCII, got ${describeValue(i)}`),
      ),
      u32(),
      z.array(u32(), err(cellsMsg)).min(1, chk(cellsMsg)),
      z.literal(true, { error: 'an overlay cannot delete a property: leave it out, or give a value' }),
    ],
    err((i) => `expected a string, a u32, a list of u32 or true, got ${describeValue(i)}`),
  )
  .describe('A string (printable ASCII), a u32, a list of u32 cells, or true (an empty property)');

const propName = z
  .string()
  .regex(
    PROP_NAME_RE,
    chk(() => 'expected a device-tree property name (1-31 of A-Z a-z 0-9 , . _ + ? # -)'),
  )
  .refine((k) => !RESERVED_PROPERTIES.includes(k), {
    error: (iss) => `set by ${String(iss.input).startsWith('atemsys-phy-reset') ? 'phy-reset' : 'ident/instance'}, not here`,
  });

const PHY_RESET = {
  gpios: z
    .array(gpioCell, err(cellsMsg))
    .min(1, chk(cellsMsg))
    .describe('Cells of atemsys-phy-reset-gpios: the GPIO controller (a u32 phandle, or its absolute node path, replaced by its phandle), the line, the flags'),
  duration: u32().describe('ms the reset is asserted (atemsys-phy-reset-duration)').optional(),
  'post-delay': u32().describe('ms to wait after releasing it (atemsys-phy-reset-post-delay)').optional(),
  'active-high': z
    .boolean(err((i) => `expected true or false, got ${describeValue(i)}`))
    .describe('atemsys-phy-reset-active-high')
    .optional(),
};

const DT_NODE = {
  path: str({ pattern: NODE_PATH_RE, hint: 'an absolute node path like "/soc/bus@2100000/ethernet@2188000"' }).describe('Absolute path of the MAC node in the base DTB'),
  ident: str({ maxLength: IDENT_MAX, pattern: IDENT_RE, hint: 'an identifier like "FslFec"' }).describe(`atemsys-Ident, e.g. FslFec or GEM (at most ${IDENT_MAX} characters)`),
  instance: u32().describe('atemsys-Instance (u32)'),
  'phy-reset': obj(PHY_RESET, 'a mapping with gpios, duration, post-delay, active-high').describe('atemsys-phy-reset-* properties (PHY_RESET)').optional(),
  properties: z
    .record(
      propName,
      propValue,
      err((i) => `expected a mapping of property names to values, got ${describeValue(i)}`),
    )
    .describe('Further properties of the node, in order: string, u32, [u32, ...] or true (empty)')
    .optional(),
};

const dtNode = obj(DT_NODE, 'a mapping with path, ident and instance').describe('One node the overlay hands to atemsys');

/** No node and no ident/instance twice (among the nodes that are valid). */
function checkDtNodes(nodes: unknown, ctx: Ctx): void {
  if (!Array.isArray(nodes)) return;
  const paths = new Map<string, number>();
  const ids = new Map<string, number>();
  nodes.forEach((n: unknown, i) => {
    const node = valid(dtNode, n);
    if (!node) return;
    const pi = paths.get(node.path);
    if (pi !== undefined) issue(ctx, [i], `node ${node.path} is already dt.nodes[${pi}]`);
    const key = `${node.ident}/${node.instance}`;
    const ii = ids.get(key);
    if (ii !== undefined) issue(ctx, [i], `${node.ident} instance ${node.instance} is already dt.nodes[${ii}]`);
    paths.set(node.path, i);
    ids.set(key, i);
  });
}

const nodesMsg = (i: unknown): string => `expected a non-empty list of nodes, got ${describeValue(i)}`;
const dtSchema = obj(
  {
    base: str({ pattern: BASE_RE, hint: 'a .dtb path relative to usr/lib/linux-image-<release>/, like "freescale/imx8mp-evk.dtb"' }).describe(
      "The kernel image's DTB the overlay applies to, relative to usr/lib/linux-image-<release>/, e.g. freescale/imx8mp-evk.dtb",
    ),
    nodes: z.array(dtNode, err(nodesMsg)).min(1, chk(nodesMsg)).superRefine(checkDtNodes, ALWAYS).describe('The MAC nodes handed to atemsys'),
  },
  'a mapping with base and nodes',
).describe('Device-tree board: the overlay that hands MAC nodes to atemsys');

// ---------------------------------------------------------------- the rest

function moduleList(example: string, doc: string): z.ZodArray<z.ZodString> {
  return strList(item(MODULE_RE, (m) => `expected a module name like "${example}", got ${m}`))
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((m, i) => {
        const n = m.replace(/-/g, '_');
        if (seen.has(n)) issue(ctx, [i], `${JSON.stringify(m)} is listed twice`);
        seen.add(n);
      });
    })
    .describe(doc);
}

const BENCH = {
  timeout: posInt().describe('Seconds for one `orchestrate bench` boot (default: 3 × qemu.timeout)').optional(),
  'baseline-driver': str({ pattern: /^[a-z0-9_-]+$/, hint: 'a kernel module name, e.g. fec' })
    .describe("Device-tree boards: the kernel's own driver module of the MAC (fec, macb), in modules-available, loaded in a second boot with the stock DTB for the AF_PACKET baseline")
    .optional(),
  'stock-overlay': str().describe("Device-tree boards: overlay source applied to the stock DTB of that second boot only (what the kernel's own driver needs under QEMU)").optional(),
};

const LAVA = {
  'device-type': str({ pattern: /^[a-z0-9][a-z0-9_.-]*$/, hint: "LAVA's device type name, e.g. imx8mp-evk" })
    .describe("Device-tree boards: LAVA's device type of the real board (a U-Boot job), e.g. imx8mp-evk; QEMU boards run on LAVA's qemu type")
    .optional(),
};

const PROFILE = {
  name: str({ pattern: NAME_RE, hint: 'a lower-case board name' }).describe('The board name: must equal the file name without .yaml'),
  description: str().describe('One line about the board'),
  arch: oneOf(ARCHES).describe('Guest architecture'),
  kernels: kernelsSchema,
  qemu: qemuSchema.optional(),
  'build-only': str().describe('Instead of qemu: why the board cannot be booted in QEMU (it is built, never booted)').optional(),
  dt: dtSchema.optional(),
  modules: moduleList('imx2_wdt', 'Modules of the kernel image loaded (with their dependencies) before atemsys, without .ko').optional(),
  'modules-available': moduleList('uio_pci_generic', 'Modules of the kernel image packed (with their dependencies) into the initramfs but not loaded: the guest tools load them on demand').optional(),
  bench: obj(BENCH).describe('`orchestrate bench` settings; left out: the defaults').optional(),
  lava: obj(LAVA).describe('`orchestrate lava` settings').optional(),
  selftest: obj({ args: strList(item()).describe('atemsys-selftest options, e.g. ["--group", "pci"]').optional() })
    .describe('How the guest runs atemsys-selftest')
    .optional(),
};

/** A per-series qemu.dt-overlay must have an entry for every numbered kernel series ("newest" is known only once the suite is read). */
function checkOverlaySeries(overlay: string | Record<string, string> | undefined, kernels: unknown, ctx: Ctx): void {
  if (overlay === undefined || typeof overlay === 'string' || !Array.isArray(kernels)) return;
  const keys = Object.keys(overlay);
  kernels.forEach((k: unknown, i) => {
    const series = valid(KERNEL.series, field(k, 'series'));
    if (series === undefined || !DT_SERIES_RE.test(series) || overlaySeriesFor(keys, series) !== undefined) return;
    issue(ctx, ['qemu', 'dt-overlay'], `has no overlay for kernels[${i}]'s series ${series} (it has ${keys.join(', ')}): add one for ${series} or older`, { at: 'key' });
  });
}

/** Fields that depend on others: qemu or build-only, dt for dt-overlay, baseline-driver and lava, qemu for bench. */
function checkProfile(p: unknown, ctx: Ctx): void {
  const arch = field(p, 'arch');
  const kernels = field(p, 'kernels');
  if (typeof arch === 'string' && isArch(arch) && Array.isArray(kernels)) {
    kernels.forEach((k: unknown, i) => {
      const flavour = valid(KERNEL.flavour, field(k, 'flavour'));
      if (flavour !== undefined && !flavoursOf(arch).includes(flavour)) {
        issue(ctx, ['kernels', i, 'flavour'], `Debian builds no ${JSON.stringify(flavour)} kernel for ${arch} (debian/facts.ts): ${flavoursOf(arch).join(', ')}`);
      }
    });
  }
  const qemu = field(p, 'qemu');
  const hasQemu = has(p, 'qemu');
  const hasDt = has(p, 'dt');
  if (hasQemu && has(p, 'build-only')) issue(ctx, ['build-only'], 'a board with a qemu section is booted: remove build-only or the qemu section', { at: 'key' });
  else if (!hasQemu && !has(p, 'build-only')) issue(ctx, ['build-only'], 'required when there is no qemu section: say why the board cannot be booted in QEMU');
  if (valid(QEMU['dt-overlay'], field(qemu, 'dt-overlay')) !== undefined && !hasDt) {
    issue(ctx, ['qemu', 'dt-overlay'], 'needs a dt section (it is applied on top of the atemsys DTB)', { at: 'key' });
  }
  checkOverlaySeries(valid(QEMU['dt-overlay'], field(qemu, 'dt-overlay')), kernels, ctx);
  const bench = field(p, 'bench');
  const drv = valid(BENCH['baseline-driver'], field(bench, 'baseline-driver'));
  if (drv !== undefined && !hasDt) issue(ctx, ['bench', 'baseline-driver'], 'is for device-tree boards (the stock device tree boot); a PCI board binds its NIC driver itself', { at: 'key' });
  if (has(p, 'bench') && !hasQemu) issue(ctx, ['bench'], 'needs a qemu section (bench boots the board)', { at: 'key' });
  const available = valid(PROFILE['modules-available'], field(p, 'modules-available')) ?? [];
  if (drv !== undefined && !available.some((m) => m.replace(/-/g, '_') === drv.replace(/-/g, '_'))) {
    issue(ctx, ['bench', 'baseline-driver'], `${drv} must be in modules-available too: the stock boot loads it from the initramfs`, { node: ['bench'], at: 'key' });
  }
  const dtype = valid(LAVA['device-type'], field(field(p, 'lava'), 'device-type'));
  if (dtype !== undefined && !hasDt) {
    issue(ctx, ['lava', 'device-type'], 'is for device-tree boards (a U-Boot job on the board); a QEMU board runs on the qemu device type', { at: 'key' });
  }
}

/** The whole profile: what boards/<name>.yaml may hold. */
export const profileSchema = obj(PROFILE).superRefine(checkProfile, ALWAYS);

/** A profile as the YAML spells it (kebab-case keys), after validation. */
export type RawProfile = z.output<typeof profileSchema>;
export type RawQemu = NonNullable<RawProfile['qemu']>;
export type RawDt = NonNullable<RawProfile['dt']>;

export const SCHEMA_FILE = 'boards/schema.json';

/** boards/schema.json: the profile schema as JSON Schema (draft-07, what yaml-language-server and most editors read). */
export function profileJsonSchema(notice: string): string {
  const schema = z.toJSONSchema(profileSchema, { target: 'draft-7', io: 'input' });
  const out = {
    $schema: schema.$schema,
    $comment: notice,
    title: 'atemsys board profile (boards/<name>.yaml)',
    description: 'One board: its Debian kernels, how QEMU boots it, its device-tree overlay. boards/README.md describes the fields; `npx orchestrate boards` validates them.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
