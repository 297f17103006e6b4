import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGGREGATOR, compareWire, parseTsharkFields, parseWireLines, returnedSource, segmentRuns, tsharkFieldArgs, wireSummary, type Capture, type WireRun } from '../src/report/wire.ts';
import { tsharkVersion } from '../src/report/tshark.ts';

// real tshark 4.0.17 output for the pcap make-scenario.ts writes, and the matching ll-wire lines
const TSHARK = readFileSync(new URL('./fixtures/wire/scenario.tshark.txt', import.meta.url), 'utf8');
const SERIAL = readFileSync(new URL('./fixtures/wire/scenario.serial.log', import.meta.url), 'utf8');

function runs(log = SERIAL): WireRun[] {
  const w = parseWireLines(log);
  expect(w.problems).toEqual([]);
  return w.runs;
}

function capture(text = TSHARK): Capture[] {
  return [{ id: 'll0', frames: parseTsharkFields(text) }];
}

/** The fixture with one field of one frame replaced (columns as in TSHARK_FIELDS). */
function edit(frame: number, column: number, value: string): string {
  return TSHARK.split('\n')
    .map((l) => {
      const c = l.split('\t');
      if (c[0] !== String(frame)) return l;
      c[column] = value;
      return c.join('\t');
    })
    .join('\n');
}

describe('parseWireLines', () => {
  it('reads indented ll-wire diagnostics among kernel noise, with line numbers', () => {
    const rs = runs();
    expect(rs.map((r) => [r.run, r.src, r.returnedSrc, r.line])).toEqual([
      ['atemsys-poll', '50:54:00:12:34:57', '52:54:00:12:34:57', 8],
      ['packet', '50:54:00:12:34:57', '52:54:00:12:34:57', 11],
      ['malformed', '50:54:00:12:34:58', '52:54:00:12:34:58', 13],
    ]);
    expect(rs[0]).toMatchObject({ slaves: 2, sent: { BRD: 1, FPRD: 2, LRW: 4 }, wkc: { LRW: 18 }, lrw: { laddr: 0, len: 16, wkc: 6, cycles: 3 }, malformedExpected: false });
    expect(rs[2]?.malformedExpected).toBe(true);
    expect(rs[2]?.lrw).toBeUndefined();
  });

  it.each([
    ['# ll-wire {"run":"x","src":"52:54:00:12:34:57","slaves":1,"sent":{},"returned":{},"wkc":{}}', /U\/L bit/],
    ['# ll-wire {"run":"x","src":"50:54:00:12:34","slaves":1,"sent":{},"returned":{},"wkc":{}}', /src must be a MAC/],
    ['# ll-wire {"run":"x","src":"50:54:00:12:34:57","slaves":1,"sent":{"LRX":1},"returned":{},"wkc":{}}', /unknown command "LRX"/],
    ['# ll-wire {"run":"x","src":"50:54:00:12:34:57","slaves":1,"sent":{"LRW":-1},"returned":{},"wkc":{}}', /sent.LRW must be a non-negative integer/],
    ['# ll-wire {"run":"x","src":"50:54:00:12:34:57","slaves":1,"sent":{},"returned":{},"wkc":{},"lrw":{"laddr":0}}', /lrw must be/],
    ['    # ll-wire {"run":"x","src":"50:5[   3.1] oops', /serial log line 1: bad ll-wire line .*JSON/],
  ])('reports a bad line: %s', (line, msg) => {
    const w = parseWireLines(line);
    expect(w.runs).toEqual([]);
    expect(w.problems[0]).toMatch(msg);
  });

  it('computes the returned source', () => {
    expect(returnedSource('50:54:00:12:34:57')).toBe('52:54:00:12:34:57');
    expect(returnedSource('00:11:22:33:44:55')).toBe('02:11:22:33:44:55');
  });
});

