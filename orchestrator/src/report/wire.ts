/**
 * Wire conformance of the EtherCAT traffic a smoke boot recorded: the
 * master's own account (`# ll-wire {json}` KTAP diagnostics in the serial
 * log, one per master run) against what Wireshark's dissector decoded from
 * the pcap (tshark `-T fields` output). Pure: parsing and comparison only;
 * report/tshark.ts runs tshark.
 *
 * A run's master sends with Ethernet source `src` (U/L bit clear); the slave
 * simulator returns each frame with that bit set. Frames of runs that share
 * a source are split in capture order: a run's sent frames until its `sent`
 * datagram total is reached, and the returned frames that follow them.
 */
import { cleanLine } from './ktap.ts';

/** EtherCAT datagram commands by code (0..14). */
export const ECAT_COMMANDS = ['NOP', 'APRD', 'APWR', 'APRW', 'FPRD', 'FPWR', 'FPRW', 'BRD', 'BWR', 'BRW', 'LRD', 'LWR', 'LRW', 'ARMW', 'FRMW'] as const;
export type EcatCommand = (typeof ECAT_COMMANDS)[number];
/** Logical commands (LRD, LWR, LRW) carry a 32-bit logical address instead of ADP/ADO. */
const LOGICAL = new Set([10, 11, 12]);
const LRW = 12;

export function commandName(code: number): string {
  return ECAT_COMMANDS[code] ?? `cmd ${code}`;
}

/** One `# ll-wire` line: what one master run says it put on the wire and got back. */
export interface WireRun {
  run: string;
  /** the master's source MAC, lower case (U/L bit clear) */
  src: string;
  /** the source of returned frames: src with the first byte | 0x02 */
  returnedSrc: string;
  slaves: number;
  /** command → datagrams */
  sent: Partial<Record<EcatCommand, number>>;
  returned: Partial<Record<EcatCommand, number>>;
  /** command → sum of the working counters of the returned datagrams */
  wkc: Partial<Record<EcatCommand, number>>;
  /** the cyclic phase: every returned LRW at `laddr` (`len` bytes) had working counter `wkc`, `cycles` of them */
  lrw?: { laddr: number; len: number; wkc: number; cycles: number };
  /**
   * the run put malformed frames on the wire on purpose (the simulator's
   * truncated answers, or frames injected by the master side): its frames
   * may be, and at least one must be, marked malformed; those are not counted
   */
  malformedExpected: boolean;
  /** 1-based line of the serial log */
  line: number;
}

const WIRE_RE = /#\s*ll-wire\s+(.*)$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function commandCounts(v: unknown, what: string): Partial<Record<EcatCommand, number>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be an object of command → count`);
  const out: Partial<Record<EcatCommand, number>> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!(ECAT_COMMANDS as readonly string[]).includes(k)) throw new Error(`${what}: unknown command ${JSON.stringify(k)} (known: ${ECAT_COMMANDS.join(' ')})`);
    if (!isCount(n)) throw new Error(`${what}.${k} must be a non-negative integer, got ${JSON.stringify(n)}`);
    out[k as EcatCommand] = n;
  }
  return out;
}

/** The source MAC of returned frames: the first byte with the U/L bit (0x02) set. */
export function returnedSource(src: string): string {
  const first = parseInt(src.slice(0, 2), 16) | 0x02;
  return `${first.toString(16).padStart(2, '0')}${src.slice(2)}`;
}

/** One ll-wire JSON object → a WireRun. Throws Error saying what is wrong. */
export function toWireRun(v: unknown, line: number): WireRun {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.run !== 'string' || o.run === '') throw new Error('run must be a non-empty string');
  const src = typeof o.src === 'string' ? o.src.toLowerCase() : '';
  if (!MAC_RE.test(src)) throw new Error(`src must be a MAC address like 50:54:00:12:34:57, got ${JSON.stringify(o.src)}`);
  if ((parseInt(src.slice(0, 2), 16) & 0x02) !== 0) throw new Error(`src ${src} has the U/L bit (0x02 of the first byte) set: returned frames could not be told from sent ones`);
  if (!isCount(o.slaves)) throw new Error(`slaves must be a non-negative integer, got ${JSON.stringify(o.slaves)}`);
  const r: WireRun = {
    run: o.run,
    src,
    returnedSrc: returnedSource(src),
    slaves: o.slaves,
    sent: commandCounts(o.sent, 'sent'),
    returned: commandCounts(o.returned, 'returned'),
    wkc: commandCounts(o.wkc, 'wkc'),
    malformedExpected: o.malformed_expected === true,
    line,
  };
  if (o.malformed_expected !== undefined && typeof o.malformed_expected !== 'boolean') throw new Error('malformed_expected must be true or false');
  if (o.lrw !== undefined && o.lrw !== null) {
    const l = o.lrw as Record<string, unknown>;
    if (typeof l !== 'object' || !isCount(l.laddr) || !isCount(l.len) || !isCount(l.wkc) || !isCount(l.cycles)) {
      throw new Error('lrw must be {"laddr":n,"len":n,"wkc":n,"cycles":n} with non-negative integers');
    }
    r.lrw = { laddr: l.laddr, len: l.len, wkc: l.wkc, cycles: l.cycles };
  }
  return r;
}

