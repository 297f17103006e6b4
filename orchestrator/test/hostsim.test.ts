import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHostSim } from '../src/kernel/buildlog.ts';
import { HostSim, dgramNetdev, freeUdpPorts, hostSimArgs } from '../src/guest/hostsim.ts';
import { resolvePaths } from '../src/core/paths.ts';
import { guestEnv, hostSimProblem, netdevIds } from '../src/pipeline/pipeline.ts';

describe('the slave simulator on the host (dgram netdev)', () => {
  it('puts both ends on 127.0.0.1, crossed', () => {
    expect(dgramNetdev('ll0', { qemu: 40001, sim: 40002 })).toBe('dgram,id=ll0,local.type=inet,local.host=127.0.0.1,local.port=40001,remote.type=inet,remote.host=127.0.0.1,remote.port=40002');
    expect(hostSimArgs({ qemu: 40001, sim: 40002 })).toEqual(['sim', '--link', 'dgram', '--nic', '40002:40001', '--json']);
    expect(netdevIds(['hubport,id=ll1,hubid=0', 'dgram,id=ll0'])).toEqual([
      { id: 'll1', type: 'hubport' },
      { id: 'll0', type: 'dgram' },
    ]);
  });

  it('finds distinct free ports', async () => {
    const p = await freeUdpPorts(4);
    expect(new Set(p).size).toBe(4);
    for (const x of p) expect(x).toBeGreaterThan(0);
  });

  it('says what a simulator that ended badly printed', () => {
    expect(hostSimProblem('ll0', { exitCode: 0, json: '{}', output: 'ready:\n{}' })).toBeUndefined();
    expect(hostSimProblem('ll0', { exitCode: 3, output: 'atemsys-ecat sim: receive on 127.0.0.1:1: x\n' })).toBe(
      "the host's slave simulator on netdev ll0 ended with exit 3 and no statistics: atemsys-ecat sim: receive on 127.0.0.1:1: x",
    );
  });

  // the real tool, built for this machine as smoke builds it, answering a
  // BRD the way QEMU's dgram netdev hands it frames: one per datagram
  it('answers an EtherCAT frame from the QEMU end and reports it on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-hostsim-'));
    const paths = resolvePaths();
    const qemuEnd = createSocket('udp4');
    try {
      const bin = await buildHostSim({ toolsDir: path.join(paths.srcKernel, 'tools'), outDir: path.join(dir, 'bin'), logFile: path.join(dir, 'build.log') });
      const [qemu = 0, sim = 0] = await freeUdpPorts(2);
      await new Promise<void>((r) => qemuEnd.bind(qemu, '127.0.0.1', () => r()));
      const s = await HostSim.start(bin, { qemu, sim }, path.join(dir, 'sim.log'));
      // BRD of 2 bytes at 0x0000: Ethernet header, EtherCAT header (length
      // 14, type 1), datagram header, data, working counter
      const frame = Buffer.alloc(60);
      frame.fill(0xff, 0, 6);
      Buffer.from([0x50, 0x54, 0, 0xec, 0, 0x01]).copy(frame, 6);
      frame.writeUInt16BE(0x88a4, 12);
      frame.writeUInt16LE(14 | (1 << 12), 14);
      frame.writeUInt8(7, 16); // BRD
      frame.writeUInt8(1, 17); // index
      frame.writeUInt16LE(2, 22); // length, last datagram
      const answer = new Promise<Buffer>((r) => qemuEnd.once('message', (m) => r(m)));
      qemuEnd.send(frame, sim, '127.0.0.1');
      const a = await answer;
      expect(a.readUInt16BE(12)).toBe(0x88a4);
      expect(a.readUInt16LE(28)).toBe(2); // working counter: both slaves
      const r = await s.stop();
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.json ?? 'null')).toMatchObject({ slaves: 2, frames: 1 });
      expect(await readFile(path.join(dir, 'sim.log'), 'utf8')).toContain('ready: dgram 127.0.0.1:');
    } finally {
      qemuEnd.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('says so when the simulator cannot start (its port taken)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-hostsim-'));
    const paths = resolvePaths();
    const taken = createSocket('udp4');
    try {
      const bin = await buildHostSim({ toolsDir: path.join(paths.srcKernel, 'tools'), outDir: path.join(dir, 'bin'), logFile: path.join(dir, 'build.log') });
      const [qemu = 0, sim = 0] = await freeUdpPorts(2);
      await new Promise<void>((r) => taken.bind(sim, '127.0.0.1', () => r()));
      await expect(HostSim.start(bin, { qemu, sim }, path.join(dir, 'sim.log'))).rejects.toThrow(/exited: .*Address already in use \(another program has the local port: pick another\)/);
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the guest's environment on the kernel command line", () => {
  it('names the simulator outside, the link-control netdev, and the fuzzer calls and seed given', () => {
    expect(guestEnv({}, netdevIds(['hubport,id=n0,hubid=0']))).toEqual([]);
    expect(guestEnv({ fuzzCalls: 250000, fuzzSeed: '18446744073709551615' }, netdevIds(['dgram,id=ll0']))).toEqual([
      'ATEMSYS_LL_SIM=dgram',
      'ATEMSYS_LINK_CONTROL=ll0',
      'ATEMSYS_FUZZ_CALLS=250000',
      'ATEMSYS_FUZZ_SEED=18446744073709551615',
    ]);
  });
});
