import { describe, expect, it } from 'vitest';
import { compressionOf, indexModules, loadOrder, moduleName, onDemandFile, parseBuiltin, parseDepends } from '../src/kernel/moddeps.ts';

describe('module names and files', () => {
  it('spells names as depends does', () => {
    expect(moduleName('kernel/drivers/nvmem/nvmem-imx-ocotp.ko')).toBe('nvmem_imx_ocotp');
    expect(moduleName('libphy.ko.xz')).toBe('libphy');
    expect(moduleName('of_mdio.ko.zst')).toBe('of_mdio');
    expect(moduleName('gpio-mxc')).toBe('gpio_mxc');
    expect(compressionOf('a.ko')).toBe('none');
    expect(compressionOf('a.ko.xz')).toBe('xz');
    expect(compressionOf('a.ko.zst')).toBe('zst');
    expect(compressionOf('a.ko.gz')).toBe('gz');
    expect(compressionOf('modules.order')).toBeUndefined();
  });

  it('parses modinfo -F depends output', () => {
    expect(parseDepends('libphy,of_mdio\n')).toEqual(['libphy', 'of_mdio']);
    expect(parseDepends('\n')).toEqual([]);
    expect(parseDepends(' fwnode-mdio , libphy')).toEqual(['fwnode_mdio', 'libphy']);
  });

  it('indexes the image modules by name, first file wins, other files ignored', () => {
    const idx = indexModules(['kernel/drivers/net/phy/libphy.ko', 'kernel/x/nvmem-imx-ocotp.ko.xz', 'updates/libphy.ko', 'modules.builtin']);
    expect([...idx]).toEqual([
      ['libphy', 'kernel/drivers/net/phy/libphy.ko'],
      ['nvmem_imx_ocotp', 'kernel/x/nvmem-imx-ocotp.ko.xz'],
    ]);
  });

  it('reads modules.builtin', () => {
    expect([...parseBuiltin('kernel/drivers/gpio/gpio-mxc.ko\n\nkernel/fs/ext4/ext4.ko\n')]).toEqual(['gpio_mxc', 'ext4']);
  });
});

describe('loadOrder', () => {
  // Debian 6.1 arm64: of_mdio -> fwnode_mdio, libphy, fixed_phy; fwnode_mdio -> libphy; fixed_phy -> libphy
  const deps = new Map<string, string[]>([
    ['libphy', []],
    ['of_mdio', ['fwnode_mdio', 'libphy', 'fixed_phy']],
    ['fwnode_mdio', ['libphy']],
    ['fixed_phy', ['libphy']],
    ['imx2_wdt', []],
  ]);

  it('puts every module after its dependencies, each once', () => {
    expect(loadOrder(['libphy', 'of_mdio'], deps)).toEqual(['libphy', 'fwnode_mdio', 'fixed_phy', 'of_mdio']);
    expect(loadOrder(['of_mdio', 'libphy'], deps)).toEqual(['libphy', 'fwnode_mdio', 'fixed_phy', 'of_mdio']);
  });

  it('keeps the roots in their order otherwise (extra modules first)', () => {
    expect(loadOrder(['imx2_wdt', 'libphy'], deps)).toEqual(['imx2_wdt', 'libphy']);
  });

  it('is empty when nothing is needed (today PCI-only atemsys)', () => {
    expect(loadOrder([], deps)).toEqual([]);
  });

  it('refuses a cycle and an unknown module', () => {
    const cyc = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(() => loadOrder(['a'], cyc)).toThrow('module dependency cycle: a -> b -> c -> a');
    expect(() => loadOrder(['of_mdio'], new Map([['of_mdio', ['nope']]]))).toThrow('module nope: dependencies unknown (needed by of_mdio)');
  });
});

describe('onDemandFile (lib/modules/modules.ondemand)', () => {
  it('gives each requested module its full load order, itself last; a built-in one an empty line', () => {
    expect(
      onDemandFile([
        { name: 'e1000e', load: ['e1000e'] },
        { name: 'uio_pci_generic', load: ['uio', 'uio_pci_generic'] },
        {
          name: 'vfio_pci',
          load: loadOrder(
            ['vfio_pci'],
            new Map([
              ['vfio_pci', ['vfio_pci_core', 'vfio']],
              ['vfio_pci_core', ['vfio', 'irqbypass']],
              ['vfio', []],
              ['irqbypass', []],
            ]),
          ),
        },
        { name: 'vfio_iommu_type1', load: [] },
      ]),
    ).toBe('e1000e: e1000e\nuio_pci_generic: uio uio_pci_generic\nvfio_pci: vfio irqbypass vfio_pci_core vfio_pci\nvfio_iommu_type1:\n');
    expect(onDemandFile([])).toBe('');
  });
});
