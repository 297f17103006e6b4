import { describe, expect, it } from 'vitest';
import { checkNetdev, deviceNetdev, forbiddenQemuArg, parseQemuOpts } from '../src/guest/netdev.ts';

describe('parseQemuOpts', () => {
  it('splits type and key=value pairs, ",," being a literal comma', () => {
    const o = parseQemuOpts('hubport,id=ll0,hubid=0');
    expect(o.type).toBe('hubport');
    expect([...o.options]).toEqual([
      ['id', 'll0'],
      ['hubid', '0'],
    ]);
    expect(parseQemuOpts('x,file=/a,,b').options.get('file')).toBe('/a,b');
  });

  it.each([
    ['id=ll0', /backend type first/],
    [',id=x', /backend type first/],
    ['hubport,id', /expected key=value, got "id"/],
    ['hubport,id=a,id=b', /option id given twice/],
  ])('refuses %s', (s, msg) => {
    expect(() => parseQemuOpts(s)).toThrow(msg);
  });
});

describe('checkNetdev', () => {
  it('accepts a hubport with id and hubid', () => {
    expect(checkNetdev('hubport,id=ll0,hubid=0')).toEqual({ ok: true, id: 'll0', type: 'hubport' });
    expect(checkNetdev('hubport,hubid=12,id=Link_1-b')).toEqual({ ok: true, id: 'Link_1-b', type: 'hubport' });
  });

  it('accepts a dgram netdev with nothing but its id (smoke gives it its 127.0.0.1 ports)', () => {
    expect(checkNetdev('dgram,id=ll0')).toEqual({ ok: true, id: 'll0', type: 'dgram' });
  });

  it.each([
    ['user,id=net0', /backend type "user" is not allowed \(allowed: hubport, dgram\): frames must never leave the guest/],
    ['tap,id=t0,ifname=tap0', /"tap" is not allowed/],
    ['dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=1', /option local.type= is not allowed for dgram \(allowed: id\): smoke binds it to two free UDP ports on 127.0.0.1 itself/],
    ['dgram,id=d0,remote.host=192.0.2.1', /option remote.host= is not allowed for dgram/],
    ['hubport,hubid=0', /has no id=/],
    ['hubport,id=0ll,hubid=0', /id "0ll" must be a letter/],
    ['hubport,id=ll0', /hubport needs hubid=/],
    ['hubport,id=ll0,hubid=x', /hubid must be a number, got "x"/],
    ['hubport,id=ll0,hubid=0,netdev=u0', /option netdev= is not allowed for hubport \(allowed: id, hubid\)/],
    ['hubport,id', /expected key=value/],
  ])('refuses %s', (s, msg) => {
    const r = checkNetdev(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(msg);
  });
});

describe('forbiddenQemuArg', () => {
  it('refuses network and object options in raw args, pointing to qemu.netdevs', () => {
    for (const a of ['-netdev', '--netdev', '-nic', '-net', '-object', '-netdev=user,id=x']) {
      expect(forbiddenQemuArg(a), a).toMatch(/is not allowed in qemu\.args: network backends go in qemu\.netdevs/);
    }
    for (const a of ['-serial', 'null', '-global', 'user,id=x', '-network-thing', '-nicer']) expect(forbiddenQemuArg(a), a).toBeUndefined();
  });
  it('refuses an option and its value in one list item, the network ones as network options', () => {
    expect(forbiddenQemuArg('-netdev user,id=x')).toMatch(/-netdev is not allowed in qemu\.args/);
    expect(forbiddenQemuArg('-m 512')).toBe('one argument per list item: write "-m", "512" as two items');
    expect(forbiddenQemuArg('file name with spaces')).toBeUndefined();
  });
});

describe('deviceNetdev', () => {
  it('finds the netdev= of a -device string', () => {
    expect(deviceNetdev('e1000e,netdev=ll0,addr=4')).toBe('ll0');
    expect(deviceNetdev('edu,dma_mask=0xffffffff,addr=2')).toBeUndefined();
    expect(deviceNetdev('virtio-net-pci,disable-legacy')).toBeUndefined();
  });
});
