/**
 * The EtherCAT slave simulator outside the guest, for a board whose SoC has
 * one MAC (the i.MX boards): its `dgram` netdev (guest/netdev.ts) becomes QEMU's
 * `-netdev dgram` between two UDP ports on 127.0.0.1, and `atemsys-ecat sim
 * --link dgram` (src-kernel/tools, built for the host) answers on the other
 * end. Each datagram is one Ethernet frame (QEMU net/dgram.c). Nothing but
 * 127.0.0.1 is ever used: the address is not configurable, here or in the
 * tool. The guest learns of it from ATEMSYS_LL_SIM=dgram on the kernel
 * command line (selftests, group ll).
 */
import { createSocket } from 'node:dgram';
import { createWriteStream } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { orphanProof } from './runner.ts';

/** The loopback address, the only one a dgram netdev uses */
export const LOOPBACK = '127.0.0.1';

/** The UDP ports of one dgram netdev: QEMU's end and the simulator's. */
export interface DgramPorts {
  qemu: number;
  sim: number;
}

/**
 * The `-netdev` string of a dgram netdev `id` between QEMU's port and the
 * simulator's, both on 127.0.0.1 (QEMU docs: "-netdev dgram").
 */
export function dgramNetdev(id: string, p: DgramPorts): string {
  return [`dgram,id=${id}`, 'local.type=inet', `local.host=${LOOPBACK}`, `local.port=${p.qemu}`, 'remote.type=inet', `remote.host=${LOOPBACK}`, `remote.port=${p.sim}`].join(',');
}

/** The simulator's command line for those ports (after the binary). */
export function hostSimArgs(p: DgramPorts): string[] {
  return ['sim', '--link', 'dgram', '--nic', `${p.sim}:${p.qemu}`, '--json'];
}

/**
 * `n` distinct UDP ports the kernel reports free on 127.0.0.1 (bound to
 * port 0 and closed; another program could take one before QEMU does, in
 * which case QEMU or the simulator fails with "address in use").
 */
export async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createSocket>>((resolve, reject) => {
          const s = createSocket('udp4');
          s.once('error', reject);
          s.bind(0, LOOPBACK, () => resolve(s));
        }),
    ),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** What the simulator said when it stopped. */
export interface HostSimResult {
  /** its exit code, null when killed by a signal */
  exitCode: number | null;
  /** its JSON statistics line, when it printed one */
  json?: string;
  /** the whole output */
  output: string;
}

/**
 * One running simulator: started before QEMU, stopped (SIGTERM, SIGKILL
 * after 5 s) after it; killed with this process if that dies (execa
 * cleanup). Its output goes to `logFile` too.
 */
export class HostSim {
  private output = '';

  private constructor(private readonly sub: ResultPromise<{ buffer: false; reject: false; cleanup: true; stdin: 'ignore'; all: true }>) {}

  /**
   * Start `bin` on `ports` and wait until it prints "ready:". Throws Error
   * with its output when it exits or stays silent for `readyMs`.
   */
  static async start(bin: string, ports: DgramPorts, logFile: string, readyMs = 10_000): Promise<HostSim> {
    const [cmd, argv] = orphanProof(bin, hostSimArgs(ports));
    const sub = execa(cmd, argv, { buffer: false, reject: false, cleanup: true, stdin: 'ignore', all: true });
    const sim = new HostSim(sub);
    const log = createWriteStream(logFile);
    let ready: () => void = () => undefined;
    const readyP = new Promise<void>((r) => (ready = r));
    sub.all.on('data', (b: Buffer) => {
      sim.output += b.toString();
      log.write(b);
      if (sim.output.includes('ready:')) ready();
    });
    sub.all.on('end', () => log.end());
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([readyP.then(() => 'ready' as const), sub.then(() => 'exited' as const), new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), readyMs)))]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      sub.kill('SIGKILL');
      await sub;
      throw new Error(
        `the host's slave simulator (${bin} ${hostSimArgs(ports).join(' ')}) ${outcome === 'exited' ? 'exited' : `printed no "ready:" within ${readyMs / 1000} s`}: ${sim.output.trim() || 'no output'}`,
      );
    }
    return sim;
  }

  /** Stop it and collect what it said. */
  async stop(): Promise<HostSimResult> {
    this.sub.kill('SIGTERM');
    const t = setTimeout(() => this.sub.kill('SIGKILL'), 5000);
    const r = await this.sub;
    clearTimeout(t);
    const json = this.output.split('\n').find((l) => l.startsWith('{'));
    return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : null, output: this.output, ...(json !== undefined ? { json } : {}) };
  }
}