/** The `# ll-wire` lines of a serial log (any indentation). A bad line becomes a problem naming its line. */
export function parseWireLines(log: string): { runs: WireRun[]; problems: string[] } {
  const runs: WireRun[] = [];
  const problems: string[] = [];
  log.split('\n').forEach((raw, i) => {
    const m = WIRE_RE.exec(cleanLine(raw));
    if (!m) return;
    const text = (m[1] ?? '').trim();
    try {
      runs.push(toWireRun(JSON.parse(text), i + 1));
    } catch (err) {
      problems.push(`serial log line ${i + 1}: bad ll-wire line (${err instanceof Error ? err.message : String(err)}): ${text.slice(0, 120)}`);
    }
  });
  return { runs, problems };
}

/** One EtherCAT datagram as tshark decoded it. */
export interface Datagram {
  cmd: number;
  idx?: number;
  adp?: number;
  ado?: number;
  /** logical address (LRD, LWR, LRW) */
  lad?: number;
  /** data length, bytes */
  len?: number;
  /** working counter */
  wkc?: number;
}

/** One frame of EtherType 0x88A4. */
export interface EcatFrame {
  /** frame number in the pcap (1-based) */
  number: number;
  /** source MAC, lower case */
  src: string;
  /** EtherCAT header length field, bytes */
  length?: number;
  datagrams: Datagram[];
  /** why tshark marks the frame malformed (or an error-level expert info), undefined when it does not */
  malformed?: string;
}

/** The tshark fields, in this order, of `tsharkFieldArgs`. */
export const TSHARK_FIELDS = [
  'frame.number',
  'eth.src',
  'ecatf.length',
  'ecat.cmd',
  'ecat.idx',
  'ecat.adp',
  'ecat.ado',
  'ecat.lad',
  'ecat.subframe.length',
  'ecat.cnt',
  '_ws.malformed',
  '_ws.expert.severity',
  '_ws.expert.message',
] as const;

/** Separates the occurrences of one field (tshark -E aggregator=). */
export const AGGREGATOR = '\x1f';
/** Display filter: EtherCAT frames only. */
export const ECAT_FILTER = 'eth.type == 0x88a4';
/** Wireshark's PI_ERROR expert severity: this and above mark a frame as not decodable. */
export const PI_ERROR = 0x00800000;

/** tshark's arguments to print TSHARK_FIELDS of every EtherCAT frame of `pcap`, one line per frame. */
export function tsharkFieldArgs(pcap: string): string[] {
  return [
    '-n',
    '-r',
    pcap,
    '-Y',
    ECAT_FILTER,
    '-T',
    'fields',
    '-E',
    'header=n',
    '-E',
    'separator=/t',
    '-E',
    'occurrence=a',
    '-E',
    `aggregator=${AGGREGATOR}`,
    ...TSHARK_FIELDS.flatMap((f) => ['-e', f]),
  ];
}

function nums(cell: string | undefined): number[] {
  if (cell === undefined || cell === '') return [];
  return cell.split(AGGREGATOR).map((x) => Number(x));
}

/**
 * tshark `-T fields` output (tsharkFieldArgs) → frames. The datagrams of a
 * frame line up by position: ecat.cmd, ecat.idx, ecat.cnt and
 * ecat.subframe.length have one value per datagram, ecat.lad one per
 * logical datagram, ecat.adp/ado one per other datagram. A frame whose
 * lists do not line up is marked malformed with the reason.
 */
