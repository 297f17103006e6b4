import { describe, expect, it } from 'vitest';
import { archiveSource, debianArchiveBase, debianSecurityBase, privateSources, type AptSource } from '../src/debian/aptsources.ts';
import { bootPockets, hostSuite, inSuite, knownCodenames, needsBuildRoot, originPocket, suiteByName } from '../src/debian/suites.ts';
import { bindSet, chrootArgs, compilerPackage, dependsNames, kernelCompiler, suiteRootDir } from '../src/debian/suiteroot.ts';

describe('Debian suites as data', () => {
  it('reads the pocket of a madison origin and places it in a suite', () => {
    const o = 'http://mirror/debian-security trixie-security/main arm64 Packages';
    expect(originPocket(o)).toBe('trixie-security');
    expect(inSuite(o, 'trixie')).toBe(true);
    expect(inSuite(o, 'bookworm')).toBe(false);
    expect(inSuite('http://m/debian bookworm-backports/main amd64 Packages', 'bookworm')).toBe(false);
    expect(inSuite('http://m/debian bookworm-backports/main amd64 Packages', 'bookworm-backports')).toBe(true);
    expect(originPocket('garbage')).toBeUndefined();
  });

  it('carries every boot suite once, security included', () => {
    expect(bootPockets()).toEqual(['bookworm', 'bookworm-updates', 'bookworm-security', 'bookworm-backports', 'trixie', 'trixie-updates', 'trixie-security', 'sid']);
  });

  it('builds in a chroot only what is newer than the host', () => {
    const bookworm = hostSuite('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n');
    expect(bookworm?.name).toBe('bookworm');
    expect(needsBuildRoot('bookworm', bookworm)).toBe(false);
    expect(needsBuildRoot('bookworm-backports', bookworm)).toBe(false);
    expect(needsBuildRoot('trixie', bookworm)).toBe(true);
    expect(needsBuildRoot('sid', bookworm)).toBe(true);
    const trixie = hostSuite('VERSION_CODENAME=trixie\n');
    expect(needsBuildRoot('trixie', trixie)).toBe(false);
    expect(needsBuildRoot('bookworm', trixie)).toBe(false);
    expect(needsBuildRoot('sid', trixie)).toBe(true);
    // an unknown host (Ubuntu, say): everything in a chroot
    expect(needsBuildRoot('bookworm', hostSuite('VERSION_CODENAME=noble\n'))).toBe(true);
    expect(suiteByName('trixie')?.gcc).toBe('14');
  });
});

describe('private apt sources from the host', () => {
  const main: AptSource = { uri: 'http://m/debian', suites: ['trixie', 'trixie-updates'], components: ['main'], signedBy: '/k.gpg', origin: 'debian.sources:1' };
  const sec: AptSource = { uri: 'http://m/debian-security', suites: ['trixie-security'], components: ['main'], origin: 'debian.sources:7' };
  it('take the archive and security URIs of whatever release the host runs', () => {
    expect(debianArchiveBase([sec, main], knownCodenames())).toBe(main);
    expect(debianSecurityBase([main, sec], knownCodenames())).toBe(sec);
    const out = privateSources([main, sec], knownCodenames(), ['bookworm', 'bookworm-security', 'sid'], 'why');
    expect(out).toEqual([
      { uri: 'http://m/debian', suites: ['bookworm', 'sid'], components: ['main'], signedBy: '/k.gpg', origin: 'debian.sources:1 (why)' },
      { uri: 'http://m/debian-security', suites: ['bookworm-security'], components: ['main'], origin: 'debian.sources:7 (why)' },
    ]);
    expect(privateSources([main], knownCodenames(), ['bookworm-security', 'trixie'], 'w')).toHaveLength(1);
    expect(privateSources([sec], knownCodenames(), ['trixie'], 'w')).toBeUndefined();
    expect(archiveSource(main, ['sid'], 'x').suites).toEqual(['sid']);
  });
});

describe('suite build roots', () => {
  it('read the compiler a Debian headers tree names', () => {
    expect(kernelCompiler('override ARCH = x86\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-14\n')).toBe('gcc-14');
    expect(kernelCompiler('CC = gcc\n')).toBeUndefined();
    expect(compilerPackage('gcc-14', 'x86_64-linux-gnu')).toBe('gcc-14');
    expect(compilerPackage('gcc-14', 'aarch64-linux-gnu')).toBe('gcc-14-aarch64-linux-gnu');
  });

  it('take the first alternative of each dependency, without versions', () => {
    expect(dependsNames('libc6 (>= 2.38), libelf1t64 (>= 0.142) | libelf1, python3:any, libzstd1')).toEqual(['libc6', 'libelf1t64', 'python3', 'libzstd1']);
  });

  it('key the root by its package list, whatever the order', () => {
    expect(suiteRootDir('/c', 'trixie', ['make', 'gcc-14'])).toBe(suiteRootDir('/c', 'trixie', ['gcc-14', 'make']));
    expect(suiteRootDir('/c', 'trixie', ['make'])).not.toBe(suiteRootDir('/c', 'trixie', ['make', 'gcc-14']));
  });

  it('bind the fewest directories and run the command chrooted in a private mount namespace', () => {
    expect(bindSet(['/w/main', '/w/main/.cache', '/w/main/out', '/srv/cache'])).toEqual(['/srv/cache', '/w/main']);
    const a = chrootArgs('/r', ['/w/main'], ['make', '-C', '/w/main/x']);
    expect(a.slice(0, 4)).toEqual(['--mount', '--propagation', 'private', '--']);
    expect(a.slice(-6)).toEqual(['/r', '/w/main', '--', 'make', '-C', '/w/main/x']);
  });
});
