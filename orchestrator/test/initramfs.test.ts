import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../src/core/paths.ts';
import { describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  APPLETS,
  ATEMSYS_GUEST_GID,
  DT_REPORT,
  END_MARKER,
  appendOverlay,
  benchInitScript,
  guestInitScript,
  initScript,
  initramfsEntries,
  newcArchive,
  overlayEntries,
  type CpioEntry,
} from '../src/guest/initramfs.ts';

interface Parsed {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdevmajor: number;
  rdevminor: number;
  data: Buffer;
}

/** Independent newc reader to check what the writer produced. */
function readNewc(buf: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let off = 0;
  const align = (n: number): number => (n + 3) & ~3;
  for (;;) {
    const magic = buf.subarray(off, off + 6).toString('ascii');
    if (magic !== '070701') throw new Error(`bad magic at ${off}: ${magic}`);
    const f = (i: number): number => parseInt(buf.subarray(off + 6 + i * 8, off + 14 + i * 8).toString('ascii'), 16);
    const namesize = f(11);
    const filesize = f(6);
    const name = buf.subarray(off + 110, off + 110 + namesize - 1).toString('utf8');
    expect(buf[off + 110 + namesize - 1]).toBe(0);
    const dataStart = align(off + 110 + namesize);
    const data = buf.subarray(dataStart, dataStart + filesize);
    const entry = { name, mode: f(1), uid: f(2), gid: f(3), nlink: f(4), rdevmajor: f(9), rdevminor: f(10), data: Buffer.from(data) };
    off = align(dataStart + filesize);
    if (name === 'TRAILER!!!') break;
    out.push(entry);
  }
  expect(off).toBe(buf.length);
  return out;
}

describe('newcArchive', () => {
  it('writes dirs, files, symlinks and device nodes owned by 0:0', () => {
    const entries: CpioEntry[] = [
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', data: Buffer.from('ELF!x'), mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'dir', path: 'dev' },
      { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    ];
    const got = readNewc(newcArchive(entries));
    expect(got.map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ['bin', '40755'],
      ['bin/busybox', '100755'],
      ['bin/sh', '120777'],
      ['dev', '40755'],
      ['dev/console', '20600'],
    ]);
    expect(got[1]?.data.toString()).toBe('ELF!x');
    expect(got[2]?.data.toString()).toBe('busybox');
    expect([got[4]?.rdevmajor, got[4]?.rdevminor]).toEqual([5, 1]);
    expect(got.every((e) => e.uid === 0 && e.gid === 0)).toBe(true);
    expect(got[0]?.nlink).toBe(2);
  });

  it('pads names and data of every length to 4 bytes', () => {
    const entries: CpioEntry[] = [1, 2, 3, 4, 5].map((n) => ({ type: 'file', path: 'f'.repeat(n), data: Buffer.alloc(n, 0x41) }));
    const got = readNewc(newcArchive(entries));
    expect(got.map((e) => e.data.length)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses bad paths, duplicates and children before their directory', () => {
    expect(() => newcArchive([{ type: 'dir', path: '../x' }])).toThrow(/bad cpio path/);
    expect(() =>
      newcArchive([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: 'a' },
      ]),
    ).toThrow(/duplicate/);
    expect(() => newcArchive([{ type: 'file', path: 'a/b', data: Buffer.alloc(0) }])).toThrow(/before its directory/);
  });
});

describe('initScript', () => {
  it('mounts, marks, loads, runs the selftest and reports rc', () => {
    const s = initScript({ selftestArgs: ['--group', 'pci'] });
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    const order = [
      'mount -t proc proc /proc',
      'mount -t sysfs sysfs /sys',
      'mount -t devtmpfs devtmpfs /dev',
      'echo ATEMSYS-SMOKE-BEGIN',
      'insmod /lib/modules/atemsys.ko',
      '/bin/atemsys-selftest --group pci',
      'rc=$?',
      `echo "${END_MARKER} rc=$rc"`,
      'poweroff -f',
    ];
    let at = -1;
    for (const step of order) {
      const i = s.indexOf(step, at + 1);
      expect(i, step).toBeGreaterThan(at);
      at = i;
    }
  });

  it('bails out in KTAP and still prints the end marker when insmod fails', () => {
    const s = initScript({ selftestArgs: [] });
    expect(s).toMatch(/else\n\techo "Bail out! insmod \/lib\/modules\/atemsys.ko failed"\n\trc=125\nfi\necho "ATEMSYS-SMOKE-END rc=\$rc"/);
  });

  it('quotes arguments and module parameters for the shell', () => {
    const s = initScript({ selftestArgs: ['--only', "a b;c'd"], moduleParams: ['pci_irq_mode=intx'] });
    expect(s).toContain(`/bin/atemsys-selftest --only 'a b;c'\\''d'`);
    expect(s).toContain('insmod /lib/modules/atemsys.ko pci_irq_mode=intx; then');
  });
});