export function parseTsharkFields(text: string): EcatFrame[] {
  const frames: EcatFrame[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const c = line.replace(/\r$/, '').split('\t');
    const [number, src, length, cmd, idx, adp, ado, lad, len, cnt, malformed, severity, message] = c;
    const f: EcatFrame = { number: Number(number), src: (src ?? '').toLowerCase().split(AGGREGATOR)[0] ?? '', datagrams: [] };
    const hl = nums(length)[0];
    if (hl !== undefined) f.length = hl;
    const cmds = nums(cmd);
    const idxs = nums(idx);
    const adps = nums(adp);
    const ados = nums(ado);
    const lads = nums(lad);
    const lens = nums(len);
    const cnts = nums(cnt);
    let ai = 0;
    let li = 0;
    cmds.forEach((code, i) => {
      const d: Datagram = { cmd: code };
      const x = idxs[i];
      if (x !== undefined) d.idx = x;
      if (LOGICAL.has(code)) {
        const l = lads[li++];
        if (l !== undefined) d.lad = l;
      } else {
        const p = adps[ai];
        const o = ados[ai];
        ai++;
        if (p !== undefined) d.adp = p;
        if (o !== undefined) d.ado = o;
      }
      const n = lens[i];
      if (n !== undefined) d.len = n;
      const w = cnts[i];
      if (w !== undefined) d.wkc = w;
      f.datagrams.push(d);
    });
    const severities = nums(severity);
    const messages = (message ?? '') === '' ? [] : (message ?? '').split(AGGREGATOR);
    const errAt = severities.findIndex((s) => s >= PI_ERROR);
    if ((malformed ?? '') !== '' || errAt >= 0) {
      f.malformed = messages[errAt >= 0 ? errAt : 0] ?? 'Malformed Packet';
    } else if (cnts.length !== cmds.length || idxs.length !== cmds.length || li !== lads.length || ai !== adps.length) {
      f.malformed = `tshark's datagram fields do not line up (${cmds.length} commands, ${cnts.length} working counters, ${lads.length} logical and ${adps.length} physical addresses)`;
    }
    frames.push(f);
  }
  return frames;
}

/** The frames of one pcap (the netdev id names it in messages). */
export interface Capture {
  id: string;
  frames: EcatFrame[];
}

export interface WireVerdict {
  ok: boolean;
  /** every problem found, the first one first (empty when ok) */
  problems: string[];
  /** EtherCAT frames in all captures */
  frames: number;
  /** ll-wire runs whose counts matched in every capture that has their frames */
  matched: number;
  runs: number;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

interface Segment {
  run: WireRun;
  sent: EcatFrame[];
  returned: EcatFrame[];
}

/** Split the frames of runs sharing one source into one segment per run (capture order, see the file comment). */
export function segmentRuns(runs: readonly WireRun[], frames: readonly EcatFrame[]): Segment[] {
  const segs: Segment[] = runs.map((run) => ({ run, sent: [], returned: [] }));
  if (segs.length === 0) return segs;
  const first = runs[0];
  if (first === undefined) return segs;
  const totals = runs.map((r) => Object.values(r.sent).reduce((a, b) => a + (b ?? 0), 0));
  let at = 0;
  let acc = 0;
  let seenSent = false;
  for (const f of frames) {
    if (f.src === first.src) {
      if (at < segs.length - 1 && acc >= (totals[at] ?? 0)) {
        at++;
        acc = 0;
      }
      segs[at]?.sent.push(f);
      acc += f.datagrams.length;
      seenSent = true;
    } else if (f.src === first.returnedSrc) {
      // a returned frame belongs to the run of the last sent frame before it
      segs[seenSent ? at : 0]?.returned.push(f);
    }
  }
  return segs;
}

function countBy(frames: readonly EcatFrame[], value: (d: Datagram) => number): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of frames) for (const d of f.datagrams) m.set(d.cmd, (m.get(d.cmd) ?? 0) + value(d));
  return m;
}

/** The first difference between counted (tshark) and claimed (ll-wire) per-command numbers, undefined when equal. */
function firstDifference(what: string, unit: string, counted: Map<number, number>, claimed: Partial<Record<EcatCommand, number>>): string | undefined {
  for (let code = 0; code < 256; code++) {
    const name = commandName(code);
    const want = code < ECAT_COMMANDS.length ? (claimed[name as EcatCommand] ?? 0) : 0;
    const got = counted.get(code) ?? 0;
    if (want !== got) return `${what} ${name}: tshark counted ${fmt(got)}${unit ? ` ${unit}` : ''}, ll-wire says ${fmt(want)}`;
  }
  return undefined;
}

