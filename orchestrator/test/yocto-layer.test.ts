/**
 * meta-atemsys, read as a Yocto maintainer reads a layer: what a recipe
 * fetches exists, license checksums match the files, versions agree with
 * the module, the layer declares its series and dependencies, the kas files
 * point at real things, and the DT overlays are what `export` writes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { moduleVersion } from '../src/packaging/debpkg.ts';
import { LAYER_BOARD_CONF_DIR, LAYER_DIR, LAYER_DTS_DIR } from '../src/packaging/export.ts';
import { REPO_ROOT } from '../src/core/paths.ts';
import { layerSeriesCompat } from '../src/packaging/yocto.ts';
import { expand, readRecipe, type Vars } from './recipefile.ts';

const layer = path.join(REPO_ROOT, LAYER_DIR);
const version = moduleVersion(readFileSync(path.join(REPO_ROOT, 'src-kernel/include/uapi/atemsys.h'), 'utf8'));
const md5 = (f: string): string => createHash('md5').update(readFileSync(f)).digest('hex');
const git = (...args: string[]): string => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();

function recipes(): string[] {
  const out: string[] = [];
  for (const top of readdirSync(layer).filter((d) => d.startsWith('recipes-'))) {
    for (const sub of readdirSync(path.join(layer, top))) {
      const dir = path.join(layer, top, sub);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.bb')) out.push(path.join(dir, f));
    }
  }
  return out.sort();
}

/** PN and PV from the file name, as bitbake takes them. */
function pnpv(file: string): { PN: string; PV?: string } {
  const m = /^([^_]+)(?:_([^_]+))?\.bb$/.exec(path.basename(file));
  const PN = m?.[1] ?? '';
  return m?.[2] !== undefined ? { PN, PV: m[2] } : { PN };
}

/** A recipe's variables with the layer's and the fetch's names filled in; the checkout is this repository. */
function recipeVars(file: string): Vars {
  const { PN, PV } = pnpv(file);
  const base: Vars = new Map([
    ['PN', PN],
    ['BPN', PN],
    ['PV', PV ?? '1.0'],
    ['BP', `${PN}-${PV ?? '1.0'}`],
    ['ATEMSYS_LAYERDIR', layer],
    ['ATEMSYS_REPO', REPO_ROOT],
  ]);
  return readRecipe(file, base);
}

/** Where a recipe's S is in this repository: the checkout (${ATEMSYS_SRC}) is the repository itself. */
function sourceDir(v: Vars): string {
  const s = v.get('S') ?? '';
  expect(s, 'S must be inside the atemsys checkout').toMatch(/^\$\{ATEMSYS_SRC\}(\/|$)/);
  return path.join(REPO_ROOT, s.replace('${ATEMSYS_SRC}', ''));
}

