/**
 * Every command, in the order `orchestrate --help` lists them. Adding a
 * command: write commands/<name>.ts exporting a CommandSpec (a
 * CommandSpec<O> when it has options of its own, O its option type), and add
 * it here.
 */
import { bench } from './bench.ts';
import { boards } from './boards.ts';
import { build } from './build.ts';
import { buildroot } from './buildroot.ts';
import { check } from './check.ts';
import type { CommandSpec } from './command.ts';
import { exportCmd } from './export.ts';
import { lava } from './lava.ts';
import { matrix } from './matrix.ts';
import { packageCmd } from './package.ts';
import { smoke } from './smoke.ts';
import { testkernel } from './testkernel.ts';
import { yocto } from './yocto.ts';

export const COMMANDS: readonly CommandSpec[] = [boards, build, smoke, bench, check, matrix, testkernel, exportCmd, yocto, buildroot, packageCmd, lava];

/** The command named `name`, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
