import { describe, expect, it } from 'vitest';
import { defaultCacheDir, resolvePaths } from '../src/core/paths.ts';

describe('resolvePaths', () => {
  it('keeps the cache outside the checkout by default (XDG base directory)', () => {
    const p = resolvePaths({ XDG_CACHE_HOME: '/home/u/.xdg' }, '/w/atemsys');
    expect(p.cache).toBe('/home/u/.xdg/atemsys');
    expect(p.out).toBe('/w/atemsys/out');
    expect(defaultCacheDir({}, '/root')).toBe('/root/.cache/atemsys');
  });

  it('ignores a relative XDG_CACHE_HOME, as the XDG spec says', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }, '/home/u')).toBe('/home/u/.cache/atemsys');
  });

  it('takes ATEMSYS_CACHE and ATEMSYS_OUT, resolved, over the defaults', () => {
    const p = resolvePaths({ ATEMSYS_CACHE: '/srv/c', ATEMSYS_OUT: '/srv/o', XDG_CACHE_HOME: '/x' }, '/w/a');
    expect(p.cache).toBe('/srv/c');
    expect(p.out).toBe('/srv/o');
    expect(resolvePaths({ ATEMSYS_CACHE: '  ' }, '/w/a').cache).toBe(defaultCacheDir({}));
  });
});
