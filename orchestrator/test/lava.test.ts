import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KTAP_CASE_PATTERN, LAVA_HUB_OFFSET, lavaExtraOptions, lavaJob, lavaNetdev, lavaQemuJob, lavaUbootJob, testTimeout } from '../src/lava/jobs.ts';
import { validateLavaJobs } from '../src/lava/schema.ts';
import { loopbackWarning, parseArtifactsUrl } from '../src/commands/lava.ts';
import { parseCli } from '../src/cli.ts';
import type { Manifest } from '../src/core/manifest.ts';
import { resolvePaths } from '../src/core/paths.ts';
import { loadAllProfiles, type Profile } from '../src/profile/profile.ts';

const paths = resolvePaths({});
const profiles = await loadAllProfiles(paths.boards, paths.repo);
const byName = new Map(profiles.map((p) => [p.name, p]));
const HEX = 'ab'.repeat(32);
const DIGITS = '1'.repeat(64); // all digits: YAML must keep it a string

function manifestOf(p: Profile, sha = HEX): Manifest {
  return {
    schema: 1,
    board: p.name,
    arch: p.arch,
    debianArch: 'amd64',
    kernel: { suite: 'bookworm', series: '6.1', flavour: 'amd64', abi: '6.1.0-57', release: '6.1.0-57-amd64', debianVersion: '6.1.192-3' },
    vermagic: '6.1.0-57-amd64 SMP',
    selftestArgs: p.selftest.args,
    packages: [],
    artifacts: [
      { file: 'vmlinuz', sha256: sha, size: 1 },
      { file: 'initramfs.cpio.gz', sha256: HEX, size: 1 },
    ],
    tools: { gcc: 'gcc', qemu: null, make: null, node: 'v20', orchestrator: '0' },
    git: { commit: null, dirty: null },
    createdAt: '2026-12-01T00:00:00Z',
  };
}

function board(name: string): Profile {
  const p = byName.get(name);
  if (!p) throw new Error(`no board ${name}`);
  return p;
}

const QEMU_BOARDS = ['qemu-x86_64', 'qemu-arm64', 'qemu-armhf'];

describe("a lab job's time limit", () => {
  it("is twice the kernel's smoke limit: its own timeout, else qemu.timeout", () => {
    const p = board('qemu-x86_64');
    const m = manifestOf(p);
    expect(testTimeout(p, m)).toBe(2 * (p.qemu?.timeout ?? 0));
    const slow: Profile = { ...p, kernels: p.kernels.map((k) => (k.series === '6.1' && k.flavour === 'amd64' ? { ...k, timeout: 900 } : k)) };
    expect(testTimeout(slow, m)).toBe(1800);
    const job = lavaJob(slow, m, { artifactsUrl: 'http://lab/out' });
    expect(JSON.stringify(job)).toContain('"minutes":30');
  });
});

