/**
 * Boots a guest: spawns QEMU, streams its serial output (stdout) into
 * serial.log, stops once the end marker is seen (QEMU gets a grace period to
 * exit by itself, then is killed), kills it on the hard timeout or on
 * interruption. QEMU is always reaped before this returns.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { END_MARKER } from './initramfs.ts';

export interface GuestExit {
  code: number | null;
  signal: string | null;
}

export interface GuestProcess {
  stdout: Readable;
  stderr: Readable;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<GuestExit>;
}

export type Spawn = (binary: string, args: readonly string[]) => GuestProcess;

export interface RunGuestOptions {
  serialLog: string;
  timeoutMs: number;
  endMarker?: string;
  /** after the end marker, QEMU gets this long to exit by itself */
  afterMarkerMs?: number;
  /** SIGTERM, then SIGKILL after this long */
  killGraceMs?: number;
  echo?: (text: string) => void;
  /** each complete line of the serial output, as it comes (no line end) */
  onLine?: (line: string) => void;
  /**
   * stop the guest when a console line matches (outcome 'stalled'), after
   * `stallGraceMs` more of its output (the rest of the report): a fault of
   * the emulator the run cannot recover from (TCG_TIMER_STALL)
   */
  stallPattern?: RegExp;
  /** default 5000 */
  stallGraceMs?: number;
  signal?: AbortSignal;
}

export type GuestOutcome = 'exited' | 'marker' | 'timeout' | 'interrupted' | 'stalled';

/**
 * An idle guest CPU whose timer interrupt never comes: RCU reports its own
 * grace-period kthread's timer as not fired on that CPU (kernel
 * Documentation/RCU/stallwarn.rst, "Possible timer handling issue"; 5.10
 * has no such line and says the kthread is starved while it still sleeps,
 * state 0x402 = TASK_IDLE, in its force-quiescent-state wait: the timer
 * that ends that wait never fired). Seen under TCG (x86 q35, 5.10 and 6.12
 * kernels) now and then; the guest never recovers and would sit until the
 * hard timeout. A CPU busy in a driver gives another report
 * ("self-detected stall", ticks in the grace period), and a kthread
 * starved of CPU time is runnable (state 0x0).
 */
export const TCG_TIMER_STALL = /rcu: .*(?:Possible timer handling issue on cpu=\d+|kthread starved for \d+ jiffies!.* RCU_GP_WAIT_FQS\(\d+\) ->state=0x402 )/;

/**
 * A CPU that RCU finds in the kernel without a quiescent state for the
 * stall timeout (Documentation/RCU/stallwarn.rst, "self-detected stall").
 * A driver looping with preemption off gives it, and so, under TCG, does a
 * vCPU held inside an emulated I/O instruction (seen on qemu-x86_64 6.12
 * during the fuzzer, at the irqrestore after a port-I/O config write in
 * pci_restore_state, no soft lockup reported). It gets another boot like a
 * timer stall; one that comes back in every boot (STALL_BOOTS) fails.
 */
export const RCU_SELF_STALL = /rcu: INFO: rcu_(?:preempt|sched) self-detected stall on CPU/;

/** What smoke boots again for: TCG_TIMER_STALL or RCU_SELF_STALL. */
export const GUEST_STALL = new RegExp(`${TCG_TIMER_STALL.source}|${RCU_SELF_STALL.source}`);

/**
 * An assertion in QEMU's memory or TCG core, after which it aborts
 * (glibc's assert(): "qemu-system-…: file:line: function: Assertion `…'
 * failed."). Seen twice on qemu-x86_64: system/physmem.c iotlb_to_section
 * "section_index < d->map.sections_nb" (a vCPU's TLB and a memory map
 * update racing), once in SeaBIOS before Linux ran, once in the middle of
 * the selftests (6.12). No guest can make that core assert correctly; an
 * assertion in a device model (hw/…) can follow from what a driver gave
 * the device, and is not matched; nor is the rest of system/ (qdev-monitor.c
 * serves device_add, dma-helpers.c device models' DMA). A QEMU built from
 * source prints the path relative to its build folder (../system/…).
 */