describe('initScript for device-tree boards', () => {
  const s = initScript({
    selftestArgs: ['--group', 'dt'],
    modules: ['imx2_wdt', 'libphy', 'of_mdio'],
    dtNodes: ['/soc/bus@2100000/ethernet@2188000'],
    shutdown: 'reboot',
  });

  it('loads the dependencies in order before atemsys and bails out if one fails', () => {
    expect(s).toContain('for m in imx2_wdt libphy of_mdio; do\n\tif ! insmod /lib/modules/$m.ko; then\n\t\techo "Bail out! insmod /lib/modules/$m.ko failed"\n\t\trc=125\n\t\tbreak');
    expect(s).toContain('if [ "$rc" -ne 0 ]; then\n\t:\nelif insmod /lib/modules/atemsys.ko; then');
    expect(s.indexOf('for m in')).toBeLessThan(s.indexOf('elif insmod /lib/modules/atemsys.ko'));
  });

  it('reports the DT nodes before and after insmod, inside the markers', () => {
    const before = s.indexOf(`dt_report before-insmod /soc/bus@2100000/ethernet@2188000`);
    const after = s.indexOf(`\tdt_report after-insmod /soc/bus@2100000/ethernet@2188000`);
    expect(s.indexOf('echo ATEMSYS-SMOKE-BEGIN')).toBeLessThan(before);
    expect(before).toBeLessThan(s.indexOf('for m in'));
    expect(after).toBeGreaterThan(s.indexOf('elif insmod'));
    expect(after).toBeLessThan(s.indexOf('/bin/atemsys-selftest --group dt'));
    expect(s).toContain(`echo "${DT_REPORT} $when $p compatible \${compat:-none} device $dev driver $drv"`);
    expect(s).toContain('readlink -f "$d/of_node"');
  });

  it('reboots instead of powering off when asked (QEMU -no-reboot then exits)', () => {
    expect(s).toMatch(/\nreboot -f\nsleep 5\npoweroff -f\n$/);
    expect(initScript({ selftestArgs: [] })).toMatch(/\npoweroff -f\nsleep 5\nreboot -f\n$/);
  });

  it('adds nothing for a board without modules or DT nodes', () => {
    const plain = initScript({ selftestArgs: [], modules: [], dtNodes: [] });
    expect(plain).toBe(initScript({ selftestArgs: [] }));
    expect(plain).not.toContain('dt_report');
    expect(plain).not.toContain('for m in');
    expect(plain).toContain('\nif insmod /lib/modules/atemsys.ko; then');
  });
});

describe('initramfsEntries', () => {
  it('holds busybox with its applets, the module, the selftest and /init', () => {
    const es = initramfsEntries({ busybox: Buffer.from('bb'), module: Buffer.from('ko'), selftest: Buffer.from('st'), init: '#!/bin/sh\n' });
    const got = readNewc(newcArchive(es));
    const names = got.map((e) => e.name);
    for (const a of APPLETS) expect(names).toContain(`bin/${a}`);
    for (const a of ['sh', 'mount', 'insmod', 'rmmod', 'modprobe', 'cat', 'echo', 'grep', 'sleep', 'poweroff', 'reboot', 'ls', 'dmesg', 'mkdir']) {
      expect(APPLETS).toContain(a);
    }
    const byName = new Map(got.map((e) => [e.name, e]));
    expect(byName.get('lib/modules/atemsys.ko')?.data.toString()).toBe('ko');
    expect(byName.get('bin/atemsys-selftest')?.mode).toBe(0o100755);
    expect(byName.get('init')?.mode).toBe(0o100755);
    expect(byName.get('dev/console')?.rdevmajor).toBe(5);
  });

  it('carries what a BusyBox-init product image has: the init script, the mdev rule, the atemsys group', () => {
    const base = { busybox: Buffer.from('bb'), module: Buffer.from('ko'), selftest: Buffer.from('st'), init: '#!/bin/sh\n' };
    const script = readFileSync(path.join(REPO_ROOT, 'src-kernel', 'init', 'atemsys-init'), 'utf8');
    const rule = readFileSync(path.join(REPO_ROOT, 'src-kernel', 'init', 'mdev.conf'), 'utf8');
    const got = new Map(readNewc(newcArchive(initramfsEntries({ ...base, boot: { initScript: script, mdevConf: rule } }))).map((e) => [e.name, e]));
    expect(got.get('etc/init.d/atemsys')?.mode).toBe(0o100755);
    expect(got.get('etc/mdev.conf')?.data.toString()).toMatch(/^atemsys root:atemsys 660$/m);
    expect(got.get('etc/group')?.data.toString()).toContain(`atemsys:x:${ATEMSYS_GUEST_GID}:`);
    expect(APPLETS).toContain('mdev');
    expect(readNewc(newcArchive(initramfsEntries(base))).map((e) => e.name)).not.toContain('etc/mdev.conf');
  });

  it('ships the 32-bit selftest beside the 64-bit one when there is one', () => {
    const base = { busybox: Buffer.from('bb'), module: Buffer.from('ko'), selftest: Buffer.from('st'), init: '#!/bin/sh\n' };
    const with32 = new Map(readNewc(newcArchive(initramfsEntries({ ...base, selftest32: Buffer.from('st32') }))).map((e) => [e.name, e]));
    expect(with32.get('bin/atemsys-selftest32')?.data.toString()).toBe('st32');
    expect(with32.get('bin/atemsys-selftest32')?.mode).toBe(0o100755);
    const without = readNewc(newcArchive(initramfsEntries(base))).map((e) => e.name);
    expect(without).not.toContain('bin/atemsys-selftest32');
  });

  it('stores the dependency modules as lib/modules/<name>.ko beside atemsys.ko', () => {
    const es = initramfsEntries({
      busybox: Buffer.from('bb'),
      module: Buffer.from('ko'),
      selftest: Buffer.from('st'),
      modules: [
        { name: 'libphy', data: Buffer.from('phy') },
        { name: 'of_mdio', data: Buffer.from('mdio') },
      ],
      init: '#!/bin/sh\n',
    });
    const byName = new Map(readNewc(newcArchive(es)).map((e) => [e.name, e]));
    expect(byName.get('lib/modules/libphy.ko')?.data.toString()).toBe('phy');
    expect(byName.get('lib/modules/of_mdio.ko')?.data.toString()).toBe('mdio');
    expect(byName.get('lib/modules/atemsys.ko')?.data.toString()).toBe('ko');
    expect(APPLETS).toContain('readlink');
  });

  it('survives a gzip round trip', async () => {
    const { gzipSync } = await import('node:zlib');
    const raw = newcArchive(initramfsEntries({ busybox: Buffer.alloc(1000, 1), module: Buffer.alloc(3), selftest: Buffer.alloc(7), init: 'x' }));
    expect(gunzipSync(gzipSync(raw)).equals(raw)).toBe(true);
  });
});