describe('LAVA jobs for the QEMU boards', () => {
  it('pass LAVA 2023.01 strict job schema (lava_common, Debian lava-common)', async () => {
    const texts = QEMU_BOARDS.map((b) => stringify(lavaQemuJob(board(b), manifestOf(board(b), DIGITS), { artifactsUrl: 'http://127.0.0.1:8080/out' })));
    expect(await validateLavaJobs(texts)).toEqual([undefined, undefined, undefined]);
  });

  it('carries the priority and visibility asked for, which LAVA accepts', async () => {
    const p = board('qemu-x86_64');
    const job = lavaQemuJob(p, manifestOf(p), { artifactsUrl: 'http://127.0.0.1/out', priority: 'low', visibility: 'personal' });
    expect(job).toMatchObject({ priority: 'low', visibility: 'personal' });
    expect(lavaQemuJob(p, manifestOf(p), { artifactsUrl: 'http://127.0.0.1/out' })).toMatchObject({ priority: 'medium', visibility: 'public' });
    expect(await validateLavaJobs([stringify(job)])).toEqual([undefined]);
  });

  it('a broken job is refused by the same check, with LAVA saying where', async () => {
    const job = lavaQemuJob(board('qemu-x86_64'), manifestOf(board('qemu-x86_64')), { artifactsUrl: 'http://127.0.0.1/out' });
    const bad = { ...job, context: { ...(job.context as object), no_network: true } };
    const [err] = await validateLavaJobs([stringify(bad)]);
    expect(err).toMatch(/no_network|extra keys/);
  });

  it('fetch the manifest artifacts by URL with their sha256, and boot them as smoke does', () => {
    const p = board('qemu-x86_64');
    const job = lavaQemuJob(p, manifestOf(p), { artifactsUrl: 'https://lab.example/atemsys/out/' });
    const deploy = (job.actions as { deploy?: { images: Record<string, { url: string; sha256sum: string; image_arg: string }> } }[])[0]?.deploy;
    expect(deploy?.images.kernel).toEqual({
      url: 'https://lab.example/atemsys/out/qemu-x86_64/6.1.0-57-amd64/vmlinuz',
      sha256sum: HEX,
      image_arg: '-kernel {kernel} -append "console=ttyS0 panic=-1 quiet"',
    });
    expect(deploy?.images.initrd?.url).toBe('https://lab.example/atemsys/out/qemu-x86_64/6.1.0-57-amd64/initramfs.cpio.gz');
    expect(job.device_type).toBe('qemu');
    expect(job.context).toMatchObject({ arch: 'x86_64', no_kvm: true, memory: 512, netdevice: 'none' });
  });

  it('x86_64 names machine and CPU in extra_options (the template ignores them there); arm in the context', () => {
    const x = lavaQemuJob(board('qemu-x86_64'), manifestOf(board('qemu-x86_64')), { artifactsUrl: 'file:///srv/out' });
    expect((x.context as { extra_options: string[] }).extra_options.slice(0, 2)).toEqual(['-machine q35', '-cpu max']);
    const a = lavaQemuJob(board('qemu-arm64'), manifestOf(board('qemu-arm64')), { artifactsUrl: 'file:///srv/out' });
    expect(a.context).toMatchObject({ arch: 'arm64', machine: board('qemu-arm64').qemu?.machine });
    expect((a.context as { extra_options: string[] }).extra_options.join(' ')).not.toMatch(/-machine/);
  });

  it('keep the EtherCAT hub off LAVA hub 0, and leave out hot-plug, pcap and QMP', () => {
    const p = board('qemu-x86_64');
    const opts = lavaExtraOptions(p, p.qemu ?? (undefined as never)).join(' ');
    expect(opts).toContain(`-netdev hubport,id=ll0,hubid=${LAVA_HUB_OFFSET}`);
    expect(opts).not.toMatch(/hubid=0\b|filter-dump|-qmp|hpedu/);
    expect(() => lavaNetdev('dgram,id=ll0', 'imx8')).toThrow(/only hub ports/);
  });

  it('keep LAVA\'s own NIC out of the board\'s PCI slots on x86_64 ("slot 2 function 0 not available for edu")', () => {
    const x = lavaQemuJob(board('qemu-x86_64'), manifestOf(board('qemu-x86_64')), { artifactsUrl: 'file:///srv/out' });
    expect(x.context).toMatchObject({ model: 'model=ne2k_isa' });
    expect((x.context as { extra_options: string[] }).extra_options).toContain('-device edu,dma_mask=0xffffffff,addr=2');
  });

  it('refuse boards that boot a device tree or are missing an artifact', () => {
    const dt = { ...manifestOf(board('qemu-x86_64')), dt: { base: 'x.dtb', baseSha256: HEX, nodes: [], bootDtb: 'b.dtb' } };
    expect(() => lavaQemuJob(board('qemu-x86_64'), dt, { artifactsUrl: 'file:///x' })).toThrow(/U-Boot/);
    const m = { ...manifestOf(board('qemu-x86_64')), artifacts: [] };
    expect(() => lavaQemuJob(board('qemu-x86_64'), m, { artifactsUrl: 'file:///x' })).toThrow(/vmlinuz is not in its manifest/);
  });
});

