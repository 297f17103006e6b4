/**
 * br2-external, read as a Buildroot maintainer reads an external tree
 * (the conventions utils/check-package and the manual ask for), and its
 * board scripts run for real on a scratch target and images directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleVersion } from '../src/packaging/debpkg.ts';
import { BR2_DIR } from '../src/packaging/export.ts';
import { REPO_ROOT } from '../src/core/paths.ts';
import { readMk } from './recipefile.ts';

const br2 = path.join(REPO_ROOT, BR2_DIR);
const version = moduleVersion(readFileSync(path.join(REPO_ROOT, 'src-kernel/include/uapi/atemsys.h'), 'utf8'));
const packages = readdirSync(path.join(br2, 'package')).sort();
const upper = (name: string): string => name.toUpperCase().replace(/-/g, '_');
/** $(BR2_EXTERNAL_ATEMSYS_PATH) as Buildroot sets it */
const resolve = (v: string): string => v.replace('$(BR2_EXTERNAL_ATEMSYS_PATH)', br2);

describe('the external tree', () => {
  it('is named ATEMSYS and includes every package', () => {
    expect(readFileSync(path.join(br2, 'external.desc'), 'utf8')).toMatch(/^name: ATEMSYS$/m);
    const config = readFileSync(path.join(br2, 'Config.in'), 'utf8');
    for (const p of packages) expect(config).toContain(`source "$BR2_EXTERNAL_ATEMSYS_PATH/package/${p}/Config.in"`);
    expect(readFileSync(path.join(br2, 'external.mk'), 'utf8')).toContain('$(BR2_EXTERNAL_ATEMSYS_PATH)/package/*/*.mk');
    expect(packages).toEqual(['atemsys', 'atemsys-selftest', 'atemsys-tools']);
  });
});

describe.each(packages)('package %s', (name) => {
  const dir = path.join(br2, 'package', name);
  const mkFile = path.join(dir, `${name}.mk`);
  const U = upper(name);
  const mk = readFileSync(mkFile, 'utf8');
  const vars = readMk(mkFile);

  it('has <name>.mk with the standard header, and Config.in with BR2_PACKAGE_<NAME>', () => {
    const bar = '#'.repeat(80);
    expect(mk.startsWith(`${bar}\n#\n# ${name}\n#\n${bar}\n`)).toBe(true);
    expect(readFileSync(path.join(dir, 'Config.in'), 'utf8')).toMatch(new RegExp(`^config BR2_PACKAGE_${U}\\n\\tbool "${name}"$`, 'm'));
  });

  it('names every variable <NAME>_*, and is at the module version', () => {
    for (const k of vars.keys()) expect(k.startsWith(`${U}_`), k).toBe(true);
    expect(vars.get(`${U}_VERSION`)).toBe(version);
  });

  it('takes the sources of this repository, and its license files exist there', () => {
    expect(vars.get(`${U}_SITE_METHOD`)).toBe('local');
    const site = resolve(vars.get(`${U}_SITE`) ?? '');
    expect(existsSync(path.join(site, 'Makefile')), site).toBe(true);
    expect(vars.get(`${U}_LICENSE`)).toBe('GPL-2.0');
    for (const f of (vars.get(`${U}_LICENSE_FILES`) ?? '').split(/\s+/)) expect(existsSync(path.join(site, f)), f).toBe(true);
  });
});

describe('the atemsys package', () => {
  it('is a kernel module, only offered with a kernel, and makes the atemsys group', () => {
    const mk = readFileSync(path.join(br2, 'package/atemsys/atemsys.mk'), 'utf8');
    expect(mk).toMatch(/\$\(eval \$\(kernel-module\)\)\n\$\(eval \$\(generic-package\)\)\n$/);
    const config = readFileSync(path.join(br2, 'package/atemsys/Config.in'), 'utf8');
    expect(config).toMatch(/^\tdepends on BR2_LINUX_KERNEL$/m);
    expect(config).toMatch(/^comment "atemsys needs a Linux kernel to be built"\n\tdepends on !BR2_LINUX_KERNEL$/m);
    expect(readMk(path.join(br2, 'package/atemsys/atemsys.mk')).get('ATEMSYS_USERS')).toMatch(/^- - atemsys -1 /);
  });
});

