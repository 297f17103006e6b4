/**
 * The host's Debian archive entries, read from /etc/apt (one-line `.list` and
 * deb822 `.sources`), reduced to the suites of one release, plus its
 * backports suite on the same URI. Pure parsing; `readHostSources` does the I/O.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { defaultSuite } from './suites.ts';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  /** Signed-By value: a keyring path, or an inline key (deb822 only). */
  signedBy?: string;
  /** Where it came from, for messages. */
  origin: string;
}

/** Parse one-line style sources (`deb [opts] uri suite comp...`). Only `deb` lines are returned. */
export function parseOneLineSources(text: string, origin: string): AptSource[] {
  const out: AptSource[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (!m || m[1] !== 'deb') return;
    const opts = m[2] ?? '';
    const uri = m[3] ?? '';
    const suite = m[4] ?? '';
    const components = (m[5] ?? '').trim().split(/\s+/).filter(Boolean);
    const src: AptSource = { uri, suites: [suite], components, origin: `${origin}:${idx + 1}` };
    const sb = /(?:^|\s)signed-by=(\S+)/.exec(opts);
    if (sb?.[1]) src.signedBy = sb[1];
    out.push(src);
  });
  return out;
}

/** Parse deb822 `.sources` text. Only stanzas with Types including `deb` and not `Enabled: no`. */
export function parseDeb822Sources(text: string, origin: string): AptSource[] {
  const out: AptSource[] = [];
  const stanzas: { fields: Map<string, string>; line: number }[] = [];
  let cur: { fields: Map<string, string>; line: number } | undefined;
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, idx) => {
    if (raw.startsWith('#')) return;
    if (raw.trim() === '') {
      cur = undefined;
      lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw)) {
      if (cur && lastKey !== undefined) {
        const cont = raw.trim() === '.' ? '' : raw.trim();
        cur.fields.set(lastKey, `${cur.fields.get(lastKey) ?? ''}\n${cont}`);
      }
      return;
    }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
    if (!m) return;
    if (!cur) {
      cur = { fields: new Map(), line: idx + 1 };
      stanzas.push(cur);
    }
    lastKey = (m[1] ?? '').toLowerCase();
    cur.fields.set(lastKey, (m[2] ?? '').trim());
  });
  for (const st of stanzas) {
    const f = st.fields;
    const words = (k: string): string[] => (f.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb')) continue;
    if ((f.get('enabled') ?? 'yes').trim().toLowerCase() === 'no') continue;
    const suites = words('suites');
    const components = words('components');
    for (const uri of words('uris')) {
      const src: AptSource = { uri, suites, components, origin: `${origin}:${st.line}` };
      const sb = f.get('signed-by');
      if (sb !== undefined && sb.trim() !== '') src.signedBy = sb.trim();
      out.push(src);
    }
  }
  return out;
}

/**
 * Keep only the entries of Debian release `codename` (suites `codename` and
 * `codename-*`), and add `codename-backports` on every URI that carries
 * `codename` itself. Entries with no matching suite are dropped.
 */
export function debianArchiveSources(all: AptSource[], codename: string = defaultSuite().codename): AptSource[] {
  const re = new RegExp(`^${codename}(-[a-z]+)?$`);
  const out: AptSource[] = [];
  for (const s of all) {
    const suites = s.suites.filter((x) => re.test(x));
    if (suites.length === 0 || s.components.length === 0) continue;
    out.push({ ...s, suites });
  }
  const have = new Set(out.flatMap((s) => s.suites.map((x) => `${normUri(s.uri)} ${x}`)));
  const extra: AptSource[] = [];
  for (const s of out) {
    const bp = `${codename}-backports`;
    const key = `${normUri(s.uri)} ${bp}`;
    if (s.suites.includes(codename) && !have.has(key)) {
      have.add(key);
      const e: AptSource = { uri: s.uri, suites: [bp], components: s.components, origin: `${s.origin} (+backports)` };
      if (s.signedBy !== undefined) e.signedBy = s.signedBy;
      extra.push(e);
    }
  }
  return [...out, ...extra];
}

/**
 * The host's Debian archive entry (any entry naming a known release or its
 * -updates/-backports suite; -security lives elsewhere), or undefined: the
 * URI, components and keyring the private apt states copy, whatever release
 * the host runs.
 */
export function debianArchiveBase(all: AptSource[], codenames: readonly string[]): AptSource | undefined {
  const re = new RegExp(`^(${codenames.join('|')})(-updates|-backports)?$`);
  return all.find((s) => s.components.includes('main') && s.suites.some((x) => re.test(x)));
}

/** The host's Debian security archive entry (a suite "<codename>-security"), or undefined. */
export function debianSecurityBase(all: AptSource[], codenames: readonly string[]): AptSource | undefined {
  const re = new RegExp(`^(${codenames.join('|')})-security$`);
  return all.find((s) => s.components.includes('main') && s.suites.some((x) => re.test(x)));
}

/**
 * The sources of a private state for `pockets`: the -security ones on the
 * host's security archive (left out when the host has none), the rest on
 * its main archive.
 */
export function privateSources(host: AptSource[], codenames: readonly string[], pockets: readonly string[], why: string): AptSource[] | undefined {
  const base = debianArchiveBase(host, codenames);
  if (!base) return undefined;
  const security = debianSecurityBase(host, codenames);
  const sec = pockets.filter((p) => p.endsWith('-security'));
  const out = [
    archiveSource(
      base,
      pockets.filter((p) => !p.endsWith('-security')),
      why,
    ),
  ];
  if (security && sec.length > 0) out.push(archiveSource(security, sec, why));
  return out;
}

/** One source on `base`'s URI and keyring with the given suites (component main). */
export function archiveSource(base: AptSource, suites: readonly string[], why: string): AptSource {
  const src: AptSource = { uri: base.uri, suites: [...suites], components: ['main'], origin: `${base.origin} (${why})` };
  if (base.signedBy !== undefined) src.signedBy = base.signedBy;
  return src;
}

function normUri(uri: string): string {
  return uri.replace(/\/+$/, '');
}

/** deb822 text for a private apt state (no Architectures: the state's APT::Architecture decides). */
export function renderDeb822(sources: AptSource[], types: readonly string[] = ['deb']): string {
  return sources
    .map((s) => {
      const lines = [`# from ${s.origin}`, `Types: ${types.join(' ')}`, `URIs: ${s.uri}`, `Suites: ${s.suites.join(' ')}`, `Components: ${s.components.join(' ')}`];
      if (s.signedBy !== undefined) {
        const [first, ...rest] = s.signedBy.split('\n');
        lines.push(`Signed-By: ${first ?? ''}`);
        for (const r of rest) lines.push(` ${r === '' ? '.' : r}`);
      }
      return `${lines.join('\n')}\n`;
    })
    .join('\n');
}

/** Read /etc/apt/sources.list, sources.list.d/*.list and *.sources (other names are ignored, as apt does). */
export async function readHostSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const main = path.join(etcApt, 'sources.list');
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text !== undefined) out.push(...parseOneLineSources(text, main));
  const dir = path.join(etcApt, 'sources.list.d');
  const files = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const f of files) {
    const p = path.join(dir, f);
    if (f.endsWith('.list')) out.push(...parseOneLineSources(await readFile(p, 'utf8'), p));
    else if (f.endsWith('.sources')) out.push(...parseDeb822Sources(await readFile(p, 'utf8'), p));
  }
  return out;
}