describe('conf/layer.conf', () => {
  const conf = readFileSync(path.join(layer, 'conf/layer.conf'), 'utf8');
  it('declares the collection, its pattern, priority and dependency on core', () => {
    expect(conf).toMatch(/^BBFILE_COLLECTIONS \+= "atemsys"$/m);
    expect(conf).toMatch(/^BBFILE_PATTERN_atemsys = "\^\$\{LAYERDIR\}\/"$/m);
    expect(conf).toMatch(/^BBFILE_PRIORITY_atemsys = "\d+"$/m);
    expect(conf).toMatch(/^LAYERDEPENDS_atemsys = "core"$/m);
    expect(conf).toMatch(/^BBFILES \+= "\$\{LAYERDIR\}\/recipes-\*\/\*\/\*\.bb/m);
  });
  it('is compatible with the LTS releases scarthgap and wrynose, and whinlatter', () => {
    expect(layerSeriesCompat(conf, 'atemsys')).toEqual(expect.arrayContaining(['scarthgap', 'whinlatter', 'wrynose']));
  });
  it('has the README yocto-check-layer asks for: maintainer, patch submission, an address', () => {
    const readme = readFileSync(path.join(layer, 'README.md'), 'utf8');
    expect(readme.toLowerCase()).toContain('maintainer');
    expect(readme.toLowerCase()).toContain('patch');
    expect(readme).toMatch(/[^@\s]+@[^@\s]+\.[a-z]+/);
    // a README that names another README makes yocto-check-layer skip these checks
    expect(readme).not.toMatch(/readme/i);
    expect(existsSync(path.join(REPO_ROOT, 'SECURITY.md'))).toBe(true);
  });
});

describe('recipes', () => {
  const all = recipes();
  it('are the module, its selftests, the tools and the packagegroup', () => {
    expect(all.map((f) => path.relative(layer, f))).toEqual([
      'recipes-core/packagegroups/packagegroup-atemsys.bb',
      `recipes-kernel/atemsys/atemsys-selftest_${version}.bb`,
      `recipes-kernel/atemsys/atemsys-tools_${version}.bb`,
      `recipes-kernel/atemsys/atemsys_${version}.bb`,
    ]);
  });

  it.each(all.filter((f) => !f.includes('packagegroup')).map((f) => [path.basename(f), f]))('%s: version, license checksum, source', (_n, file) => {
    const v = recipeVars(file);
    expect(pnpv(file).PV).toBe(version);
    expect(v.get('LICENSE')).toBe('GPL-2.0-only');
    const src = sourceDir(v);
    expect(existsSync(path.join(src, 'Makefile')), `${src}/Makefile`).toBe(true);
    const lic = v.get('LIC_FILES_CHKSUM') ?? '';
    const entries = lic.trim().split(/\s+/);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      const m = /^file:\/\/([^;]+);md5=([0-9a-f]{32})$/.exec(e);
      expect(m, e).not.toBeNull();
      const f = path.resolve(src, m?.[1] ?? '');
      expect(existsSync(f), `${e}: ${f}`).toBe(true);
      expect(md5(f), `md5 of ${path.relative(REPO_ROOT, f)}`).toBe(m?.[2]);
    }
    // product builds fetch a pinned commit with git
    const uri = expand(v.get('SRC_URI') ?? '', v);
    expect(uri).toMatch(/^git:\/\//);
    expect(uri).toContain(`destsuffix=atemsys`);
    expect(v.get('SRCREV')).toMatch(/^[0-9a-f]{40}$/);
  });

  it('the module recipe: kernel-module-atemsys, autoload, probeconf, udev rule, group', () => {
    const file = all.find((f) => path.basename(f).startsWith('atemsys_')) ?? '';
    const text = readFileSync(file, 'utf8');
    const v = recipeVars(file);
    expect(text).toMatch(/^inherit module useradd$/m);
    expect(v.get('RPROVIDES:${PN}')).toContain('kernel-module-atemsys');
    expect(v.get('KERNEL_MODULE_AUTOLOAD')).toContain('atemsys');
    expect(v.get('KERNEL_MODULE_PROBECONF')).toContain('atemsys');
    expect(v.get('module_conf_atemsys')).toBeDefined();
    expect(v.get('GROUPADD_PARAM:${PN}')).toBe('--system atemsys');
    const rule = /\$\{S\}\/(\S+\.rules)/.exec(text)?.[1] ?? '';
    expect(existsSync(path.join(sourceDir(v), rule)), rule).toBe(true);
    expect(v.get('FILES:${PN}')).toContain('60-atemsys.rules');
  });

  it('the pinned SRCREV is a commit of this repository with the same module sources and version', () => {
    const v = recipeVars(path.join(layer, `recipes-kernel/atemsys/atemsys_${version}.bb`));
    const rev = v.get('SRCREV') ?? '';
    let known = true;
    try {
      git('cat-file', '-e', `${rev}^{commit}`);
    } catch {
      known = false;
    }
    if (!known && git('rev-parse', '--is-shallow-repository') === 'true') {
      // a shallow clone cannot say; a full one must
      console.warn(`SRCREV ${rev} not in this shallow clone: not checked`);
      return;
    }
    expect(known, `SRCREV ${rev} is not a commit of this repository`).toBe(true);
    const header = git('show', `${rev}:src-kernel/include/uapi/atemsys.h`);
    expect(moduleVersion(header), 'module version at SRCREV').toBe(version);
    // what the recipes build and install (documentation aside) is what HEAD has
    const changed = git('diff', '--name-only', rev, 'HEAD', '--', 'src-kernel', ':(exclude)src-kernel/**/*.md', ':(exclude)src-kernel/*.md');
    expect(changed, `src-kernel changed since SRCREV ${rev.slice(0, 12)}: set SRCREV to the last commit that changed it`).toBe('');
  });

  it('the packagegroup is machine specific and pulls the module (and the selftests and tools in -tests)', () => {
    const v = readRecipe(path.join(layer, 'recipes-core/packagegroups/packagegroup-atemsys.bb'));
    expect(v.get('PACKAGE_ARCH')).toBe('${MACHINE_ARCH}');
    expect(v.get('RDEPENDS:${PN}')).toBe('atemsys');
    expect(v.get('RDEPENDS:${PN}-tests')).toContain('atemsys-selftest');
    expect(v.get('RDEPENDS:${PN}-tests')).toContain('atemsys-tools');
  });
});

describe('device-tree overlays in the layer', () => {
  const incs = readdirSync(path.join(REPO_ROOT, LAYER_BOARD_CONF_DIR)).filter((f) => f.endsWith('.inc'));
  it('every board fragment names overlays whose sources the class finds, and a merged DTB or the RPi firmware way', () => {
    expect(incs.length).toBeGreaterThan(0);
    for (const inc of incs) {
      const v = readRecipe(path.join(REPO_ROOT, LAYER_BOARD_CONF_DIR, inc));
      expect(v.get('KERNEL_CLASSES:append'), inc).toBe(' atemsys-devicetree');
      const rpi = v.get('RPI_KERNEL_DEVICETREE_OVERLAYS:append');
      const entries = (rpi ?? v.get('KERNEL_DEVICETREE:append') ?? '').trim().split(/\s+/);
      const dtbos = entries.filter((d) => d.endsWith('.dtbo'));
      expect(dtbos.length, inc).toBeGreaterThan(0);
      for (const d of dtbos) {
        expect(d, inc).toMatch(/-atemsys\.dtbo$/);
        expect(existsSync(path.join(REPO_ROOT, LAYER_DTS_DIR, d.replace(/\.dtbo$/, '.dtso'))), `${inc}: ${d}`).toBe(true);
      }
      if (rpi !== undefined) {
        // meta-raspberrypi deploys overlays/<name>.dtbo; config.txt names <name>
        for (const d of dtbos) {
          expect(d, inc).toMatch(/^overlays\/[^/]+$/);
          expect(v.get('RPI_EXTRA_CONFIG:append'), inc).toBe(`\\ndtoverlay=${path.posix.basename(d, '.dtbo')}`);
        }
      } else {
        // the merged DTB beside each base, built from the base and the overlay the fragment names too
        const merged = entries.filter((d) => d.endsWith('.dtb'));
        expect(merged, inc).toEqual(dtbos.map((d) => d.replace(/\.dtbo$/, '.dtb')));
      }
    }
  });
  it('the class looks for them where export writes them', () => {
    const cls = readFileSync(path.join(layer, 'classes-recipe/atemsys-devicetree.bbclass'), 'utf8');
    expect(cls).toContain(`ATEMSYS_DTS_DIR ?= "\${ATEMSYS_LAYERDIR}/${path.relative(LAYER_DIR, LAYER_DTS_DIR)}"`);
    // the merged DTB by kbuild's composite rule: <name>-dtbs := <base>.dtb <name>.dtbo
    expect(cls).toContain('%s-dtbs := %s.dtb %s.dtbo');
  });
});

describe('kas files', () => {
  const kasDir = path.join(layer, 'kas');
  const files = readdirSync(kasDir).filter((f) => f.endsWith('.yml'));
  type Kas = {
    header?: { version?: number; includes?: string[] };
    machine?: string;
    repos?: Record<string, { url?: string; branch?: string; commit?: string; layers?: Record<string, unknown> } | null>;
    local_conf_header?: Record<string, string>;
  };
  const load = (f: string): Kas => parse(readFileSync(path.join(kasDir, f), 'utf8')) as Kas;

  it('include the machine files the README names', () => {
    expect(files).toEqual(expect.arrayContaining(['qemuarm64.yml', 'qemux86-64.yml', 'imx8mp-evk.yml', 'common.yml']));
  });

  it.each(files)('%s: header, includes, pinned repos, layers and required files exist', (f) => {
    const k = load(f);
    expect(k.header?.version).toBe(14);
    for (const inc of k.header?.includes ?? []) expect(existsSync(path.join(REPO_ROOT, inc)), inc).toBe(true);
    for (const [name, r] of Object.entries(k.repos ?? {})) {
      if (!r?.url) {
        // the repository of the kas file: its layers are here
        for (const l of Object.keys(r?.layers ?? {})) expect(existsSync(path.join(REPO_ROOT, l, 'conf/layer.conf')), `${name}: ${l}`).toBe(true);
        continue;
      }
      expect(r.url, name).toMatch(/^https:\/\//);
      expect(r.commit, `${name}: builds must be reproducible`).toMatch(/^[0-9a-f]{40}$/);
      expect(r.branch, name).toBeTruthy();
    }
    for (const text of Object.values(k.local_conf_header ?? {})) {
      for (const m of text.matchAll(/require (conf\/atemsys\/\S+\.inc)/g)) expect(existsSync(path.join(layer, m[1] ?? '')), m[1]).toBe(true);
    }
  });

  it('the machine files set a machine and include common.yml', () => {
    for (const f of ['qemuarm64.yml', 'qemux86-64.yml', 'imx8mp-evk.yml']) {
      const k = load(f);
      expect(k.machine, f).toBeTruthy();
      expect(k.header?.includes, f).toContain(`${LAYER_DIR}/kas/common.yml`);
    }
  });
});
