import { describe, expect, it } from 'vitest';
import { debianArchiveSources, parseDeb822Sources, parseOneLineSources, renderDeb822 } from '../src/debian/aptsources.ts';

const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: https://other.example/node_20.x
Suites: nodistro
Components: main
Architectures: amd64

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
`;

describe('parseDeb822Sources', () => {
  it('reads deb stanzas, skipping comments, deb-src-only and disabled ones', () => {
    const s = parseDeb822Sources(DEB822, 'x.sources');
    expect(s.map((x) => [x.uri, x.suites.join(' '), x.components.join(' ')])).toEqual([
      ['http://mirror.example/debian', 'bookworm bookworm-updates', 'main'],
      ['http://mirror.example/debian-security', 'bookworm-security', 'main non-free-firmware'],
      ['https://other.example/node_20.x', 'nodistro', 'main'],
    ]);
    expect(s[0]?.signedBy).toBe('/usr/share/keyrings/debian-archive-keyring.gpg');
    expect(s[0]?.origin).toBe('x.sources:1');
  });

  it('keeps an inline multi-line Signed-By key', () => {
    const text = 'Types: deb\nURIs: http://m/debian\nSuites: bookworm\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n';
    const [s] = parseDeb822Sources(text, 'k.sources');
    expect(s?.signedBy).toBe('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----');
    expect(renderDeb822(s ? [s] : [])).toContain('Signed-By: -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n');
  });

  it('one stanza per URI', () => {
    const s = parseDeb822Sources('Types: deb\nURIs: http://a/debian http://b/debian\nSuites: bookworm\nComponents: main\n', 'f');
    expect(s.map((x) => x.uri)).toEqual(['http://a/debian', 'http://b/debian']);
  });
});

describe('parseOneLineSources', () => {
  it('reads deb lines with options, ignores deb-src and comments', () => {
    const s = parseOneLineSources(
      [
        '# comment',
        'deb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main contrib',
        'deb-src http://m/debian bookworm main',
        'deb http://m/debian-security bookworm-security main # trailing',
        'garbage line',
        '',
      ].join('\n'),
      'sources.list',
    );
    expect(s).toEqual([
      { uri: 'http://m/debian', suites: ['bookworm'], components: ['main', 'contrib'], signedBy: '/k.gpg', origin: 'sources.list:2' },
      { uri: 'http://m/debian-security', suites: ['bookworm-security'], components: ['main'], origin: 'sources.list:4' },
    ]);
  });
});

describe('debianArchiveSources', () => {
  it('keeps only bookworm* suites and adds backports beside bookworm', () => {
    const all = [...parseDeb822Sources(DEB822, 'x.sources'), ...parseOneLineSources('deb https://packages.example/apt cloud-sdk-bookworm main\ndeb http://m2/debian trixie main\n', 'l')];
    const s = debianArchiveSources(all);
    expect(s.map((x) => `${x.uri} ${x.suites.join(',')}`)).toEqual([
      'http://mirror.example/debian bookworm,bookworm-updates',
      'http://mirror.example/debian-security bookworm-security',
      'http://mirror.example/debian bookworm-backports',
    ]);
    expect(s[2]?.signedBy).toBe('/usr/share/keyrings/debian-archive-keyring.gpg');
    expect(s[2]?.components).toEqual(['main']);
  });

  it('does not add backports twice', () => {
    const s = debianArchiveSources(parseOneLineSources('deb http://m/debian bookworm main\ndeb http://m/debian/ bookworm-backports main\n', 'l'));
    expect(s.filter((x) => x.suites.includes('bookworm-backports'))).toHaveLength(1);
  });

  it('returns nothing when the host has no Debian archive entry', () => {
    expect(debianArchiveSources(parseOneLineSources('deb http://ubuntu/ jammy main\n', 'l'))).toEqual([]);
  });

  it('renders deb822 without Architectures', () => {
    const text = renderDeb822(debianArchiveSources(parseDeb822Sources(DEB822, 'x.sources')));
    expect(text).not.toContain('Architectures');
    expect(text).toContain('Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
  });
});
