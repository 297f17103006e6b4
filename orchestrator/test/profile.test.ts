import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.ts';
import { REPO_ROOT } from '../src/core/paths.ts';
import { SCHEMA_LINE, findProfile, formatIssues, loadAllProfiles, parseProfile, schemaLineIssue, selftestArgsFor, slowdownOf } from '../src/profile/profile.ts';

const GOOD = `name: demo
description: a demo board
arch: arm64
kernels:
  - suite: bookworm
    series: "6.1"
    flavour: arm64
  - suite: bookworm-backports
    series: "6.12"
    flavour: arm64
    version: "6.12.48+deb12"
qemu:
  binary: qemu-system-aarch64
  machine: virt
  cpu: cortex-a57
  memory: 512
  smp: 2
  console: ttyAMA0
  append: "panic=-1 quiet"
  devices: ["edu,dma_mask=0xffffffff", "e1000e"]
  timeout: 300
selftest:
  args: ["--group", "pci"]
`;

function errorOf(text: string, name = 'demo'): string {
  try {
    parseProfile(text, 'boards/demo.yaml', name);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseProfile', () => {
  it('takes only a flavour Debian builds for the arch (debian/facts.ts)', () => {
    const m = errorOf(GOOD.replace('    flavour: arm64\n  - suite: bookworm-backports', '    flavour: armmp\n  - suite: bookworm-backports'));
    expect(m).toMatch(/kernels\[0\]\.flavour: Debian builds no "armmp" kernel for arm64 \(debian\/facts\.ts\): arm64, arm64-16k, cloud-arm64, rt-arm64/);
  });

  it('accepts a complete profile and types every field', () => {
    const p = parseProfile(GOOD, 'boards/demo.yaml', 'demo', '/abs/boards/demo.yaml');
    expect(p.name).toBe('demo');
    expect(p.arch).toBe('arm64');
    expect(p.file).toBe('/abs/boards/demo.yaml');
    expect(p.kernels).toEqual([
      { suite: 'bookworm', series: '6.1', flavour: 'arm64' },
      { suite: 'bookworm-backports', series: '6.12', flavour: 'arm64', version: '6.12.48+deb12' },
    ]);
    expect(p.qemu).toEqual({
      binary: 'qemu-system-aarch64',
      machine: 'virt',
      cpu: 'cortex-a57',
      memory: 512,
      smp: 2,
      console: 'ttyAMA0',
      append: 'panic=-1 quiet',
      shutdown: 'poweroff',
      devices: ['edu,dma_mask=0xffffffff', 'e1000e'],
      args: [],
      timeout: 300,
    });
    expect(p.selftest.args).toEqual(['--group', 'pci']);
    expect(p.modules).toEqual([]);
    expect(p.dt).toBeUndefined();
    expect(p.buildOnly).toBeUndefined();
  });

  it('makes qemu (given a build-only reason) and selftest optional', () => {
    const p = parseProfile('name: demo\ndescription: d\narch: x86_64\nkernels:\n  - {suite: bookworm, series: "6.1", flavour: amd64}\nbuild-only: no emulator\n', 'f', 'demo');
    expect(p.qemu).toBeUndefined();
    expect(p.buildOnly).toBe('no emulator');
    expect(p.selftest.args).toEqual([]);
  });

  it('names file, line and field for a bad value', () => {
    const msg = errorOf(GOOD.replace('memory: 512', 'memory: lots'));
    expect(msg).toBe('boards/demo.yaml:16: qemu.memory: expected a positive integer, got "lots"');
  });

  it('rejects zero, negative and fractional integers', () => {
    expect(errorOf(GOOD.replace('smp: 2', 'smp: 0'))).toContain(':17: qemu.smp: expected a positive integer, got 0');
    expect(errorOf(GOOD.replace('timeout: 300', 'timeout: -5'))).toContain(':21: qemu.timeout: expected a positive integer, got -5');
    expect(errorOf(GOOD.replace('memory: 512', 'memory: 1.5'))).toContain('qemu.memory: expected a positive integer, got 1.5');
  });

  it('an unknown board name says which board it likely means', async () => {
    const boards = path.join(REPO_ROOT, 'boards');
    await expect(findProfile(boards, REPO_ROOT, 'imx6-sabrelit')).rejects.toThrow(/^unknown board "imx6-sabrelit", did you mean "imx6-sabrelite"\? \(known: /);
    await expect(findProfile(boards, REPO_ROOT, 'nothing-like-it')).rejects.toThrow(/^unknown board "nothing-like-it" \(known: /);
  });

  it('reports unknown keys with their line', () => {
    const msg = errorOf(GOOD.replace('  cpu: cortex-a57', '  cpu: cortex-a57\n  cpus: 4'));
    expect(msg).toMatch(/^boards\/demo\.yaml:16: qemu\.cpus: unknown key, did you mean "cpu"\? \(allowed: /);
    expect(errorOf(`${GOOD}colour: red\n`)).toContain('boards/demo.yaml:24: colour: unknown key (allowed: ');
    expect(errorOf(GOOD.replace('    flavour: arm64\n  - suite', '    flavour: arm64\n    flavor: x\n  - suite'))).toContain(':8: kernels[0].flavor: unknown key, did you mean "flavour"? (allowed: ');
  });

  it('requires the name to match the file name', () => {
    expect(errorOf(GOOD, 'other')).toBe('boards/demo.yaml:1: name: must equal the file name "other", got "demo"');
  });

  it('rejects an unknown arch', () => {
    expect(errorOf(GOOD.replace('arch: arm64', 'arch: riscv64'))).toBe('boards/demo.yaml:3: arch: expected one of x86_64, arm64, armhf, got "riscv64"');
  });

  it('asks to quote an unquoted series (6.10 would read as 6.1)', () => {
    expect(errorOf(GOOD.replace('series: "6.1"', 'series: 6.1'))).toBe('boards/demo.yaml:6: kernels[0].series: expected a string (quote it), got 6.1');
  });

  it('checks missing required fields at the line of their mapping', () => {
    const msg = errorOf(GOOD.replace('  console: ttyAMA0\n', ''));
    expect(msg).toBe('boards/demo.yaml:13: qemu.console: required field is missing');
    expect(errorOf(GOOD.replace('description: a demo board\n', ''))).toBe('boards/demo.yaml:1: description: required field is missing');
  });

  it('checks kernels: non-empty list, patterns, pin of the right series, duplicates', () => {
    expect(errorOf(GOOD.replace(/kernels:\n( {2}.*\n)+?qemu:/, 'kernels: []\nqemu:'))).toContain('kernels: expected a non-empty list of kernels, got a list');
    expect(errorOf(GOOD.replace('flavour: arm64\n  - suite', 'flavour: "Arm 64"\n  - suite'))).toContain('kernels[0].flavour: expected a Debian kernel flavour like "amd64", got "Arm 64"');
    expect(errorOf(GOOD.replace('version: "6.12.48+deb12"', 'version: "6.1.0-56"'))).toContain(':11: kernels[1].version: ABI "6.1.0-56" is not of series 6.12');
    expect(errorOf(GOOD.replace('version: "6.12.48+deb12"', 'version: newest'))).toContain('kernels[1].version: expected a kernel ABI');
    expect(errorOf(GOOD.replace('series: "6.12"', 'series: "6.1"').replace('suite: bookworm-backports', 'suite: bookworm').replace('    version: "6.12.48+deb12"\n', ''))).toContain(
      'kernels[1]: duplicate kernel bookworm 6.1 arm64',
    );
    expect(errorOf(GOOD.replace('suite: bookworm-backports', 'suite: buster'))).toContain(
      'kernels[1].suite: expected a Debian suite: bullseye, bookworm, bookworm-backports, trixie, sid, got "buster"',
    );
    expect(errorOf(GOOD.replace('  - suite: bookworm\n    series: "6.1"', '  - series: "6.1"'))).toContain('kernels[0].suite: required field is missing');
    expect(
      parseProfile(GOOD.replace('series: "6.12"', 'series: newest').replace('suite: bookworm-backports', 'suite: sid').replace('    version: "6.12.48+deb12"\n', ''), 'f', 'demo').kernels[1],
    ).toEqual({
      suite: 'sid',
      series: 'newest',
      flavour: 'arm64',
    });
  });

  it('checks lists of strings item by item', () => {
    expect(errorOf(GOOD.replace('devices: ["edu,dma_mask=0xffffffff", "e1000e"]', 'devices: [edu, 3]'))).toContain('qemu.devices[1]: expected a non-empty string, got 3');
    expect(errorOf(GOOD.replace('args: ["--group", "pci"]', 'args: "--group pci"'))).toContain(':23: selftest.args: expected a list of strings, got "--group pci"');
  });

  it('reports every issue, sorted by line', () => {
    const msg = errorOf(GOOD.replace('arch: arm64', 'arch: sparc').replace('memory: 512', 'memory: big'));
    expect(msg.split('\n')).toEqual(['boards/demo.yaml:3: arch: expected one of x86_64, arm64, armhf, got "sparc"', 'boards/demo.yaml:16: qemu.memory: expected a positive integer, got "big"']);
  });

  it('reports YAML syntax errors and duplicate keys with a line', () => {
    expect(errorOf('name: demo\narch: [x86_64\n')).toMatch(/^boards\/demo\.yaml:\d+: YAML syntax error: /);
    expect(errorOf('name: demo\nname: demo\n')).toMatch(/^boards\/demo\.yaml:2: YAML syntax error: .*[Uu]nique/);
  });

  it('rejects a non-mapping document', () => {
    expect(errorOf('- a\n- b\n')).toBe('boards/demo.yaml:1: (top level): expected a mapping, got a list');
  });

  it('formats issues as file:line: path: message', () => {
    expect(formatIssues('f.yaml', [{ line: 3, path: 'a.b', message: 'bad' }])).toBe('f.yaml:3: a.b: bad');
  });
});

describe('parseProfile: network, on-demand modules, bench', () => {
  const NET = GOOD.replace(
    '  devices: ["edu,dma_mask=0xffffffff", "e1000e"]\n',
    '  devices: ["edu,dma_mask=0xffffffff", "e1000e,netdev=ll0,addr=4", "e1000e,netdev=ll1,addr=5"]\n  netdevs: ["hubport,id=ll0,hubid=0", "hubport,id=ll1,hubid=0"]\n  pcap: [ll0]\n',
  );

  it('reads qemu.netdevs, qemu.pcap, modules-available and bench.timeout', () => {
    const p = parseProfile(`${NET}modules-available: [e1000e, vfio-pci]\nbench:\n  timeout: 1200\n`, 'boards/demo.yaml', 'demo');
    expect(p.qemu?.netdevs).toEqual(['hubport,id=ll0,hubid=0', 'hubport,id=ll1,hubid=0']);
    expect(p.qemu?.pcap).toEqual(['ll0']);
    expect(p.modulesAvailable).toEqual(['e1000e', 'vfio-pci']);
    expect(p.bench).toEqual({ timeout: 1200 });
  });

  it('reads qemu.hotplug and checks each device against the root ports', () => {
    const hp = GOOD.replace('"e1000e"]\n', '"e1000e", "pcie-root-port,id=hp1,chassis=1,slot=1,addr=8"]\n  hotplug: ["edu,id=hpedu,bus=hp1"]\n');
    expect(parseProfile(hp, 'boards/demo.yaml', 'demo').qemu?.hotplug).toEqual(['edu,id=hpedu,bus=hp1']);
    expect(errorOf(hp.replace('bus=hp1"]', 'bus=hp2"]'))).toBe(
      'boards/demo.yaml:21: qemu.hotplug[0]: bus=hp2 is not the id of a pcie-root-port in qemu.devices: add one, e.g. "pcie-root-port,id=hp2,chassis=<unused n>,slot=<unused n>,addr=<a free slot on bus 0>"',
    );
    expect(errorOf(hp.replace('bus=hp1"]', 'bus=hp1,netdev=zz"]'))).toContain('qemu.hotplug[0]: netdev=zz names no entry of qemu.netdevs');
  });

  it('leaves them out when not given', () => {
    const p = parseProfile(GOOD, 'boards/demo.yaml', 'demo');
    expect(p.qemu?.netdevs).toBeUndefined();
    expect(p.qemu?.pcap).toBeUndefined();
    expect(p.modulesAvailable).toBeUndefined();
    expect(p.bench).toBeUndefined();
  });

  it('allows only hubports, each id once, with file:line:field errors', () => {
    expect(errorOf(NET.replace('"hubport,id=ll1,hubid=0"', '"user,id=ll1"'))).toBe(
      'boards/demo.yaml:21: qemu.netdevs[1]: backend type "user" is not allowed (allowed: hubport, dgram): frames must never leave the guest, e.g. "hubport,id=ll0,hubid=0"',
    );
    expect(errorOf(NET.replace('"hubport,id=ll1,hubid=0"', '"hubport,id=ll0,hubid=1"'))).toContain('qemu.netdevs[1]: id "ll0" is used twice: give each netdev its own id');
  });

  it("takes a dgram netdev without options and connects the machine's NICs by qemu.nics", () => {
    const soc = GOOD.replace('  devices: ["edu,dma_mask=0xffffffff", "e1000e"]\n', '  devices: []\n  netdevs: ["dgram,id=ll0", "hubport,id=ll1,hubid=0"]\n  nics: [none, ll1, ll0]\n  pcap: [ll0]\n');
    expect(parseProfile(soc, 'boards/demo.yaml', 'demo').qemu?.nics).toEqual(['none', 'll1', 'll0']);
    expect(errorOf(soc.replace('"dgram,id=ll0"', '"dgram,id=ll0,remote.host=10.0.0.1"'))).toContain(
      'qemu.netdevs[0]: option remote.host= is not allowed for dgram (allowed: id): smoke binds it to two free UDP ports on 127.0.0.1 itself',
    );
    expect(errorOf(soc.replace('nics: [none, ll1, ll0]', 'nics: [ll2]'))).toContain(
      'qemu.nics[0]: "ll2" is not the id of an entry of qemu.netdevs (ids: ll0, ll1), nor "none" (a NIC left unconnected)',
    );
    expect(errorOf(soc.replace('nics: [none, ll1, ll0]', 'nics: [ll0, ll0]'))).toContain('qemu.nics[1]: netdev "ll0" is connected to another NIC already: give each NIC its own netdev');
  });

  it('reports the line of the item in a block list', () => {
    const block = NET.replace('  netdevs: ["hubport,id=ll0,hubid=0", "hubport,id=ll1,hubid=0"]\n', '  netdevs:\n    - "hubport,id=ll0,hubid=0"\n    - "socket,id=ll1,listen=:1234"\n');
    expect(errorOf(block)).toContain('boards/demo.yaml:23: qemu.netdevs[1]: backend type "socket" is not allowed');
  });

  it('checks that devices and pcap name netdevs that exist', () => {
    expect(errorOf(NET.replace('netdev=ll1,addr=5', 'netdev=ll9,addr=5'))).toContain('qemu.devices[2]: netdev=ll9 names no entry of qemu.netdevs (ids: ll0, ll1): add "hubport,id=ll9,hubid=0" there');
    expect(errorOf(NET.replace('pcap: [ll0]', 'pcap: [ll0, ll7]'))).toContain('qemu.pcap[1]: "ll7" is not the id of an entry of qemu.netdevs (ids: ll0, ll1)');
    expect(errorOf(NET.replace('pcap: [ll0]', 'pcap: [ll0, ll0]'))).toContain('qemu.pcap[1]: "ll0" is listed twice');
  });

  it('refuses network options in qemu.args and says where they go', () => {
    expect(errorOf(GOOD.replace('  timeout: 300', '  args: ["-serial", "null", "-netdev", "user,id=n0"]\n  timeout: 300'))).toBe(
      "boards/demo.yaml:21: qemu.args[2]: -netdev is not allowed in qemu.args: network backends go in qemu.netdevs (hubport, or dgram to the host's simulator on 127.0.0.1), a SoC's own NICs in qemu.nics, packet captures in qemu.pcap",
    );
    expect(errorOf(GOOD.replace('  timeout: 300', '  args: ["-object", "filter-dump,id=d,netdev=n,file=x"]\n  timeout: 300'))).toContain('qemu.args[0]: -object is not allowed');
  });

  it('checks modules-available names and bench', () => {
    expect(errorOf(`${GOOD}modules-available: [e1000e.ko]\n`)).toContain('modules-available[0]: expected a module name like "uio_pci_generic", got "e1000e.ko"');
    expect(errorOf(`${GOOD}modules-available: [vfio-pci, vfio_pci]\n`)).toContain('modules-available[1]: "vfio_pci" is listed twice');
    expect(errorOf(`${GOOD}bench:\n  timeout: 0\n`)).toContain('bench.timeout: expected a positive integer, got 0');
    expect(errorOf(`${GOOD}bench:\n  runs: 3\n`)).toContain('bench.runs: unknown key (allowed: timeout, baseline-driver, stock-overlay)');
    expect(errorOf('name: demo\ndescription: d\narch: x86_64\nkernels:\n  - {suite: bookworm, series: "6.1", flavour: amd64}\nbuild-only: x\nbench:\n  timeout: 5\n')).toContain(
      'bench: needs a qemu section',
    );
  });

  it('checks the lava section: a device type only for device-tree boards', () => {
    expect(errorOf(`${GOOD}lava:\n  device-type: imx8mp-evk\n`)).toContain('lava.device-type: is for device-tree boards');
    expect(errorOf(`${GOOD}lava:\n  device-type: "IMX 8"\n`)).toContain('lava.device-type: ');
    expect(errorOf(`${GOOD}lava:\n  device: x\n`)).toContain('lava.device: unknown key, did you mean "device-type"? (allowed: device-type)');
  });
});

describe('extra selftest groups per kernel', () => {
  const text = (extra: string): string =>
    `name: demo\ndescription: d\narch: x86_64\nkernels:\n  - {suite: bookworm, series: "6.1", flavour: amd64${extra}}\nbuild-only: no emulator\nselftest:\n  args: ["--group", "pci,ll"]\n`;

  it('a kernel may add groups (the fuzzer runs once per arch, not on every kernel)', () => {
    const p = parseProfile(text(', extra-groups: [fuzz]'), 'f', 'demo');
    expect(p.kernels[0]).toEqual({ suite: 'bookworm', series: '6.1', flavour: 'amd64', extraGroups: ['fuzz'] });
    expect(selftestArgsFor(p.selftest.args, p.kernels[0]?.extraGroups)).toEqual(['--group', 'pci,ll,fuzz']);
    expect(parseProfile(text(''), 'f', 'demo').kernels[0]).toEqual({ suite: 'bookworm', series: '6.1', flavour: 'amd64' });
  });

  it('a kernel may have a longer guest timeout than qemu.timeout (the fuzzer on a slow machine)', () => {
    expect(parseProfile(text(', extra-groups: [fuzz], timeout: 900'), 'f', 'demo').kernels[0]).toEqual({ suite: 'bookworm', series: '6.1', flavour: 'amd64', extraGroups: ['fuzz'], timeout: 900 });
    expect(() => parseProfile(text(', timeout: 0'), 'f', 'demo')).toThrow(/kernels\[0\]\.timeout/);
  });

  it('refuses a group name that is not one', () => {
    expect(() => parseProfile(text(', extra-groups: ["fuzz,ll"]'), 'f', 'demo')).toThrow(/kernels\[0\]\.extra-groups\[0\]: expected a selftest group name like "fuzz", got "fuzz,ll"/);
  });

  it('adds to --group, keeps the rest, never twice; no --group means every group already', () => {
    expect(selftestArgsFor(['--group', 'dt'], ['fuzz'])).toEqual(['--group', 'dt,fuzz']);
    expect(selftestArgsFor(['--group', 'dt,fuzz'], ['fuzz'])).toEqual(['--group', 'dt,fuzz']);
    expect(selftestArgsFor(['--timeout', '30'], ['fuzz'])).toEqual(['--timeout', '30']);
    expect(selftestArgsFor(['--group', 'pci'])).toEqual(['--group', 'pci']);
  });

  it("gives a slow kernel's tests as much more time as its boot (smoke --timeout over qemu.timeout)", () => {
    expect(slowdownOf({ timeout: 300 }, { timeout: 3600 })).toBe(12);
    expect(slowdownOf({ timeout: 300 }, { timeout: 400 })).toBe(2);
    expect(slowdownOf({ timeout: 300 }, { timeout: 200 })).toBe(1);
    expect(slowdownOf({ timeout: 300 }, {})).toBe(1);
    expect(selftestArgsFor(['--group', 'pci,ll'], ['fuzz'], 12)).toEqual(['--group', 'pci,ll,fuzz', '--timeout', '240']);
    expect(selftestArgsFor(['--timeout', '30'], [], 12)).toEqual(['--timeout', '30']);
    expect(selftestArgsFor(['--group', 'pci'], [], 1)).toEqual(['--group', 'pci']);
    expect(selftestArgsFor(['--group', 'pci,ll'], ['fuzz'], 12, ['dma_churn', 'fuzz'])).toEqual(['--group', 'pci,ll,fuzz', '--only', 'dma_churn,fuzz', '--timeout', '240']);
    // the selftest takes at most 3600 s a test: smoke --timeout 86400 must not ask for more
    expect(selftestArgsFor(['--group', 'pci'], [], slowdownOf({ timeout: 300 }, { timeout: 86400 }))).toEqual(['--group', 'pci', '--timeout', '3600']);
  });
});

describe('the $schema line of a profile file', () => {
  const file = (text: string): string => {
    try {
      parseProfile(text, 'boards/demo.yaml', 'demo', 'boards/demo.yaml', { requireSchemaLine: true });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      return (err as Error).message;
    }
    return '';
  };
  const fix = 'make the first line "# yaml-language-server: $schema=./schema.json"';

  it('takes a profile whose first line is the line, with LF or CRLF line ends', () => {
    expect(file(`${SCHEMA_LINE}\n${GOOD}`)).toBe('');
    expect(schemaLineIssue(`${SCHEMA_LINE}\r\nname: demo\r\n`)).toBeUndefined();
  });

  it('reports a missing line on line 1, with how to fix it', () => {
    expect(file(GOOD)).toBe(`boards/demo.yaml:1: $schema: the first line must name the profiles' JSON Schema for editors: ${fix}`);
    expect(schemaLineIssue('')).toEqual({ line: 1, path: '$schema', message: expect.stringContaining(fix) as unknown });
  });

  it('reports a line that names another schema, or is not the first line, where it is', () => {
    expect(file(`# yaml-language-server: $schema=../schema.json\n${GOOD}`)).toBe(
      `boards/demo.yaml:1: $schema: names "../schema.json", not "./schema.json" (boards/schema.json beside the profile); ${fix}`,
    );
    expect(file(`#yaml-language-server:  $schema=./schema.json\n${GOOD}`)).toBe(`boards/demo.yaml:1: $schema: must read exactly "${SCHEMA_LINE}"`);
    expect(file(`# a demo board\n${SCHEMA_LINE}\n${GOOD}`)).toBe(`boards/demo.yaml:2: $schema: must be the first line, not line 2: ${fix} (and remove this one)`);
  });

  it('lists it with the other issues, in line order', () => {
    expect(file(GOOD.replace('memory: 512', 'memory: lots')).split('\n')).toEqual([
      `boards/demo.yaml:1: $schema: the first line must name the profiles' JSON Schema for editors: ${fix}`,
      'boards/demo.yaml:16: qemu.memory: expected a positive integer, got "lots"',
    ]);
    expect(file('- a list\n')).toBe(
      `boards/demo.yaml:1: $schema: the first line must name the profiles' JSON Schema for editors: ${fix}\nboards/demo.yaml:1: (top level): expected a mapping, got a list`,
    );
  });

  it('is required of the files in boards/ (what orchestrate boards, build and smoke load), not of YAML snippets', async () => {
    expect(parseProfile(GOOD, 'boards/demo.yaml', 'demo').name).toBe('demo');
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'atemsys-profile-'));
    try {
      const boards = path.join(tmp, 'boards');
      await mkdir(boards);
      await copyFile(path.join(REPO_ROOT, 'boards', 'qemu-arm64.yaml'), path.join(boards, 'qemu-arm64.yaml'));
      expect((await loadAllProfiles(boards, tmp)).map((p) => p.name)).toEqual(['qemu-arm64']);
      const text = await readFile(path.join(boards, 'qemu-arm64.yaml'), 'utf8');
      await writeFile(path.join(boards, 'qemu-arm64.yaml'), text.replace(`${SCHEMA_LINE}\n`, ''));
      await expect(loadAllProfiles(boards, tmp)).rejects.toThrow(new ConfigError(`boards/qemu-arm64.yaml:1: $schema: the first line must name the profiles' JSON Schema for editors: ${fix}`));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
