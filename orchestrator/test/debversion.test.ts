import { describe, expect, it } from 'vitest';
import { compareDebVersions, newestVersion, parseDebVersion } from '../src/debian/debversion.ts';

const sign = (n: number): number => Math.sign(n);

describe('compareDebVersions (dpkg semantics)', () => {
  it.each([
    ['6.1.192-2', '6.1.192-1', 1],
    ['6.1.192-1', '6.1.190-1', 1],
    ['6.1.99-1', '6.1.100-1', -1],
    ['6.12.117-1~deb12u1', '6.12.115-2~deb12u1', 1],
    ['6.12.95-1~bpo12+1', '6.12.95-1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0~rc1', 1],
    ['1:1.35.0-4', '1.36.0-1', 1],
    ['1.0-1', '1.0-1', 0],
    ['1.0', '1.0-0', 0],
    ['1.0a', '1.0', 1],
    ['1.0+b1', '1.0', 1],
    ['1.0.0', '1.0', 1],
    ['2.0', '10.0', -1],
    ['1.0-1+b1', '1.0-1', 1],
  ])('%s vs %s -> %i', (a, b, want) => {
    expect(sign(compareDebVersions(a, b))).toBe(want);
    expect(sign(compareDebVersions(b, a))).toBe(want === 0 ? 0 : -want);
  });

  it('parses epoch, upstream and revision', () => {
    expect(parseDebVersion('1:1.35.0-4+deb12u1+b1')).toEqual({ epoch: 1, upstream: '1.35.0', revision: '4+deb12u1+b1' });
    expect(parseDebVersion('6.12.117-1~deb12u1')).toEqual({ epoch: 0, upstream: '6.12.117', revision: '1~deb12u1' });
    expect(parseDebVersion('2.0')).toEqual({ epoch: 0, upstream: '2.0', revision: '' });
  });

  it('rejects malformed versions', () => {
    expect(() => parseDebVersion('x:1.0')).toThrow(/bad epoch/);
    expect(() => parseDebVersion('abc')).toThrow(/start with a digit/);
  });

  it('picks the newest', () => {
    expect(newestVersion(['6.1.176-1', '6.1.192-2', '6.1.192-1'])).toBe('6.1.192-2');
    expect(newestVersion([])).toBeUndefined();
  });
});
