/**
 * The in-guest selftests' groups and tests, as the host knows them: read from
 * the table they are declared in (st_groups and st_tests of
 * src-kernel/selftests/main.c), so that `--extra-groups`, `--only` and a
 * profile's extra-groups are checked before anything is built or booted,
 * not by the guest minutes later.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, UsageError } from '../core/errors.ts';
import { didYouMeanText } from '../core/suggest.ts';

/** One selftest: its name and its group (null: module-wide, in every group). */
export interface SelftestEntry {
  name: string;
  group: string | null;
}

/** The groups (st_groups, in order) and the tests (st_tests, in order). */
export interface SelftestTable {
  groups: string[];
  tests: SelftestEntry[];
}

/**
 * Parse main.c's st_groups and st_tests. Pure. Throws ConfigError when
 * either is missing (the file changed shape: this parser must follow).
 */
export function parseSelftestTable(mainC: string): SelftestTable {
  const g = /st_groups\[\]\s*=\s*\{([^}]*)\}/.exec(mainC);
  const t = /st_tests\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(mainC);
  if (!g?.[1] || !t?.[1]) throw new ConfigError('src-kernel/selftests/main.c: no st_groups or st_tests table found (orchestrator/src/report/selftestplan.ts reads them)');
  const groups = [...g[1].matchAll(/"([a-z0-9]+)"/g)].map((m) => m[1] ?? '');
  const tests = [...t[1].matchAll(/^\s*\{\s*"([a-z0-9_]+)",\s*(NULL|"([a-z0-9]+)")\s*,/gm)].map((m) => ({ name: m[1] ?? '', group: m[3] ?? null }));
  if (groups.length === 0 || tests.length === 0) throw new ConfigError('src-kernel/selftests/main.c: st_groups or st_tests is empty to orchestrator/src/report/selftestplan.ts');
  return { groups, tests };
}

/** The table of this checkout's selftests (src-kernel/selftests/main.c). Throws ConfigError if unreadable. */
export async function readSelftestTable(srcKernel: string): Promise<SelftestTable> {
  const file = path.join(srcKernel, 'selftests', 'main.c');
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new ConfigError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  });
  return parseSelftestTable(text);
}

/**
 * Check group and test names against the table. Pure. Throws UsageError
 * (exit code 2) naming the first unknown one, where it came from, the
 * likeliest name meant ("did you mean") and the names there are.
 */
export function checkSelftestNames(table: SelftestTable, names: { groups?: readonly string[]; only?: readonly string[]; where: string }): void {
  const badGroup = names.groups?.find((n) => !table.groups.includes(n));
  if (badGroup !== undefined) throw new UsageError(`${names.where}: no selftest group "${badGroup}"${didYouMeanText(badGroup, table.groups)} (groups: ${table.groups.join(', ')})`);
  const known = [...table.tests.map((x) => x.name), ...table.groups];
  const badTest = names.only?.find((n) => !known.includes(n));
  if (badTest !== undefined)
    throw new UsageError(`${names.where}: no selftest or group "${badTest}"${didYouMeanText(badTest, known)} (see src-kernel/selftests/main.c, or atemsys-selftest --list in a guest)`);
}

/**
 * --only's names with each group name replaced by its tests (pci: every
 * test of group pci), in table order, each once. Pure; unknown names stay
 * (checkSelftestNames refuses them).
 */
export function expandOnly(table: SelftestTable, only: readonly string[]): string[] {
  const want = new Set(only);
  const picked = table.tests.filter((t) => want.has(t.name) || (t.group !== null && want.has(t.group))).map((t) => t.name);
  return [...picked, ...only.filter((n) => !picked.includes(n) && !table.groups.includes(n))];
}