/** A DT board's manifest: its DTB with the atemsys overlay among the artifacts */
function dtManifestOf(p: Profile): Manifest {
  const stem =
    (p.dt?.base ?? 'x.dtb')
      .split('/')
      .pop()
      ?.replace(/\.dtb$/, '') ?? 'x';
  const m = manifestOf(p);
  return {
    ...m,
    artifacts: [...m.artifacts, { file: `${stem}-atemsys.dtb`, sha256: HEX, size: 1 }],
    dt: { base: p.dt?.base ?? '', baseSha256: HEX, nodes: [], bootDtb: `${stem}-atemsys-qemu.dtb` },
  };
}

const DT_BOARDS: [string, string, string][] = [
  ['imx8', 'imx8mp-evk', 'image'],
  ['imx6-sabrelite', 'imx6q-sabrelite', 'zimage'],
  ['zcu102', 'xilinx-zcu102', 'image'],
];

describe('LAVA jobs for the device-tree boards (U-Boot on the real board)', () => {
  it("pass LAVA's strict schema, on the device types LAVA has for them", async () => {
    const jobs = DT_BOARDS.map(([b]) => lavaJob(board(b), dtManifestOf(board(b)), { artifactsUrl: 'http://127.0.0.1/out' }));
    expect(jobs.map((j) => j.device_type)).toEqual(DT_BOARDS.map(([, t]) => t));
    expect(await validateLavaJobs(jobs.map((j) => stringify(j)))).toEqual([undefined, undefined, undefined]);
  });

  it('boot over TFTP the DTB with the atemsys overlay, not the QEMU-only fixups; bootz for the 32-bit board', () => {
    for (const [b, , type] of DT_BOARDS) {
      const job = lavaUbootJob(board(b), dtManifestOf(board(b)), { artifactsUrl: 'file:///srv/out' });
      const deploy = (job.actions as { deploy?: { kernel: { type: string }; dtb: { url: string } } }[])[0]?.deploy;
      expect(deploy?.kernel.type).toBe(type);
      expect(deploy?.dtb.url).toMatch(/-atemsys\.dtb$/);
    }
  });

  it('say what is missing: the device type, or the DTB in the manifest', () => {
    const p = board('imx8');
    const { lava: _lava, ...noLava } = p;
    expect(() => lavaUbootJob(noLava, dtManifestOf(p), { artifactsUrl: 'file:///x' })).toThrow(/lava.device-type/);
    expect(() => lavaUbootJob(p, manifestOf(p), { artifactsUrl: 'file:///x' })).toThrow(/device tree/);
  });
});