const QEMU_CORE_ASSERTION = /^\S+: (?:\.\.\/)*(?:(?:system|softmmu)\/(?:physmem|memory)\.c|accel\/tcg\/\S+|tcg\/\S+|exec\.c):\d+: .*Assertion `.*' failed\.?$/m;

/**
 * The assertion line when QEMU aborted on an assertion of its memory or
 * TCG core (QEMU_CORE_ASSERTION), else undefined. An emulator defect: the
 * boot gets another one, like a stall, and one in every boot still fails.
 * Pure.
 */
export function emulatorAssertion(run: Pick<GuestRun, 'outcome' | 'exit' | 'stderr'>): string | undefined {
  if (run.outcome !== 'exited' || run.exit.signal !== 'SIGABRT') return undefined;
  return QEMU_CORE_ASSERTION.exec(run.stderr)?.[0].trim();
}

export interface GuestRun {
  outcome: GuestOutcome;
  exit: GuestExit;
  durationMs: number;
  markerSeen: boolean;
  /** we had to signal QEMU */
  killed: boolean;
  stderr: string;
  /** last lines of the serial output */
  tail: string[];
  /** outcome stalled: the serial line that matched stallPattern */
  stallLine?: string;
  /** human-readable problem (timeout, early exit), undefined when fine */
  problem?: string;
}

const KEEP_BYTES = 64 * 1024;

export function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\r/g, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

export function describeOutcome(run: Omit<GuestRun, 'problem'>, timeoutMs: number, serialLog: string): string | undefined {
  const tail = run.tail.map((l) => `  | ${l}`).join('\n');
  switch (run.outcome) {
    case 'stalled':
      if (run.stallLine !== undefined && RCU_SELF_STALL.test(run.stallLine)) {
        return `guest CPU stall (rcu: a CPU self-detected in the kernel without a quiescent state: a driver looping, or under TCG a vCPU held in emulated I/O) after ${Math.round(run.durationMs / 1000)} s; last ${run.tail.length} lines of ${serialLog}:\n${tail}`;
      }
      return `guest CPU timer stall (the emulator stopped delivering a CPU's timer interrupt; rcu: "Possible timer handling issue", or on 5.10 its kthread starved asleep) after ${Math.round(run.durationMs / 1000)} s; last ${run.tail.length} lines of ${serialLog}:\n${tail}`;
    case 'timeout':
      return `guest hung after ${Math.round(timeoutMs / 1000)} s; last ${run.tail.length} lines of ${serialLog}:\n${tail}`;
    case 'exited':
      return (
        `QEMU exited (${run.exit.signal ? `signal ${run.exit.signal}` : `code ${run.exit.code ?? '?'}`}) before the end marker` +
        `${run.stderr.trim() ? `; QEMU said: ${lastLines(run.stderr, 5).join(' / ')}` : ''}; last ${run.tail.length} lines of ${serialLog}:\n${tail}`
      );
    default:
      return undefined;
  }
}

