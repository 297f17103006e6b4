import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GUEST_STALL, TCG_TIMER_STALL, emulatorAssertion, lastLines, runGuest, type GuestExit, type GuestProcess, type Spawn } from '../src/guest/runner.ts';

/** A scripted stand-in for QEMU: no process is spawned. */
class FakeGuest implements GuestProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<GuestExit>;
  private resolveExit: (e: GuestExit) => void = () => undefined;
  /** how the fake reacts to a signal */
  ignore: NodeJS.Signals[] = [];
  constructor() {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (!this.ignore.includes(signal)) this.exit({ code: null, signal });
  }
  write(s: string): void {
    this.stdout.write(s);
  }
  exit(e: GuestExit): void {
    this.stdout.end();
    this.stderr.end();
    this.resolveExit(e);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runGuest', () => {
  let dir = '';
  let fake: FakeGuest;
  let spawned: { binary: string; args: readonly string[] }[];
  const spawn: Spawn = (binary, args) => {
    spawned.push({ binary, args });
    return fake;
  };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-run-'));
    fake = new FakeGuest();
    spawned = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams the serial output to the log and finishes when QEMU exits after the marker', async () => {
    const log = path.join(dir, 'serial.log');
    const echoed: string[] = [];
    const p = runGuest(spawn, 'qemu-system-x86_64', ['-m', '512'], { serialLog: log, timeoutMs: 5000, echo: (t) => echoed.push(t) });
    fake.write('KTAP version 1\r\n1..1\r\nok 1 a\r\nATEMSYS-SMO');
    await sleep(5);
    fake.write('KE-END rc=0\r\n');
    await sleep(5);
    fake.exit({ code: 0, signal: null });
    const r = await p;
    expect(spawned).toEqual([{ binary: 'qemu-system-x86_64', args: ['-m', '512'] }]);
    expect(r.outcome).toBe('marker');
    expect(r.markerSeen).toBe(true);
    expect(r.killed).toBe(false);
    expect(r.problem).toBeUndefined();
    expect(await readFile(log, 'utf8')).toBe('KTAP version 1\r\n1..1\r\nok 1 a\r\nATEMSYS-SMOKE-END rc=0\r\n');
    expect(echoed.join('')).toContain('ATEMSYS-SMOKE-END');
  });

  it('hands over each complete line as it comes, split across chunks, without CR', async () => {
    const lines: string[] = [];
    const p = runGuest(spawn, 'q', [], { serialLog: path.join(dir, 'serial.log'), timeoutMs: 5000, onLine: (l) => lines.push(l) });
    fake.write('# atemsys-hot');
    await sleep(5);
    expect(lines).toEqual([]);
    fake.write('plug: unplug 1\r\nok 1 a\r\npartial');
    // the stream hands the chunk over asynchronously: wait for it (a loaded machine takes longer than 5 ms)
    await vi.waitFor(() => expect(lines).toEqual(['# atemsys-hotplug: unplug 1', 'ok 1 a']));
    fake.exit({ code: 0, signal: null });
    await p;
  });

  it('kills QEMU that does not exit after the marker (SIGTERM, then SIGKILL)', async () => {
    fake.ignore = ['SIGTERM'];
    const p = runGuest(spawn, 'q', [], { serialLog: path.join(dir, 's.log'), timeoutMs: 5000, afterMarkerMs: 20, killGraceMs: 20 });
    fake.write('ATEMSYS-SMOKE-END rc=0\n');
    const r = await p;
    expect(fake.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(r.outcome).toBe('marker');
    expect(r.killed).toBe(true);
    expect(r.problem).toBeUndefined();
  });

  it('reports a hung guest with the last 20 lines after the hard timeout', async () => {
    const log = path.join(dir, 'serial.log');
    const p = runGuest(spawn, 'q', [], { serialLog: log, timeoutMs: 30, killGraceMs: 20 });
    fake.write(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const r = await p;
    expect(fake.signals).toEqual(['SIGTERM']);
    expect(r.outcome).toBe('timeout');
    expect(r.tail).toHaveLength(20);
    expect(r.tail[0]).toBe('line 11');
    expect(r.problem).toMatch(new RegExp(`^guest hung after 0 s; last 20 lines of ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\n  \\| line 11\n`));
  });

  it('stops a guest whose CPU timer stalled (TCG) at once, not at the hard timeout', async () => {
    const log = path.join(dir, 's.log');
    const p = runGuest(spawn, 'q', [], { serialLog: log, timeoutMs: 60_000, stallPattern: TCG_TIMER_STALL, stallGraceMs: 30 });
    fake.write('ok 19 e1000e_status\n[   27.79] rcu: \tPossible timer handling issue on cpu=0 timer-softirq=281\n');
    await sleep(5);
    expect(fake.signals).toEqual([]);
    fake.write('[   27.80] rcu: RCU grace-period kthread stack dump:\n');
    const r = await p;
    expect(fake.signals).toEqual(['SIGTERM']);
    expect(r.outcome).toBe('stalled');
    // the rest of the report, up to the stop, is in the log
    expect(await readFile(log, 'utf8')).toContain('kthread stack dump');
    expect(r.problem).toMatch(/^guest CPU timer stall/);
  });

  it('stops a guest with an RCU self-detected stall too, and says which stall it was', async () => {
    const log = path.join(dir, 'b.log');
    const p = runGuest(spawn, 'q', [], { serialLog: log, timeoutMs: 60_000, stallPattern: GUEST_STALL, stallGraceMs: 30 });
    fake.write('# 883004 of 1000000 calls\n[   69.140986] rcu: INFO: rcu_preempt self-detected stall on CPU\r\n');
    const r = await p;
    expect(r.outcome).toBe('stalled');
    expect(r.stallLine).toBe('[   69.140986] rcu: INFO: rcu_preempt self-detected stall on CPU');
    expect(r.problem).toMatch(/^guest CPU stall \(rcu: a CPU self-detected in the kernel without a quiescent state/);
    expect(GUEST_STALL.test('[ 1.0] rcu: \tPossible timer handling issue on cpu=1 timer-softirq=2')).toBe(true);
    expect(GUEST_STALL.test('rcu: INFO: rcu_sched self-detected stall on CPU')).toBe(true);
    expect(GUEST_STALL.test('rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:')).toBe(false);
  });

  it("names QEMU's own assertion when it aborted on one, and nothing else", () => {
    const stderr = "qemu-system-x86_64: warning: nic igb.0 has no peer\nqemu-system-x86_64: system/physmem.c:2678: iotlb_to_section: Assertion `section_index < d->map.sections_nb' failed.\n";
    const abort = { outcome: 'exited' as const, exit: { code: null, signal: 'SIGABRT' }, stderr };
    expect(emulatorAssertion(abort)).toBe("qemu-system-x86_64: system/physmem.c:2678: iotlb_to_section: Assertion `section_index < d->map.sections_nb' failed.");
    // killed otherwise, exited with a code, or aborted without an assertion: not QEMU's defect to retry
    expect(emulatorAssertion({ ...abort, exit: { code: null, signal: 'SIGSEGV' } })).toBeUndefined();
    expect(emulatorAssertion({ ...abort, exit: { code: 1, signal: null } })).toBeUndefined();
    expect(emulatorAssertion({ ...abort, stderr: 'qemu-system-x86_64: warning: nic igb.0 has no peer\n' })).toBeUndefined();
    expect(emulatorAssertion({ ...abort, outcome: 'timeout' })).toBeUndefined();
    // a device model's assertion can follow from what the driver gave the device: a failure, not another boot
    expect(emulatorAssertion({ ...abort, stderr: "qemu-system-x86_64: ../hw/net/e1000e_core.c:1234: e1000e_write_rx_descr: Assertion `ps_hdr_len == 0' failed.\n" })).toBeUndefined();
    expect(emulatorAssertion({ ...abort, stderr: "qemu-system-aarch64: accel/tcg/cputlb.c:1400: probe_access_internal: Assertion `flags & TLB_INVALID_MASK' failed.\n" })).toMatch(
      /^qemu-system-aarch64: accel\/tcg/,
    );
    // a QEMU built from source names its files from the build folder
    expect(emulatorAssertion({ ...abort, stderr: "qemu-system-x86_64: ../system/physmem.c:2678: iotlb_to_section: Assertion `section_index < d->map.sections_nb' failed.\n" })).toMatch(/physmem/);
    // the rest of system/ serves device models and QMP: not the memory core
    expect(emulatorAssertion({ ...abort, stderr: "qemu-system-x86_64: system/qdev-monitor.c:300: qdev_device_add: Assertion `bus' failed.\n" })).toBeUndefined();
    expect(emulatorAssertion({ ...abort, stderr: "qemu-system-x86_64: system/dma-helpers.c:120: dma_blk_cb: Assertion `dbs->acb' failed.\n" })).toBeUndefined();
  });

  it('does not take a busy CPU (self-detected stall) for a timer stall', () => {
    expect(TCG_TIMER_STALL.test('rcu: INFO: rcu_preempt self-detected stall on CPU')).toBe(false);
    expect(TCG_TIMER_STALL.test('[ 1.0] rcu: \tPossible timer handling issue on cpu=1 timer-softirq=2')).toBe(true);
    // 5.10 (the own test kernel, trixie host check): the kthread asleep (TASK_IDLE) on a timer that never fired
    expect(TCG_TIMER_STALL.test('[   52.427230] rcu: rcu_sched kthread starved for 5253 jiffies! g1525 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=0')).toBe(true);
    // starved of CPU time: runnable, not a timer stall
    expect(TCG_TIMER_STALL.test('[   52.4] rcu: rcu_sched kthread starved for 5253 jiffies! g1525 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=0')).toBe(false);
  });

  it('reports QEMU exiting before the marker, with what QEMU said', async () => {
    const p = runGuest(spawn, 'q', [], { serialLog: path.join(dir, 's.log'), timeoutMs: 5000 });
    fake.stderr.write('qemu-system-arm: -device edu: Bus not found\n');
    fake.write('booting\n');
    await sleep(5);
    fake.exit({ code: 1, signal: null });
    const r = await p;
    expect(r.outcome).toBe('exited');
    expect(r.problem).toContain('QEMU exited (code 1) before the end marker');
    expect(r.problem).toContain('Bus not found');
  });

  it('kills QEMU on interruption', async () => {
    const ac = new AbortController();
    const p = runGuest(spawn, 'q', [], { serialLog: path.join(dir, 's.log'), timeoutMs: 5000, signal: ac.signal });
    fake.write('ok 1 a\n');
    await sleep(5);
    ac.abort();
    const r = await p;
    expect(r.outcome).toBe('interrupted');
    expect(fake.signals).toEqual(['SIGTERM']);
  });

  it('does not start QEMU when already interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runGuest(spawn, 'q', [], { serialLog: path.join(dir, 's.log'), timeoutMs: 5000, signal: ac.signal });
    expect(r.outcome).toBe('interrupted');
    expect(spawned).toHaveLength(0);
  });
});

describe('lastLines', () => {
  it('drops \\r and trailing empty lines', () => {
    expect(lastLines('a\r\nb\r\nc\r\n\n', 2)).toEqual(['b', 'c']);
    expect(lastLines('', 3)).toEqual([]);
  });
});
