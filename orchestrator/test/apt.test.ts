import { describe, expect, it } from 'vitest';
import { aptStateOptions, debFilePrefix, parseMadison, parseShowSha256, updateProblems } from '../src/debian/apt.ts';

describe('aptStateOptions', () => {
  it('points every apt directory into the private state and sets the architecture', () => {
    const o = aptStateOptions('/c/apt/arm64', 'arm64', true);
    const kv = new Map<string, string>();
    for (let i = 0; i < o.length; i += 2) {
      expect(o[i]).toBe('-o');
      const [k, ...v] = (o[i + 1] ?? '').split('=');
      kv.set(k ?? '', v.join('='));
    }
    expect(kv.get('Dir::Etc::sourcelist')).toBe('/c/apt/arm64/sources.list');
    expect(kv.get('Dir::Etc::sourceparts')).toBe('/c/apt/arm64/sources.list.d');
    expect(kv.get('Dir::State::lists')).toBe('/c/apt/arm64/lists');
    expect(kv.get('Dir::State::status')).toBe('/c/apt/arm64/status');
    expect(kv.get('Dir::Cache')).toBe('/c/apt/arm64/cache');
    // named, so a host that turns them off (docker-clean) still keeps them
    expect(kv.get('Dir::Cache::pkgcache')).toBe('/c/apt/arm64/cache/pkgcache.bin');
    expect(kv.get('Dir::Cache::srcpkgcache')).toBe('/c/apt/arm64/cache/srcpkgcache.bin');
    expect(kv.get('APT::Architecture')).toBe('arm64');
    expect(kv.get('APT::Architectures::')).toBe('arm64');
    expect(kv.get('APT::Sandbox::User')).toBe('root');
    expect(aptStateOptions('/x', 'armhf', false).join(' ')).not.toContain('Sandbox');
  });
});

describe('parseMadison', () => {
  it('parses and de-duplicates name/version across suites', () => {
    const text = [
      ' linux-kbuild-6.1 |  6.1.192-2 | http://m/debian-security bookworm-security/main amd64 Packages',
      ' linux-kbuild-6.1 |  6.1.176-1 | http://m/debian bookworm/main amd64 Packages',
      'linux-image-6.1.0-50-amd64 |  6.1.176-1 | http://m/debian bookworm/main amd64 Packages',
      'linux-image-6.1.0-50-amd64 |  6.1.176-1 | http://m/debian-security bookworm-security/main amd64 Packages',
      'N: Unable to locate package foo',
      'busybox-static | 1:1.35.0-4+deb12u1+b1 | http://m/debian bookworm/main arm64 Packages',
      '',
    ].join('\n');
    expect(parseMadison(text)).toEqual([
      { name: 'linux-kbuild-6.1', version: '6.1.192-2', origin: 'http://m/debian-security bookworm-security/main amd64 Packages' },
      { name: 'linux-kbuild-6.1', version: '6.1.176-1', origin: 'http://m/debian bookworm/main amd64 Packages' },
      { name: 'linux-image-6.1.0-50-amd64', version: '6.1.176-1', origin: 'http://m/debian bookworm/main amd64 Packages' },
      { name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1', origin: 'http://m/debian bookworm/main arm64 Packages' },
    ]);
  });
});

describe('debFilePrefix', () => {
  it('escapes the epoch colon like apt-get download', () => {
    expect(debFilePrefix('busybox-static', '1:1.35.0-4+deb12u1+b1')).toBe('busybox-static_1%3a1.35.0-4+deb12u1+b1_');
    expect(debFilePrefix('linux-kbuild-6.1', '6.1.192-2')).toBe('linux-kbuild-6.1_6.1.192-2_');
  });
});

describe('updateProblems', () => {
  it('keeps E:/W:/Err: lines, not the sandbox notice', () => {
    const out = [
      'Hit:1 http://m/debian bookworm InRelease',
      'Err:5 http://m/debian-security bookworm-security/main armhf Packages',
      '  File has unexpected size (123 != 456). Mirror sync in progress? [IP: 1.2.3.4 80]',
      "W: Download is performed unsandboxed as root as file couldn't be accessed by user '_apt'.",
      'E: Failed to fetch http://m/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size',
      'E: Some index files failed to download. They have been ignored, or old ones used instead.',
    ].join('\n');
    expect(updateProblems(out)).toEqual([
      'Err:5 http://m/debian-security bookworm-security/main armhf Packages',
      'E: Failed to fetch http://m/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size',
      'E: Some index files failed to download. They have been ignored, or old ones used instead.',
    ]);
  });
});

describe('parseShowSha256', () => {
  it('takes the SHA256 field of each stanza of apt-cache show, nothing else', () => {
    const a = 'a'.repeat(64);
    const b = '0123456789abcdef'.repeat(4);
    const text = `Package: busybox-static\nVersion: 1:1.36.1-9\nMD5sum: ${'f'.repeat(32)}\nSHA256: ${a}\nDescription: x\n SHA256: ${b}\n\nPackage: busybox-static\nSHA256: ${b}\n`;
    expect(parseShowSha256(text)).toEqual([a, b]);
    expect(parseShowSha256('N: Unable to locate package x\n')).toEqual([]);
  });
});