export async function runGuest(spawn: Spawn, binary: string, args: readonly string[], o: RunGuestOptions): Promise<GuestRun> {
  const marker = o.endMarker ?? END_MARKER;
  const afterMarkerMs = o.afterMarkerMs ?? 10_000;
  const killGraceMs = o.killGraceMs ?? 5_000;
  await mkdir(path.dirname(o.serialLog), { recursive: true });
  const log = createWriteStream(o.serialLog);
  const start = Date.now();

  let recent = '';
  let partial = '';
  let stderr = '';
  let markerSeen = false;
  let stallSeen = false;
  let stallLine: string | undefined;
  let killed = false;
  let reason: GuestOutcome | undefined;
  const timers: NodeJS.Timeout[] = [];

  if (o.signal?.aborted) {
    log.end();
    return { outcome: 'interrupted', exit: { code: null, signal: null }, durationMs: 0, markerSeen: false, killed: false, stderr: '', tail: [] };
  }

  const proc = spawn(binary, args);
  let exitedFlag = false;
  const exited = proc.exited.then((e) => {
    exitedFlag = true;
    return e;
  });

  const stop = (why: GuestOutcome): void => {
    if (reason === undefined) reason = why;
    if (killed || exitedFlag) return;
    killed = true;
    proc.kill('SIGTERM');
    const t = setTimeout(() => {
      if (!exitedFlag) proc.kill('SIGKILL');
    }, killGraceMs);
    timers.push(t);
  };

  const stdoutDone = new Promise<void>((resolve) => {
    proc.stdout.on('data', (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      log.write(chunk);
      o.echo?.(text);
      if (o.onLine || o.stallPattern) {
        const lines = (partial + text).split('\n');
        partial = (lines.pop() ?? '').slice(-KEEP_BYTES);
        for (const l of lines) {
          o.onLine?.(l.replace(/\r$/, ''));
          if (!markerSeen && !stallSeen && o.stallPattern?.test(l)) {
            stallSeen = true;
            stallLine = l.replace(/\r$/, '');
            timers.push(setTimeout(() => stop('stalled'), o.stallGraceMs ?? 5000));
          }
        }
      }
      const scan = recent.slice(-(marker.length - 1)) + text;
      recent = (recent + text).slice(-KEEP_BYTES);
      if (!markerSeen && scan.includes(marker)) {
        markerSeen = true;
        timers.push(setTimeout(() => stop('marker'), afterMarkerMs));
      }
    });
    proc.stdout.on('end', resolve);
    proc.stdout.on('close', resolve);
    proc.stdout.on('error', () => resolve());
  });
  proc.stderr.on('data', (chunk: Buffer | string) => {
    stderr = (stderr + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).slice(-KEEP_BYTES);
  });

  timers.push(setTimeout(() => stop('timeout'), o.timeoutMs));
  const onAbort = (): void => stop('interrupted');
  o.signal?.addEventListener('abort', onAbort, { once: true });

  let exit: GuestExit;
  try {
    exit = await exited;
    // the pipe may still hold the last bytes
    await Promise.race([stdoutDone, new Promise<void>((r) => timers.push(setTimeout(r, 2000)))]);
  } finally {
    for (const t of timers) clearTimeout(t);
    o.signal?.removeEventListener('abort', onAbort);
    await new Promise<void>((r) => log.end(r));
  }

  const outcome: GuestOutcome = reason === 'interrupted' || reason === 'timeout' || reason === 'stalled' ? reason : markerSeen ? 'marker' : 'exited';
  const base = {
    outcome,
    exit,
    durationMs: Date.now() - start,
    markerSeen,
    killed,
    stderr,
    tail: lastLines(recent, 20),
    ...(reason === 'stalled' && stallLine !== undefined ? { stallLine } : {}),
  };
  const problem = describeOutcome(base, o.timeoutMs, o.serialLog);
  return problem === undefined ? base : { ...base, problem };
}

/**
 * `binary args` run so that the kernel kills it (SIGKILL) when this process
 * dies, even by SIGKILL, which no exit handler sees: util-linux setpriv
 * sets PR_SET_PDEATHSIG (prctl(2)) and execs it, so its pid is the binary's.
 */
export function orphanProof(binary: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args]];
}

/** The real spawner: QEMU through execa, stdin closed, killed with this process if it dies (orphanProof, execa cleanup). */
export const spawnProcess: Spawn = (binary, args) => {
  const [cmd, argv] = orphanProof(binary, args);
  const sub = execa(cmd, argv, {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cleanup: true,
    forceKillAfterDelay: false,
    encoding: 'buffer',
  });
  return {
    stdout: sub.stdout,
    stderr: sub.stderr,
    kill: (signal) => {
      sub.kill(signal);
    },
    exited: sub.then((r) => ({ code: typeof r.exitCode === 'number' ? r.exitCode : null, signal: r.signal ?? null })),
  };
};