describe('orchestrate lava: the command line', () => {
  it('takes http, https and file URLs for the artifacts, and nothing else', () => {
    expect(parseArtifactsUrl('http://127.0.0.1:8080/out/')).toBe('http://127.0.0.1:8080/out');
    expect(parseArtifactsUrl('file:///srv/out')).toBe('file:///srv/out');
    expect(() => parseArtifactsUrl(undefined)).toThrow(/--artifacts-url is required/);
    expect(() => parseArtifactsUrl('ftp://lab/out')).toThrow(/http, https or file/);
    expect(() => parseArtifactsUrl('http://lab/out?x=1')).toThrow(/without \?query/);
    expect(() => parseArtifactsUrl('lab/out')).toThrow(/not a URL/);
  });

  it('encodes the artifacts URL (a space in a path) as the jobs will carry it', () => {
    expect(parseArtifactsUrl('http://lab/atemsys builds/out/')).toBe('http://lab/atemsys%20builds/out');
    expect(parseArtifactsUrl('file:///srv/my out')).toBe('file:///srv/my%20out');
    expect(parseArtifactsUrl('http://lab/a%20b')).toBe('http://lab/a%20b');
  });

  it('refuses an artifacts URL with credentials, a control character or no directory', () => {
    expect(() => parseArtifactsUrl('http://user:secret@lab/out')).toThrow(/user name or password in the URL would be written into every job/);
    expect(() => parseArtifactsUrl('http://lab/out\nevil')).toThrow(/control character/);
    expect(() => parseArtifactsUrl('http://lab/out\tx')).toThrow(/control character/);
    expect(() => parseArtifactsUrl('file:')).toThrow(/name the directory that holds out\//);
    expect(() => parseArtifactsUrl('file:///')).toThrow(/name the directory/);
  });

  it('refuses a bad --submit before anything is written', () => {
    expect(() => parseCli(['lava', '--board', 'all', '--artifacts-url', 'http://h/out', '--submit', 'lava.lab'])).toThrow(/--submit "lava.lab": give the LAVA server's http\(s\) URL/);
    expect(parseCli(['lava', '--board', 'all', '--submit', 'https://lava.lab/'])).toMatchObject({ lavaServer: 'https://lava.lab' });
  });

  it('warns when jobs for a remote server would fetch from a loopback address', () => {
    expect(loopbackWarning('http://127.0.0.1:8080/out', 'https://lava.lab')).toMatch(/loopback address, but the jobs go to https:\/\/lava.lab/);
    expect(loopbackWarning('http://localhost/out', 'https://lava.lab')).toBeDefined();
    expect(loopbackWarning('http://[::1]/out', 'https://lava.lab')).toBeDefined();
    for (const u of ['http://0.0.0.0/out', 'http://files.localhost/out', 'http://localhost./out', 'http://[::ffff:127.0.0.1]/out', 'http://LOCALHOST/out']) {
      expect(loopbackWarning(u, 'https://lava.lab'), u).toBeDefined();
    }
    expect(loopbackWarning('http://127.0.0.1:8080/out', 'http://127.0.0.1:9999')).toBeUndefined();
    expect(loopbackWarning('http://files.lab/out', 'https://lava.lab')).toBeUndefined();
    expect(loopbackWarning('file:///srv/out', 'https://lava.lab')).toBeUndefined();
  });

  it('parses --board, --kernel and --artifacts-url', () => {
    expect(parseCli(['lava', '--board', 'all', '--kernel', '6.1', '--artifacts-url', 'http://h/out'])).toMatchObject({ command: 'lava', board: 'all', kernel: '6.1', artifactsUrl: 'http://h/out' });
    expect(() => parseCli(['lava', '--artifacts-url', 'http://h/out'])).toThrow(/--board/);
    expect(parseCli(['lava', '--board', 'all', '--priority', 'low', '--visibility', 'personal'])).toMatchObject({ priority: 'low', visibility: 'personal' });
    expect(() => parseCli(['lava', '--board', 'all', '--priority', 'urgent'])).toThrow(/--priority expects one of high, medium, low, got "urgent"/);
    expect(() => parseCli(['lava', '--board', 'all', '--visibility', 'group'])).toThrow(/--visibility expects one of public, personal/);
  });
});

describe('the KTAP monitor pattern', () => {
  // the Python pattern in JS: named groups (?P<n>…) are (?<n>…) there
  const re = new RegExp(KTAP_CASE_PATTERN.replace(/\(\?P</g, '(?<'), 'g');
  // as LAVA's buffer has it: QEMU's stdio on its terminal ends lines with \r\r\n
  const ktap = [
    'ATEMSYS-SMOKE-BEGIN',
    'KTAP version 1',
    '1..4',
    'ok 1 version',
    'not ok 2 find_by_id # no edu',
    '    ok 1 nested_one',
    'ok 3 dma_churn # SKIP no edu',
    'ok 4 fuzz',
    'ATEMSYS-SMOKE-END rc=1',
    '',
  ].join('\r\r\n');

  it('makes one case per top-level result line: pass, fail, skip; nested subtests are not cases', () => {
    const cases = [...ktap.matchAll(re)].map((m) => [m.groups?.test_case_id, m.groups?.result]);
    expect(cases).toEqual([
      ['version', 'ok'],
      ['find_by_id', 'not ok'],
      ['dma_churn', 'SKIP'],
      ['fuzz', 'ok'],
    ]);
  });
});
