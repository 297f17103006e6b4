import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.ts';
import { checkSelftestNames, expandOnly, parseSelftestTable, readSelftestTable } from '../src/report/selftestplan.ts';
import { REPO_ROOT, resolvePaths } from '../src/core/paths.ts';
import { loadAllProfiles } from '../src/profile/profile.ts';

const SRC = path.join(REPO_ROOT, 'src-kernel');

describe('the selftests as the host knows them', () => {
  it('reads every group and test of main.c, in order', async () => {
    const t = await readSelftestTable(SRC);
    expect(t.groups).toEqual(['pci', 'dt', 'll', 'fuzz']);
    const names = t.tests.map((x) => x.name);
    expect(names[0]).toBe('version');
    for (const n of ['dma_churn', 'killed_holder_quiet', 'hot_unplug_qmp', 'dt_mdio_proxy', 'll_kill_master', 'fuzz', 'compat32', 'kmemleak_clean', 'device_permissions']) expect(names).toContain(n);
    expect(t.tests.find((x) => x.name === 'kernel_log_clean')?.group).toBeNull();
    expect(t.tests.find((x) => x.name === 'll_link_lost')?.group).toBe('ll');
    // the same count as the table's initialisers: one `{ "name", ` per test
    const text = await readFile(path.join(SRC, 'selftests', 'main.c'), 'utf8');
    const table = text.slice(text.indexOf('st_tests[] = {'), text.indexOf('\n};', text.indexOf('st_tests[] = {')));
    expect(t.tests.length).toBe((table.match(/^\t\{ "/gm) ?? []).length);
  });

  it('every board profile names groups the selftests have', async () => {
    const t = await readSelftestTable(SRC);
    for (const p of await loadAllProfiles(resolvePaths().boards, REPO_ROOT)) {
      const i = p.selftest.args.indexOf('--group');
      if (i >= 0) expect(() => checkSelftestNames(t, { groups: (p.selftest.args[i + 1] ?? '').split(','), where: p.name })).not.toThrow();
      for (const k of p.kernels) expect(() => checkSelftestNames(t, { groups: k.extraGroups ?? [], where: p.name })).not.toThrow();
    }
  });

  it('refuses an unknown group or test with exit code 2 and says what there is', () => {
    const t = parseSelftestTable(
      'static const char *const st_groups[] = { "pci", "fuzz" };\nstatic const struct st_test st_tests[] = {\n\t{ "version", NULL, ST_PHASE_FIRST, f,\n\t  "x" },\n\t{ "fuzz", "fuzz", ST_PHASE_GROUP, g, "y" },\n};\n',
    );
    expect(t).toEqual({
      groups: ['pci', 'fuzz'],
      tests: [
        { name: 'version', group: null },
        { name: 'fuzz', group: 'fuzz' },
      ],
    });
    expect(() => checkSelftestNames(t, { groups: ['fuz'], where: 'smoke --extra-groups' })).toThrow(/smoke --extra-groups: no selftest group "fuz", did you mean "fuzz"\? \(groups: pci, fuzz\)/);
    expect(() => checkSelftestNames(t, { only: ['version', 'fuzzz'], where: 'w' })).toThrow(UsageError);
    expect(() => checkSelftestNames(t, { only: ['verison'], where: '--only' })).toThrow(/--only: no selftest or group "verison", did you mean "version"\? \(see/);
    expect(() => checkSelftestNames(t, { only: ['zzzzzzz'], where: '--only' })).toThrow(/no selftest or group "zzzzzzz" \(see/);
    expect(() => checkSelftestNames(t, { groups: ['pci'], only: ['fuzz'], where: 'w' })).not.toThrow();
    expect(() => checkSelftestNames(t, { only: ['pci'], where: 'w' })).not.toThrow();
  });

  it('expands a group name in --only into its tests, in table order', async () => {
    const t = await readSelftestTable(SRC);
    const pci = t.tests.filter((x) => x.group === 'pci').map((x) => x.name);
    expect(expandOnly(t, ['kernel_log_clean', 'pci', 'find_by_id'])).toEqual([...pci, 'kernel_log_clean']);
    expect(expandOnly(t, ['fuzz'])).toEqual(['fuzz']);
    expect(expandOnly(t, ['nosuch', 'version'])).toEqual(['version', 'nosuch']);
  });

  it("make test's debug-kernel lane names tests that exist, and runs unconditionally (issue 10)", async () => {
    const script = await readFile(path.join(REPO_ROOT, 'scripts', 'test.mjs'), 'utf8');
    const names = /^const DEBUG_LANE_TESTS = '([a-z0-9_,]+)';$/m.exec(script)?.[1]?.split(',') ?? [];
    expect(names).toEqual(expect.arrayContaining(['pci', 'fuzz', 'll_kill_master', 'kmemleak_clean', 'kernel_log_clean']));
    const table = await readSelftestTable(SRC);
    expect(() => checkSelftestNames(table, { only: names, where: 'DEBUG_LANE_TESTS' })).not.toThrow();
    expect(script).toMatch(/^ {2}\{ label: 'smoke-debug', run: debugKernelLane \},$/m);
  });

  it('says which file changed shape when the tables are gone', () => {
    expect(() => parseSelftestTable('int main(void) { return 0; }')).toThrow(/selftests\/main.c: no st_groups or st_tests/);
  });
});
