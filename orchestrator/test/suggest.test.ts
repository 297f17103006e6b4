import { describe, expect, it } from 'vitest';
import { didYouMean, didYouMeanText } from '../src/core/suggest.ts';

describe('did you mean', () => {
  it('names the closest known name within two edits (or a third of its length)', () => {
    expect(didYouMean('imx6-sabrelit', ['imx6-sabrelite', 'imx8', 'zcu102'])).toBe('imx6-sabrelite');
    expect(didYouMean('flavor', ['suite', 'series', 'flavour'])).toBe('flavour');
    expect(didYouMean('qemu-x86-64-iomu', ['qemu-x86_64', 'qemu-x86_64-iommu'])).toBe('qemu-x86_64-iommu');
    expect(didYouMean('colour', ['name', 'arch', 'kernels'])).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
    expect(didYouMeanText('smoek', ['build', 'smoke'])).toBe(', did you mean "smoke"?');
    expect(didYouMeanText('zzz', ['build', 'smoke'])).toBe('');
  });
});