describe('defconfigs', () => {
  const configs = readdirSync(path.join(br2, 'configs')).sort();
  it('exist for QEMU aarch64 virt and the i.MX8MP EVK', () => {
    expect(configs).toEqual(['atemsys_imx8mpevk_defconfig', 'atemsys_qemu_aarch64_virt_defconfig']);
  });

  it.each(configs)('%s: atemsys and its selftests, the post-build hook, and every external path exists', (c) => {
    const text = readFileSync(path.join(br2, 'configs', c), 'utf8');
    expect(text).toMatch(/^BR2_PACKAGE_ATEMSYS=y$/m);
    expect(text).toMatch(/^BR2_PACKAGE_ATEMSYS_SELFTEST=y$/m);
    expect(text).toMatch(/^BR2_LINUX_KERNEL=y$/m);
    expect(text).toMatch(/^BR2_ROOTFS_POST_BUILD_SCRIPT="\$\(BR2_EXTERNAL_ATEMSYS_PATH\)\/board\/atemsys\/post-build.sh"$/m);
    for (const m of text.matchAll(/\$\(BR2_EXTERNAL_ATEMSYS_PATH\)\/[^\s"]+/g)) expect(existsSync(resolve(m[0])), m[0]).toBe(true);
  });

  it('the i.MX8MP EVK builds the board overlay and applies it before the boot partition is made', () => {
    const text = readFileSync(path.join(br2, 'configs/atemsys_imx8mpevk_defconfig'), 'utf8');
    const dtsDir = resolve(/^BR2_LINUX_KERNEL_CUSTOM_DTS_DIR="([^"]+)"$/m.exec(text)?.[1] ?? '');
    expect(existsSync(path.join(dtsDir, 'freescale/imx8mp-evk-atemsys.dtso'))).toBe(true);
    expect(text).toMatch(/^BR2_LINUX_KERNEL_INTREE_DTS_NAME="freescale\/imx8mp-evk"$/m);
    const post = /^BR2_ROOTFS_POST_IMAGE_SCRIPT="([^"]+)"$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    const apply = post.findIndex((s) => s.endsWith('/board/atemsys/post-image-dt.sh'));
    const genimage = post.findIndex((s) => s.endsWith('/post-image.sh'));
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(apply).toBeLessThan(genimage);
    // host-dtc (fdtoverlay): selected by U-Boot's need of dtc
    expect(text).toMatch(/^BR2_TARGET_UBOOT_NEEDS_DTC=y$/m);
  });
});

describe('board scripts, run for real', () => {
  const scripts = path.join(br2, 'board/atemsys');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atemsys-br2-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (script: string, env: Record<string, string>): { code: number; out: string } => {
    const r = spawnSync('sh', [path.join(scripts, script)], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };

  it('are executable shell scripts', () => {
    for (const s of readdirSync(scripts)) {
      accessSync(path.join(scripts, s), constants.X_OK);
      expect(spawnSync('sh', ['-n', path.join(scripts, s)]).status, s).toBe(0);
    }
  });

  it('post-build.sh: mdev gets one mdev.conf line (also when run again), udev the rule, neither a warning', () => {
    const target = path.join(tmp, 'target');
    mkdirSync(path.join(target, 'etc'), { recursive: true });
    writeFileSync(path.join(target, 'etc/mdev.conf'), '$MODALIAS=.* root:root 660 @modprobe "$MODALIAS"\n');
    const cfg = path.join(tmp, 'mdev.config');
    writeFileSync(cfg, 'BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_MDEV=y\n');
    for (let i = 0; i < 2; i++) expect(run('post-build.sh', { BR2_CONFIG: cfg, TARGET_DIR: target }).code).toBe(0);
    const mdev = readFileSync(path.join(target, 'etc/mdev.conf'), 'utf8');
    expect(mdev.match(/^atemsys root:atemsys 660$/gm)).toHaveLength(1);

    writeFileSync(cfg, 'BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_EUDEV=y\n');
    expect(run('post-build.sh', { BR2_CONFIG: cfg, TARGET_DIR: target }).code).toBe(0);
    expect(readFileSync(path.join(target, 'etc/udev/rules.d/60-atemsys.rules'), 'utf8')).toBe(readFileSync(path.join(REPO_ROOT, 'src-kernel/udev/60-atemsys.rules'), 'utf8'));

    writeFileSync(cfg, 'BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_DEVTMPFS=y\n');
    const r = run('post-build.sh', { BR2_CONFIG: cfg, TARGET_DIR: target });
    expect(r.code).toBe(0);
    expect(r.out).toContain("/dev/atemsys stays root's");
  });

  it("post-image-dt.sh: applies <base>-atemsys.dtbo to <base>.dtb with the host's fdtoverlay", () => {
    const images = path.join(tmp, 'images');
    const host = path.join(tmp, 'host');
    mkdirSync(images, { recursive: true });
    mkdirSync(path.join(host, 'bin'), { recursive: true });
    symlinkSync(execFileSync('sh', ['-c', 'command -v fdtoverlay'], { encoding: 'utf8' }).trim(), path.join(host, 'bin/fdtoverlay'));
    // a base with the i.MX8MP FEC's node path, and the exported overlay
    const base = path.join(tmp, 'base.dts');
    writeFileSync(base, '/dts-v1/;\n/ { soc@0 { bus@30800000 { ethernet@30be0000 { compatible = "fsl,imx8mp-fec"; }; }; }; };\n');
    execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', path.join(images, 'imx8mp-evk.dtb'), base]);
    const dtso = path.join(br2, 'board/imx8/dts/freescale/imx8mp-evk-atemsys.dtso');
    execFileSync('dtc', ['-@', '-I', 'dts', '-O', 'dtb', '-o', path.join(images, 'imx8mp-evk-atemsys.dtbo'), dtso]);
    const r = run('post-image-dt.sh', { HOST_DIR: host, BINARIES_DIR: images });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('applied imx8mp-evk-atemsys.dtbo to imx8mp-evk.dtb');
    const get = (prop: string): string => execFileSync('fdtget', [path.join(images, 'imx8mp-evk.dtb'), '/soc@0/bus@30800000/ethernet@30be0000', prop], { encoding: 'utf8' }).trim();
    expect(get('compatible')).toBe('atemsys');
    expect(get('atemsys-Ident')).toBe('FslFec');

    // an overlay whose base the kernel did not build is an error, not a silent skip
    rmSync(path.join(images, 'imx8mp-evk.dtb'));
    const bad = run('post-image-dt.sh', { HOST_DIR: host, BINARIES_DIR: images });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('imx8mp-evk.dtb, which the kernel did not build');
  });
});
