/** Debian version comparison, as dpkg does it (epoch:upstream-revision, `~` sorts first). */

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebVersion(v: string): DebVersion {
  const s = v.trim();
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^\d+$/.test(e)) throw new Error(`invalid Debian version "${v}": bad epoch`);
    epoch = Number(e);
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '' || !/^[0-9]/.test(upstream)) throw new Error(`invalid Debian version "${v}": upstream must start with a digit`);
  return { epoch, upstream, revision };
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

function order(c: string): number {
  if (c === '') return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charAt(i))) || (j < b.length && !isDigit(b.charAt(j)))) {
      const ac = order(a.charAt(i));
      const bc = order(b.charAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charAt(i) === '0') i++;
    while (b.charAt(j) === '0') j++;
    while (isDigit(a.charAt(i)) && isDigit(b.charAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charAt(i))) return 1;
    if (isDigit(b.charAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** <0, 0, >0 like dpkg --compare-versions. */
export function compareDebVersions(a: string, b: string): number {
  const va = parseDebVersion(a);
  const vb = parseDebVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const u = verrevcmp(va.upstream, vb.upstream);
  if (u !== 0) return u;
  return verrevcmp(va.revision, vb.revision);
}

export function newestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const v of versions) {
    if (best === undefined || compareDebVersions(v, best) > 0) best = v;
  }
  return best;
}