/** Problems of one run's segment in one capture, the first one first. */
function checkSegment(s: Segment, capture: string): string[] {
  const r = s.run;
  const where = `run ${r.run} (src ${r.src}, ${capture}.pcap)`;
  // frames malformed on purpose cannot be counted: the master (or simulator) could not parse them either
  const wellFormed = (fs: readonly EcatFrame[]): EcatFrame[] => (r.malformedExpected ? fs.filter((f) => f.malformed === undefined) : [...fs]);
  const sent = wellFormed(s.sent);
  const returned = wellFormed(s.returned);
  const out: string[] = [];
  const diffs = [
    firstDifference(
      'sent',
      'datagrams',
      countBy(sent, () => 1),
      r.sent,
    ),
    firstDifference(
      'returned',
      'datagrams',
      countBy(returned, () => 1),
      r.returned,
    ),
    firstDifference(
      'working counter sum of returned',
      '',
      countBy(returned, (d) => d.wkc ?? 0),
      r.wkc,
    ),
  ];
  for (const d of diffs) if (d !== undefined) out.push(`${where}: ${d}`);
  if (r.malformedExpected && ![...s.sent, ...s.returned].some((f) => f.malformed !== undefined)) {
    out.push(`${where}: malformed_expected, but tshark decoded all ${fmt(s.sent.length + s.returned.length)} frames of the run without a malformed mark`);
  }
  const l = r.lrw;
  if (l !== undefined) {
    const at: { frame: number; d: Datagram }[] = [];
    for (const f of returned) for (const d of f.datagrams) if (d.cmd === LRW && d.lad === l.laddr) at.push({ frame: f.number, d });
    const fits = (d: Datagram): boolean => d.wkc === l.wkc && (d.len === undefined || d.len === l.len);
    const good = at.filter((x) => fits(x.d)).length;
    if (good < l.cycles) {
      // the cyclic phase is the last `cycles` of them (start-up LRWs come first): name its first misfit
      const bad = at.slice(-l.cycles).find((x) => !fits(x.d)) ?? at.find((x) => !fits(x.d));
      const why = bad
        ? `; first in the cyclic phase that differs: frame ${bad.frame}, working counter ${bad.d.wkc ?? '?'}${bad.d.len !== undefined && bad.d.len !== l.len ? `, length ${bad.d.len}` : ''}`
        : '';
      out.push(`${where}: ${fmt(good)} of ${fmt(at.length)} returned LRWs at ${hex(l.laddr)} have working counter ${l.wkc} (${l.len} bytes), ll-wire says ${fmt(l.cycles)} cycles did${why}`);
    }
  }
  return out;
}

/**
 * Compare the ll-wire runs with the captures: malformed marks (allowed only
 * on frames of malformed_expected runs), per-command datagram
 * counts sent and returned, per-command working-counter sums, and the LRW
 * working counter of the cyclic phase. Pure.
 */
export function compareWire(runs: readonly WireRun[], captures: readonly Capture[]): WireVerdict {
  const problems: string[] = [];
  const frames = captures.reduce((a, c) => a + c.frames.length, 0);
  const bySrc = new Map<string, WireRun[]>();
  for (const r of runs) bySrc.set(r.src, [...(bySrc.get(r.src) ?? []), r]);
  const failedRuns = new Set<WireRun>();
  const seenRuns = new Set<WireRun>();
  for (const c of captures) {
    // frames whose source no ll-wire line names: only the malformed check
    const known = new Set([...bySrc.keys(), ...runs.map((r) => r.returnedSrc)]);
    for (const f of c.frames) {
      if (!known.has(f.src) && f.malformed !== undefined) problems.push(`${c.id}.pcap frame ${f.number} (src ${f.src}): tshark marks it malformed: ${f.malformed}`);
    }
    for (const [src, group] of bySrc) {
      const mine = c.frames.filter((f) => f.src === src || f.src === group[0]?.returnedSrc);
      if (mine.length === 0) continue;
      for (const s of segmentRuns(group, mine)) {
        seenRuns.add(s.run);
        const bad: string[] = [];
        if (!s.run.malformedExpected) {
          for (const f of s.sent) if (f.malformed !== undefined) bad.push(`${c.id}.pcap frame ${f.number} (sent by run ${s.run.run}, src ${f.src}): tshark marks it malformed: ${f.malformed}`);
          for (const f of s.returned) if (f.malformed !== undefined) bad.push(`${c.id}.pcap frame ${f.number} (returned to run ${s.run.run}, src ${f.src}): tshark marks it malformed: ${f.malformed}`);
        }
        bad.push(...checkSegment(s, c.id));
        if (bad.length > 0) failedRuns.add(s.run);
        problems.push(...bad);
      }
    }
  }
  for (const r of runs) {
    if (!seenRuns.has(r)) {
      problems.push(`run ${r.run} (serial log line ${r.line}): no frame with source ${r.src} or ${r.returnedSrc} in ${captures.map((c) => `${c.id}.pcap`).join(', ') || 'any capture'}`);
      failedRuns.add(r);
    }
  }
  return { ok: problems.length === 0, problems, frames, matched: runs.filter((r) => !failedRuns.has(r)).length, runs: runs.length };
}

/** The one-line diagnostic: "1,834 EtherCAT frames decoded by tshark 4.0.17, 3 runs matched". */
export function wireSummary(v: WireVerdict, tsharkVersion: string): string {
  return `${fmt(v.frames)} EtherCAT frame${v.frames === 1 ? '' : 's'} decoded by tshark ${tsharkVersion}, ${v.matched} of ${v.runs} run${v.runs === 1 ? '' : 's'} matched`;
}
