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

  it('prefers the one name the given one begins or is begun by, and ignores case', () => {
    expect(didYouMean('imx6', ['imx6-sabrelite', 'imx8', 'zcu102'])).toBe('imx6-sabrelite');
    expect(didYouMean('mem', ['machine', 'memory', 'cpu'])).toBe('memory');
    expect(didYouMean('IMX8', ['imx6-sabrelite', 'imx8'])).toBe('imx8');
    expect(didYouMean('Smoke', ['build', 'smoke'])).toBe('smoke');
    // two names begin with it: no guess
    expect(didYouMean('qemu', ['qemu-arm64', 'qemu-armhf'])).toBeUndefined();
    // several share the prefix: not the closest short name instead (a newcomer's --only hot gave "dt")
    expect(didYouMean('hot', ['dt', 'll', 'hot_remove_waits', 'hot_unplug_qmp'])).toBeUndefined();
    expect(didYouMean('dma', ['dt', 'pci', 'dma_alloc', 'dma_free'])).toBeUndefined();
    expect(didYouMean('dma', ['dt', 'pci'])).toBeUndefined();
  });
});