describe('guestInitScript and the bench init', () => {
  it('is what initScript writes, with the selftest as the command', () => {
    const o = { selftestArgs: ['--group', 'pci'], modules: ['libphy'], shutdown: 'poweroff' as const };
    expect(initScript(o)).toBe(guestInitScript({ modules: ['libphy'], shutdown: 'poweroff', command: ['/bin/atemsys-selftest', '--group', 'pci'] }));
  });

  it('runs atemsys-bench run [--quick] between the same markers, module loading and dmesg on failure', () => {
    const s = benchInitScript({ modules: ['libphy'] }, true);
    const smoke = initScript({ selftestArgs: [], modules: ['libphy'] });
    expect(s).toContain('\t/bin/atemsys-bench run --quick\n\trc=$?');
    expect(s).not.toContain('atemsys-selftest');
    // the same script otherwise
    expect(s.replace('/bin/atemsys-bench run --quick', 'X')).toBe(smoke.replace('/bin/atemsys-selftest', 'X'));
    expect(benchInitScript({}, false)).toContain('\t/bin/atemsys-bench run\n');
  });
});

describe('initramfs: tools, on-demand modules, overlays', () => {
  const base = { busybox: Buffer.from('bb'), module: Buffer.from('ko'), selftest: Buffer.from('st'), init: '#!/bin/sh\n' };

  it('stores the tools in bin/ and modules.ondemand beside the modules', () => {
    const es = initramfsEntries({
      ...base,
      binaries: [
        { name: 'atemsys-ecat', data: Buffer.from('ecat') },
        { name: 'atemsys-bench', data: Buffer.from('bench') },
      ],
      modules: [{ name: 'e1000e', data: Buffer.from('e1k') }],
      onDemand: 'e1000e: e1000e\n',
    });
    const byName = new Map(readNewc(newcArchive(es)).map((e) => [e.name, e]));
    expect(byName.get('bin/atemsys-ecat')?.mode).toBe(0o100755);
    expect(byName.get('bin/atemsys-bench')?.data.toString()).toBe('bench');
    expect(byName.get('lib/modules/e1000e.ko')?.data.toString()).toBe('e1k');
    expect(byName.get('lib/modules/modules.ondemand')?.data.toString()).toBe('e1000e: e1000e\n');
    expect(readNewc(newcArchive(initramfsEntries(base))).map((e) => e.name)).not.toContain('lib/modules/modules.ondemand');
  });

  it('appends an overlay with a new /init (and atemsys.ko) as a second gzip member', () => {
    const first = gzipSync(newcArchive(initramfsEntries(base)));
    const both = appendOverlay(first, overlayEntries({ init: '#!/bin/sh\nbench\n', module: Buffer.from('other-ko') }));
    expect(both.subarray(0, first.length).equals(first)).toBe(true);
    const second = readNewc(gunzipSync(both.subarray(first.length)));
    expect(second.map((e) => e.name)).toEqual(['init', 'lib', 'lib/modules', 'lib/modules/atemsys.ko']);
    expect(second[0]?.data.toString()).toBe('#!/bin/sh\nbench\n');
    expect(second[0]?.mode).toBe(0o100755);
    expect(second[3]?.data.toString()).toBe('other-ko');
    expect(overlayEntries({ init: 'x' }).map((e) => e.path)).toEqual(['init']);
  });
});
