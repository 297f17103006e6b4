import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceProps, hotplugSlots, linkCommandFor, parseHotplugRequest, parseLinkRequest, qmpArgs, qmpCommandFor, rootBusAddress } from '../src/guest/hotplug.ts';
import { HotplugHost, QmpClient } from '../src/guest/qmp.ts';

const PORT = 'pcie-root-port,id=hp1,chassis=1,slot=1,addr=8';

describe('hot-plug ports of a profile', () => {
  it('splits a -device string', () => {
    expect(deviceProps('edu,id=x,bus=hp1,romfile')).toEqual({
      driver: 'edu',
      props: new Map([
        ['id', 'x'],
        ['bus', 'hp1'],
        ['romfile', 'on'],
      ]),
    });
  });

  it('wants a device type and an id of its own', () => {
    expect(hotplugSlots([PORT], [',id=x,bus=hp1', 'edu,id=hp1,bus=hp1', 'edu,id=a b,bus=hp1', 'edu,id=x,bus=hp1', 'edu,id=x,bus=hp1']).problems).toEqual([
      { index: 0, problem: 'expected a -device string that starts with a device type, like "edu,id=hpedu,bus=hp1", got ",id=x,bus=hp1"' },
      { index: 1, problem: 'id=hp1 is already the id of another device: give each its own' },
      { index: 2, problem: 'id=a b: QEMU ids are a letter followed by letters, digits, "-", "." or "_"' },
      { index: 4, problem: 'id=x is already the id of another device: give each its own' },
    ]);
  });

  it('names a root-bus addr= as the guest does', () => {
    expect(['8', '0x8', '08.0', '1f.7', '1a'].map(rootBusAddress)).toEqual(['0000:00:08.0', '0000:00:08.0', '0000:00:08.0', '0000:00:1f.7', '0000:00:1a.0']);
    expect(['20', '8.8', 'x', ''].map(rootBusAddress)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('finds the port the device sits on by its address', () => {
    expect(hotplugSlots(['e1000e', PORT], ['edu,id=hpedu,bus=hp1'])).toEqual({ slots: [{ port: '0000:00:08.0', id: 'hpedu', device: 'edu,id=hpedu,bus=hp1' }], problems: [] });
  });

  it('says how to fix each wrong entry', () => {
    const r = hotplugSlots([PORT, 'pcie-root-port,id=hp2,chassis=2'], ['edu,bus=hp1', 'edu,id=a', 'edu,id=b,bus=hp9', 'edu,id=c,bus=hp2', 'edu,id=d,bus=hp1', 'edu,id=e,bus=hp1']);
    expect(r.slots.map((s) => s.id)).toEqual(['d']);
    expect(r.problems).toEqual([
      { index: 0, problem: 'needs an id= (QMP device_del names the device by it)' },
      { index: 1, problem: 'needs a bus= naming a pcie-root-port of qemu.devices' },
      { index: 2, problem: 'bus=hp9 is not the id of a pcie-root-port in qemu.devices: add one, e.g. "pcie-root-port,id=hp9,chassis=<unused n>,slot=<unused n>,addr=<a free slot on bus 0>"' },
      { index: 3, problem: 'the pcie-root-port hp2 needs an addr= on the root bus (e.g. addr=8): the guest names the port by its address' },
      { index: 5, problem: 'the pcie-root-port hp1 already holds another qemu.hotplug device' },
    ]);
  });
});

describe('the guest asks, the host answers', () => {
  const slots = hotplugSlots([PORT], ['edu,id=hpedu,bus=hp1']).slots;

  it('reads a request from a console line, among kernel noise', () => {
    expect(parseHotplugRequest('# atemsys-hotplug: unplug 0000:00:08.0')).toEqual({ action: 'unplug', port: '0000:00:08.0' });
    expect(parseHotplugRequest('[  3.1] pcieport 0000:00:08.0: x # atemsys-hotplug: plug 0000:00:08.0\r')).toEqual({ action: 'plug', port: '0000:00:08.0' });
    expect(parseHotplugRequest('ok 24 hot_unplug_qmp')).toBeUndefined();
  });

  it('unplugs by id and plugs the same -device string back', () => {
    expect(qmpCommandFor({ action: 'unplug', port: '0000:00:08.0' }, slots)).toEqual({ execute: 'device_del', arguments: { id: 'hpedu' } });
    expect(qmpCommandFor({ action: 'plug', port: '0000:00:08.0' }, slots)).toEqual({ execute: 'human-monitor-command', arguments: { 'command-line': 'device_add edu,id=hpedu,bus=hp1' } });
    expect(qmpCommandFor({ action: 'plug', port: '0000:00:07.0' }, slots)).toEqual({
      problem: 'the guest asked to plug the device behind 0000:00:07.0, a port no qemu.hotplug device sits on (ports: 0000:00:08.0)',
    });
  });

  it("reads the guest's link requests and answers only for the profile's netdevs", () => {
    expect(parseLinkRequest('# atemsys-link: off ll0')).toEqual({ up: false, netdev: 'll0' });
    expect(parseLinkRequest('    # atemsys-link: on ll0')).toEqual({ up: true, netdev: 'll0' });
    expect(parseLinkRequest('# atemsys-link: down ll0')).toBeUndefined();
    expect(linkCommandFor({ up: false, netdev: 'll0' }, ['ll0'])).toEqual({ execute: 'set_link', arguments: { name: 'll0', up: false } });
    expect(linkCommandFor({ up: true, netdev: 'll1' }, ['ll0'])).toEqual({
      problem: 'the guest asked to turn the link of netdev ll1 on, which the profile does not have (netdevs: ll0)',
    });
  });

  it('escapes commas in the socket path', () => {
    expect(qmpArgs('/tmp/a,b/qmp.sock')).toEqual(['-qmp', 'unix:/tmp/a,,b/qmp.sock,server=on,wait=off']);
  });
});

// QEMU itself, stopped before the guest runs (-S): device_add into an empty
// hot-plug slot and device_del answer over a real QMP socket
describe('QMP against QEMU (qemu-system-x86_64, installed by set-up)', () => {
  it('plugs a device into the slot, finds it in QEMU, asks to unplug it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-qmp-test-'));
    const sock = path.join(dir, 'qmp.sock');
    const qemu = spawn('qemu-system-x86_64', ['-machine', 'q35', '-S', '-display', 'none', '-nodefaults', '-device', PORT, ...qmpArgs(sock)], { stdio: 'ignore' });
    try {
      const slots = hotplugSlots([PORT], ['edu,id=hpedu,bus=hp1']).slots;
      const log = path.join(dir, 'qmp.log');
      for (let i = 0; i < 100; i++) {
        const up = await QmpClient.connect(sock).then(
          (c) => (c.close(), true),
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const host = new HotplugHost(sock, slots, log, 1000);
      host.line('# atemsys-hotplug: plug 0000:00:08.0');
      host.line('# atemsys-hotplug: plug 0000:00:08.0'); // a second one: QEMU refuses the duplicate id
      host.line('# atemsys-hotplug: unplug 0000:00:07.0');
      await host.close();
      const c = await QmpClient.connect(sock);
      // the devices given an id (-device, device_add)
      const ids = JSON.stringify(await c.execute({ execute: 'qom-list', arguments: { path: '/machine/peripheral' } }));
      expect(ids).toContain('"name":"hpedu"');
      c.close();
      const host2 = new HotplugHost(sock, slots, log);
      host2.line('# atemsys-hotplug: unplug 0000:00:08.0');
      await host2.close();
      const lines = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\S+ /, ''));
      expect(lines[0]).toBe('plug 0000:00:08.0: {"execute":"human-monitor-command","arguments":{"command-line":"device_add edu,id=hpedu,bus=hp1"}}: ok');
      expect(lines[1]).toMatch(/^plug 0000:00:08.0: .*: failed: device_add edu,id=hpedu,bus=hp1: .*[Dd]uplicate/);
      expect(lines[2]).toBe('the guest asked to unplug the device behind 0000:00:07.0, a port no qemu.hotplug device sits on (ports: 0000:00:08.0)');
      expect(lines[3]).toBe('unplug 0000:00:08.0: {"execute":"device_del","arguments":{"id":"hpedu"}}: ok');
    } finally {
      qemu.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("turns a netdev's link off and on; a netdev QEMU does not have fails in the log", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-qmp-test-'));
    const sock = path.join(dir, 'qmp.sock');
    const qemu = spawn('qemu-system-x86_64', ['-machine', 'q35', '-S', '-display', 'none', '-nodefaults', '-netdev', 'hubport,id=ll0,hubid=0', '-device', 'e1000e,netdev=ll0', ...qmpArgs(sock)], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 100; i++) {
        const up = await QmpClient.connect(sock).then(
          (c) => (c.close(), true),
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const log = path.join(dir, 'qmp.log');
      const host = new HotplugHost(sock, [], log, 1000, ['ll0', 'll9']);
      host.line('# atemsys-link: off ll0');
      host.line('# atemsys-link: on ll0');
      host.line('# atemsys-link: off ll9');
      host.line('# atemsys-link: off ll1');
      await host.close();
      const lines = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\S+ /, ''));
      expect(lines).toEqual([
        'link off ll0: {"execute":"set_link","arguments":{"name":"ll0","up":false}}: ok',
        'link on ll0: {"execute":"set_link","arguments":{"name":"ll0","up":true}}: ok',
        'link off ll9: {"execute":"set_link","arguments":{"name":"ll9","up":false}}: failed: set_link: Device \'ll9\' not found',
        'the guest asked to turn the link of netdev ll1 off, which the profile does not have (netdevs: ll0, ll9)',
      ]);
    } finally {
      qemu.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
