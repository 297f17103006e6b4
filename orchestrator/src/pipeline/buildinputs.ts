/** The input digests of one board × kernel build (pipeline/incremental.ts), read from the files. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildHostTriplet, hostTriplet, type ArchInfo } from '../debian/arch.ts';
import type { ResolvedKernel } from '../debian/kernelpkgs.ts';
import { kernelCompiler } from '../debian/suiteroot.ts';
import { needsBuildRoot, suiteByName, type DebianSuite } from '../debian/suites.ts';
import { kernelPrefix } from '../kernel/kernel.ts';
import type { Paths } from '../core/paths.ts';
import { qemuOverlayFor, type KernelSpec, type Profile } from '../profile/profile.ts';
import { hashFiles, hashTree, toolIdentity, type Fingerprints } from './incremental.ts';

/** src-kernel entries that are not the module's sources (each has its own step) or not built at all. */
const NOT_MODULE = ['selftests', 'tools', 'init', 'udev', 'README.md', 'dkms.conf', 'COPYING'];

export interface InputsOf {
  paths: Paths;
  profile: Profile;
  spec: KernelSpec;
  arch: ArchInfo;
  resolved: ResolvedKernel;
  busybox: string;
  selftestArgs: readonly string[];
  hostSuite: DebianSuite | undefined;
  orchestratorVersion: string;
}

/**
 * The compiler the kernel's headers name: the host's binary (path, size,
 * mtime), or the suite's build root for kernels newer than the host.
 * 'unpacked later' before the kernel's headers are in the cache.
 */
async function moduleToolchain(i: InputsOf): Promise<string> {
  const kv = path.join(kernelPrefix(i.paths.cache, i.resolved), 'usr', 'src', `linux-headers-${i.resolved.release}`, '.kernelvariables');
  const compiler = kernelCompiler(await readFile(kv, 'utf8').catch(() => ''));
  if (!compiler) return 'unpacked later';
  if (needsBuildRoot(i.spec.suite, i.hostSuite)) return `build root of ${suiteByName(i.spec.suite)?.codename ?? i.spec.suite}: ${compiler}`;
  return toolIdentity(`${i.arch.crossCompile || `${hostTriplet() ?? buildHostTriplet()}-`}${compiler}`);
}

/**
 * The input digests of one build (pipeline/incremental.ts stepKeys makes the
 * step keys from them): file trees by names relative to their root and
 * contents, the profile with its file relative to the repository, packages by
 * name and version, tools by identity. Nothing names the checkout's own
 * absolute path, so a moved or second checkout with the same content gets the
 * same keys and rebuilds nothing. Reads src-kernel/, orchestrator/src/ and the
 * kernel's headers in the cache; never throws for a missing file (it counts as
 * missing).
 */
export async function buildFingerprints(i: InputsOf): Promise<Fingerprints> {
  const src = i.paths.srcKernel;
  const uapi = await hashTree(path.join(src, 'include'));
  const r = i.resolved;
  const pkgs = [r.image, r.headers, r.common, r.kbuild, ...r.parts].map((p) => `${p.name}=${p.version}`);
  const orch = i.paths.orchestratorSrc;
  const compat = i.arch.compat32;
  return {
    moduleSources: await hashTree(src, NOT_MODULE),
    selftestSources: `${await hashTree(path.join(src, 'selftests'))} ${uapi}`,
    toolSources: `${await hashTree(path.join(src, 'tools'))} ${uapi}`,
    initSources: await hashTree(path.join(src, 'init')),
    kernelPackages: JSON.stringify([i.arch.debian, i.arch.kernelArch, i.arch.crossCompile, r.release, ...pkgs]),
    imagePackage: JSON.stringify([r.release, `${r.image.name}=${r.image.version}`, ...r.parts.map((p) => `${p.name}=${p.version}`)]),
    busybox: i.busybox,
    moduleToolchain: await moduleToolchain(i),
    userToolchain: [await toolIdentity(`${i.arch.crossCompile}gcc`), ...(compat ? [await toolIdentity(`${compat.crossCompile}gcc`)] : [])].join(' '),
    profileDt: i.profile.dt
      ? JSON.stringify({ dt: i.profile.dt, qemu: i.profile.qemu !== undefined, overlay: qemuOverlayFor(i.profile.qemu, r.series) ?? null, stock: i.profile.bench?.stockOverlay ?? null })
      : '',
    profilePackage: JSON.stringify({ profile: { ...i.profile, file: path.relative(i.paths.repo, i.profile.file) }, selftestArgs: i.selftestArgs }),
    recipeCompile: await hashFiles(orch, ['kernel/buildlog.ts', 'debian/suiteroot.ts', 'pipeline/pipeline.ts']),
    recipeDt: await hashTree(path.join(orch, 'devicetree')),
    recipePackage: `${await hashTree(orch)} ${i.orchestratorVersion}`,
  };
}
