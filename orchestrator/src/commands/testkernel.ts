/**
 * `orchestrate testkernel`: build (once, cached) the small Linux 5.10 of
 * kernel/testkernel.ts and print where its pieces are, for
 * `smoke --board qemu-x86_64 --kernel-build … --kernel-modules …`.
 * Exit codes: 0 built or cached, 1 the build failed, 2 usage or
 * configuration error, 130 interrupted.
 */
import type { BaseOptions, Io } from '../core/options.ts';
import { openSourceState } from '../kernel/kernelsrc.ts';
import type { Env } from '../pipeline/pipeline.ts';
import { DEBUG_KERNEL, TEST_KERNEL, buildTestKernel } from '../kernel/testkernel.ts';
import { requireTools } from '../debian/tools.ts';
import { archInfo } from '../debian/arch.ts';
import { COMMON, type CommandSpec } from './command.ts';

const TESTKERNEL_USAGE = `usage: orchestrate testkernel [--debug] [--json]

Build a small kernel from Debian's linux-source (${TEST_KERNEL.suite}'s, Linux 5.10) for
qemu-x86_64: tinyconfig plus what the board's selftests use. It proves that
smoke takes a kernel you built. Cached under ~/.cache/atemsys/testkernel/ by source
version, config and compiler (the first build takes about 5 minutes).
Prints the build tree, modules and image, and the smoke command that uses them.
  --debug  the debug kernel instead: the same with KASAN, KMEMLEAK, PROVE_LOCKING
           (lockdep), PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS and the hung-task
           detector, for the fuzzer (smoke ... --extra-groups fuzz --timeout 3600 --fuzz-calls 250000)
  --json   print them as JSON
Exit codes: 0 built or cached, 1 the build failed, 2 usage or configuration error, 130 interrupted.`;

/** testkernel's options. */
export interface TestKernelOptions extends BaseOptions {
  /** --debug: the debug kernel */
  debugKernel: boolean;
}

async function runTestKernel(env: Env, o: TestKernelOptions, io: Io): Promise<number> {
  await requireTools(['make', 'gcc', 'tar', 'xz', 'dpkg', 'apt-get', 'apt-cache', 'flex', 'bison', 'bc', 'depmod'], archInfo('x86_64', env.host));
  const log = (m: string): void => {
    if (!o.json) io.err(`testkernel: ${m}`);
  };
  const state = await openSourceState(env.paths.cache, env.signal, log);
  const k = await buildTestKernel(state, env.paths.cache, o.debugKernel ? DEBUG_KERNEL : TEST_KERNEL, env.signal, log);
  if (o.json) {
    io.out(JSON.stringify({ release: k.release, build: k.build, modules: k.modules, image: k.image, source: `${k.source.package} ${k.source.version}`, cached: k.cached }, null, 2));
    return 0;
  }
  io.out(`kernel ${k.release} from ${k.source.package} ${k.source.version}${k.cached ? ' (cached)' : ''}`);
  io.out(`  build tree  ${k.build}`);
  io.out(`  modules     ${k.modules}`);
  io.out(`  image       ${k.image}`);
  io.out(
    `smoke it: npx orchestrate smoke --board qemu-x86_64 --kernel-build ${k.build} --kernel-modules ${k.modules}${o.debugKernel ? ' --extra-groups fuzz --timeout 3600 --fuzz-calls 250000' : ''}`,
  );
  return 0;
}

export const testkernel: CommandSpec<TestKernelOptions> = {
  name: 'testkernel',
  summary: "build a small 5.10 kernel from Debian's source, to smoke-test a kernel you built",
  usage: TESTKERNEL_USAGE,
  options: { ...COMMON, debug: { type: 'boolean' } },
  writesOut: true,
  parse: (base, values) => ({ ...base, debugKernel: values.debug === true }),
  run: runTestKernel,
};
