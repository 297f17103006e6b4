import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactInfo, buildManifest, firstLine, manifestMismatch, parseGit, renderManifest, sha256File, writeFileAtomic } from '../src/core/manifest.ts';

describe('manifest', () => {
  it('takes the first line of --version output', () => {
    expect(firstLine('\nQEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright (c) 2003-2022\n')).toBe('QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)');
    expect(firstLine('')).toBe('');
  });

  it('reads git commit and dirtiness', () => {
    const sha = 'a'.repeat(40);
    expect(parseGit(`${sha}\n`, '')).toEqual({ commit: sha, dirty: false });
    expect(parseGit(sha, ' M src-kernel/atemsys_main.c\n')).toEqual({ commit: sha, dirty: true });
    expect(parseGit(null, null)).toEqual({ commit: null, dirty: null });
    expect(parseGit('fatal: not a git repository', '')).toEqual({ commit: null, dirty: null });
  });

  it('builds a sorted, dated manifest', () => {
    const m = buildManifest({
      board: 'qemu-arm64',
      arch: 'arm64',
      debianArch: 'arm64',
      kernel: { suite: 'bookworm', series: '6.1', flavour: 'arm64', abi: '6.1.0-56', release: '6.1.0-56-arm64', debianVersion: '6.1.192-2' },
      vermagic: '6.1.0-56-arm64 SMP mod_unload modversions aarch64',
      selftestArgs: [],
      packages: [
        { name: 'linux-kbuild-6.1', version: '6.1.192-2', arch: 'amd64', file: 'k.deb' },
        { name: 'busybox-static', version: '1:1.35.0-4', arch: 'arm64', file: 'b.deb' },
      ],
      artifacts: [
        { file: 'vmlinuz', sha256: 'b', size: 2 },
        { file: 'atemsys.ko', sha256: 'a', size: 1 },
      ],
      tools: { gcc: 'aarch64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0', qemu: null, make: null, node: 'v20', orchestrator: '0.1.0' },
      git: { commit: null, dirty: null },
      createdAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(m.schema).toBe(1);
    expect(m.packages.map((p) => p.name)).toEqual(['busybox-static', 'linux-kbuild-6.1']);
    expect(m.artifacts.map((a) => a.file)).toEqual(['atemsys.ko', 'vmlinuz']);
    expect(m.createdAt).toBe('2025-01-02T03:04:05.000Z');
    expect(JSON.parse(renderManifest(m))).toEqual(m);
  });

  it('hashes files with sha256', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-mf-'));
    try {
      await writeFile(path.join(dir, 'x'), 'abc');
      expect(await sha256File(path.join(dir, 'x'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(await artifactInfo(dir, 'x')).toEqual({ file: 'x', sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('interrupted builds are not trusted', () => {
  it('manifestMismatch: torn, rewritten or missing artifacts and a missing or torn manifest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'atemsys-manifest-'));
    await writeFile(path.join(dir, 'atemsys.ko'), 'module bytes');
    await writeFile(path.join(dir, 'initramfs.cpio.gz'), 'initramfs bytes');
    const artifacts = [await artifactInfo(dir, 'atemsys.ko'), await artifactInfo(dir, 'initramfs.cpio.gz')];
    await writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify({ artifacts }));
    expect(await manifestMismatch(dir, 'manifest.json')).toBeUndefined();
    // an /init built for other selftest groups is a different build
    await writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify({ artifacts, selftestArgs: ['--group', 'pci,ll'] }));
    expect(await manifestMismatch(dir, 'manifest.json', ['--group', 'pci,ll'])).toBeUndefined();
    expect(await manifestMismatch(dir, 'manifest.json', ['--group', 'pci,ll,fuzz'])).toMatch(/^built with selftest arguments \["--group","pci,ll"\], wanted/);

    await truncate(path.join(dir, 'initramfs.cpio.gz'), 4);
    expect(await manifestMismatch(dir, 'manifest.json')).toBe('initramfs.cpio.gz has 4 bytes, the manifest says 15');
    await writeFile(path.join(dir, 'initramfs.cpio.gz'), 'initramfs BYTES');
    expect(await manifestMismatch(dir, 'manifest.json')).toMatch(/initramfs.cpio.gz does not match its sha256/);
    await rm(path.join(dir, 'atemsys.ko'));
    expect(await manifestMismatch(dir, 'manifest.json')).toBe('atemsys.ko is missing');

    await writeFile(path.join(dir, 'manifest.json'), '{"artifacts": [');
    expect(await manifestMismatch(dir, 'manifest.json')).toMatch(/^manifest.json: /);
    await rm(path.join(dir, 'manifest.json'));
    expect(await manifestMismatch(dir, 'manifest.json')).toMatch(/^manifest.json: ENOENT/);
    await rm(dir, { recursive: true });
  });
});