describe('parseTsharkFields', () => {
  const frames = parseTsharkFields(TSHARK);

  it('asks tshark for the EtherCAT frames only, every occurrence of each field', () => {
    const a = tsharkFieldArgs('/o/ll0.pcap');
    expect(a.slice(0, 5)).toEqual(['-n', '-r', '/o/ll0.pcap', '-Y', 'eth.type == 0x88a4']);
    expect(a).toContain('occurrence=a');
    expect(a).toContain(`aggregator=${AGGREGATOR}`);
    expect(a.filter((x) => x === '-e')).toHaveLength(13);
  });

  it('decodes every datagram of a frame, addresses lined up by command kind', () => {
    expect(frames).toHaveLength(23);
    expect(frames[2]).toEqual({
      number: 3,
      src: '50:54:00:12:34:57',
      length: 0x1c,
      datagrams: [
        { cmd: 4, idx: 0, adp: 0x1001, ado: 0x130, len: 2, wkc: 0 },
        { cmd: 4, idx: 1, adp: 0x1002, ado: 0x130, len: 2, wkc: 0 },
      ],
    });
    expect(frames[7]?.datagrams).toEqual([{ cmd: 12, idx: 0, lad: 0, len: 16, wkc: 6 }]);
    // more datagrams than the dissector's ecat.subN fields go: all 12 are in ecat.cmd
    expect(frames[13]?.datagrams).toHaveLength(12);
    expect(frames[14]?.datagrams.every((d) => d.cmd === 5 && d.wkc === 1)).toBe(true);
    expect(frames.filter((f) => f.malformed !== undefined).map((f) => [f.number, f.malformed])).toEqual([[23, 'Malformed Packet (Exception occurred)']]);
  });

  it('marks a frame whose fields do not line up, and error-level expert infos', () => {
    const odd = parseTsharkFields(edit(3, 9, '0'));
    expect(odd[2]?.malformed).toMatch(/do not line up \(2 commands, 1 working counters/);
    const expert = parseTsharkFields(edit(1, 11, `6291456${AGGREGATOR}8388608`).replace(/^(1\t.*)\t$/m, `$1\tnote${AGGREGATOR}bad length`));
    expect(expert[0]?.malformed).toBe('bad length');
    const warnOnly = parseTsharkFields(edit(1, 11, '6291456'));
    expect(warnOnly[0]?.malformed).toBeUndefined();
  });
});

describe('segmentRuns', () => {
  it('splits runs that share a source by their sent datagram totals, in capture order', () => {
    const [poll, packet] = runs();
    if (!poll || !packet) throw new Error('fixture');
    const segs = segmentRuns(
      [poll, packet],
      parseTsharkFields(TSHARK).filter((f) => f.src.endsWith('12:34:57')),
    );
    expect(segs.map((s) => [s.sent.map((f) => f.number), s.returned.map((f) => f.number)])).toEqual([
      [
        [1, 3, 5, 7, 9, 11],
        [2, 4, 6, 8, 10, 12],
      ],
      [
        [14, 16, 18],
        [15, 17, 19],
      ],
    ]);
  });
});

describe('compareWire', () => {
  it('matches the fixture: counts, working counters, cyclic LRWs, the expected malformed frame', () => {
    const v = compareWire(runs(), capture());
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ ok: true, frames: 23, matched: 3, runs: 3 });
    expect(wireSummary(v, '4.0.17')).toBe('23 EtherCAT frames decoded by tshark 4.0.17, 3 of 3 runs matched');
  });

  it('reports the first per-command count that differs', () => {
    const log = SERIAL.replace('"sent":{"BRD":1,"FPRD":2,"LRW":4}', '"sent":{"BRD":1,"FPRD":3,"LRW":3}');
    const v = compareWire(runs(log), capture());
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toBe('run atemsys-poll (src 50:54:00:12:34:57, ll0.pcap): sent FPRD: tshark counted 2 datagrams, ll-wire says 3');
    expect(v.matched).toBe(2);
  });

  it('compares working-counter sums', () => {
    const v = compareWire(runs(SERIAL.replace('"wkc":{"FPWR":12,"LRW":12}', '"wkc":{"FPWR":11,"LRW":12}')), capture());
    expect(v.problems[0]).toBe('run packet (src 50:54:00:12:34:57, ll0.pcap): working counter sum of returned FPWR: tshark counted 12, ll-wire says 11');
  });

  it('names the cyclic LRW whose working counter is off', () => {
    // frame 10 comes back with wkc 4 and the master's sums agree: only the LRW check sees it
    const text = edit(10, 9, '4');
    const log = SERIAL.replace('"wkc":{"BRD":2,"FPRD":2,"LRW":18}', '"wkc":{"BRD":2,"FPRD":2,"LRW":16}');
    const v = compareWire(runs(log), capture(text));
    expect(v.problems).toEqual([
      'run atemsys-poll (src 50:54:00:12:34:57, ll0.pcap): 2 of 4 returned LRWs at 0x0 have working counter 6 (16 bytes), ll-wire says 3 cycles did; first in the cyclic phase that differs: frame 10, working counter 4',
    ]);
  });

  it('refuses malformed frames outside malformed_expected runs, and wants one inside them', () => {
    const strict = compareWire(runs(SERIAL.replace('"malformed_expected":true', '"malformed_expected":false')), capture());
    expect(strict.problems[0]).toBe('ll0.pcap frame 23 (returned to run malformed, src 52:54:00:12:34:58): tshark marks it malformed: Malformed Packet (Exception occurred)');
    const clean = TSHARK.replace(/^23\t.*$/m, '23\t52:54:00:12:34:58\t0x000e\t0x01\t0x00\t0xfffe\t0x0000\t\t2\t1\t\t\t');
    const v = compareWire(runs(SERIAL.replace('"returned":{"APRD":1},"wkc":{"APRD":1}', '"returned":{"APRD":2},"wkc":{"APRD":2}')), capture(clean));
    expect(v.problems).toEqual(['run malformed (src 50:54:00:12:34:58, ll0.pcap): malformed_expected, but tshark decoded all 4 frames of the run without a malformed mark']);
  });

  it('lets a malformed_expected run put malformed frames on the wire itself, counting only the good ones', () => {
    // frame 22: the second APRD the run sends is now the malformed one; it is not counted as sent
    const text = TSHARK.replace(/^22\t.*$/m, '22\t50:54:00:12:34:58\t0x0034\t\t\t\t\t\t\t\t[Malformed Packet: ECAT]\t8388608\tMalformed Packet (Exception occurred)');
    const log = SERIAL.replace('"sent":{"APRD":2}', '"sent":{"APRD":1}');
    expect(compareWire(runs(log), capture(text)).problems).toEqual([]);
    expect(compareWire(runs(log.replace('"malformed_expected":true', '"malformed_expected":false')), capture(text)).problems[0]).toBe(
      'll0.pcap frame 22 (sent by run malformed, src 50:54:00:12:34:58): tshark marks it malformed: Malformed Packet (Exception occurred)',
    );
  });

  it('checks frames of unknown sources for malformed marks only', () => {
    const text = `${TSHARK}24\t50:54:00:aa:bb:cc\t0x0034\t\t\t\t\t\t\t\t[Malformed Packet: ECAT]\t8388608\tMalformed Packet (Exception occurred)\n`;
    const v = compareWire(runs(), capture(text));
    expect(v.problems).toEqual(['ll0.pcap frame 24 (src 50:54:00:aa:bb:cc): tshark marks it malformed: Malformed Packet (Exception occurred)']);
    expect(v.matched).toBe(3);
  });

  it('fails a run none of whose frames were captured', () => {
    const extra = '# ll-wire {"run":"ghost","src":"00:11:22:33:44:55","slaves":0,"sent":{"BRD":1},"returned":{},"wkc":{}}\n';
    const v = compareWire(runs(SERIAL + extra), capture());
    expect(v.problems).toEqual(['run ghost (serial log line 17): no frame with source 00:11:22:33:44:55 or 02:11:22:33:44:55 in ll0.pcap']);
    expect(v.matched).toBe(3);
  });
});

describe('tsharkVersion', () => {
  it('takes the version number from the first line', () => {
    expect(tsharkVersion('TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).\n\nCopyright')).toBe('4.0.17');
    expect(tsharkVersion('odd\n')).toBe('odd');
  });
});
