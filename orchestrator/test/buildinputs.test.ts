import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, resolvePaths } from '../src/core/paths.ts';
import { archInfo } from '../src/debian/arch.ts';
import type { ResolvedKernel } from '../src/debian/kernelpkgs.ts';
import { kernelPrefix } from '../src/kernel/kernel.ts';
import { buildFingerprints } from '../src/pipeline/buildinputs.ts';
import { stepKeys, type Fingerprints, type StepKeys } from '../src/pipeline/incremental.ts';
import { loadProfile } from '../src/profile/profile.ts';

const ref = (name: string): { name: string; version: string } => ({ name, version: '6.12.48-1' });
const resolved: ResolvedKernel = {
  suite: 'trixie',
  series: '6.12',
  flavour: 'arm64',
  abi: '6.12.48+deb13',
  release: '6.12.48+deb13-arm64',
  version: '6.12.48-1',
  image: ref('linux-image-6.12.48+deb13-arm64'),
  headers: ref('linux-headers-6.12.48+deb13-arm64'),
  common: ref('linux-headers-6.12.48+deb13-common'),
  kbuild: ref('linux-kbuild-6.12.48+deb13'),
  parts: [],
};

describe('buildFingerprints: the step keys do not depend on where the checkout is', () => {
  let tmp = '';
  const roots = (): string[] => [path.join(tmp, 'one', 'atemsys'), path.join(tmp, 'elsewhere', 'deeper', 'atemsys')];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'atemsys-inputs-'));
    // two checkouts with the same content: the module, the orchestrator and the boards
    for (const root of roots()) {
      for (const d of ['src-kernel', path.join('orchestrator', 'src'), 'boards']) await cp(path.join(REPO_ROOT, d), path.join(root, d), { recursive: true });
    }
    // the kernel's headers in the shared cache name their compiler
    const headers = path.join(kernelPrefix(path.join(tmp, 'cache'), resolved), 'usr', 'src', `linux-headers-${resolved.release}`);
    await mkdir(headers, { recursive: true });
    await writeFile(path.join(headers, '.kernelvariables'), 'CC = $(CROSS_COMPILE)gcc-14\n');
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function inputsAt(root: string): Promise<{ inputs: Fingerprints; keys: StepKeys }> {
    const paths = resolvePaths({ ATEMSYS_CACHE: path.join(tmp, 'cache'), ATEMSYS_OUT: path.join(root, 'out') }, root);
    // a device-tree board: every step has a key
    const profile = await loadProfile(path.join(paths.boards, 'imx8.yaml'), root);
    const spec = profile.kernels[0];
    if (!spec) throw new Error('imx8 has no kernel');
    const inputs = await buildFingerprints({
      paths,
      profile,
      spec,
      arch: archInfo(profile.arch, 'amd64'),
      resolved,
      busybox: '1:1.37.0-6+b3',
      selftestArgs: profile.selftest.args,
      hostSuite: undefined,
      orchestratorVersion: '0.0.0-test',
    });
    return { inputs, keys: stepKeys(inputs, profile.dt !== undefined) };
  }

  it('gives two checkouts with the same content at different roots the same digests and keys', async () => {
    const [a, b] = roots() as [string, string];
    const one = await inputsAt(a);
    const two = await inputsAt(b);
    expect(one.keys.dt).not.toBe('');
    expect(two.inputs).toEqual(one.inputs);
    expect(two.keys).toEqual(one.keys);
  });

  it('names neither checkout nor the temporary directory in any input digest', async () => {
    for (const root of roots()) {
      const { inputs } = await inputsAt(root);
      for (const [name, value] of Object.entries(inputs)) expect(value, name).not.toContain(tmp);
    }
  });
});
