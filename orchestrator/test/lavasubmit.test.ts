import { describe, expect, it } from 'vitest';
import { caseNote, parseServerUrl } from '../src/commands/lava.ts';
import { LavaClient, consoleOfLog, jobErrorOfLog, lavaToken, type Fetch } from '../src/lava/submit.ts';

/** A LAVA server in memory: answers the REST calls the client makes, records them */
function fakeServer(states: string[][], opts: { status?: number } = {}): { fetch: Fetch; calls: { method: string; url: string; auth?: string; body?: string }[] } {
  const calls: { method: string; url: string; auth?: string; body?: string }[] = [];
  let poll = 0;
  const fetch: Fetch = async (url, init) => {
    calls.push({ method: init?.method ?? 'GET', url, ...(init?.headers?.Authorization ? { auth: init.headers.Authorization } : {}), ...(init?.body ? { body: init.body } : {}) });
    const reply = (status: number, body: unknown) => ({ status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) });
    if (opts.status) return reply(opts.status, { detail: 'Invalid token.' });
    if (url.endsWith('/api/v0.2/jobs/') && init?.method === 'POST') return reply(201, { message: 'job(s) successfully submitted', job_ids: [42] });
    if (url.endsWith('/jobs/42/')) {
      const [state, health] = states[Math.min(poll++, states.length - 1)] ?? ['Finished', 'Complete'];
      return reply(200, { id: 42, state, health, failure_comment: health === 'Incomplete' ? 'boot timed out' : null });
    }
    if (url.endsWith('/jobs/42/logs/')) {
      return reply(
        200,
        '- {"dt": "2026-12-01T00:00:00", "lvl": "info", "msg": "start: 1 tmpfs-deploy"}\n- {"dt": "x", "lvl": "target", "msg": "KTAP version 1"}\n- {"dt": "x", "lvl": "target", "msg": "ok 1 version"}\n- {"dt": "x", "lvl": "results", "msg": {"case": "version", "result": "pass"}}\n',
      );
    }
    if (url.endsWith('/jobs/42/cancel/') && (init?.method ?? 'GET') === 'GET') return reply(200, { message: 'job 42 canceled' });
    if (url.includes('/jobs/42/suites/'))
      return reply(200, {
        results: [
          { id: 3, name: 'lava' },
          { id: 4, name: '1_atemsys' },
        ],
      });
    // limit/offset paging, `next` a whole URL (LAVA 2023.01)
    if (url.includes('/jobs/42/tests/?limit=100&offset=0'))
      return reply(200, { results: [{ suite: 4, name: 'version', result: 'pass' }], next: 'http://127.0.0.1:8000/api/v0.2/jobs/42/tests/?limit=100&offset=100' });
    if (url.includes('/jobs/42/tests/?limit=100&offset=100')) return reply(200, { results: [{ suite: 3, name: 'job', result: 'pass' }], next: null });
    return reply(404, 'not found');
  };
  return { fetch, calls };
}

describe('LAVA submission', () => {
  it('submits with the token, follows the job to Finished, and reads the console and every page of cases', async () => {
    const srv = fakeServer([
      ['Submitted', 'Unknown'],
      ['Running', 'Unknown'],
      ['Finished', 'Complete'],
    ]);
    const c = new LavaClient('http://127.0.0.1:8000/', 'sekrit', srv.fetch);
    expect(await c.submit('device_type: qemu\n')).toBe(42);
    expect(srv.calls[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:8000/api/v0.2/jobs/', auth: 'Token sekrit', body: '{"definition":"device_type: qemu\\n"}' });
    const seen: string[] = [];
    const end = await c.wait(42, { pollMs: 1, timeoutMs: 10_000, progress: (s) => seen.push(s.state), sleep: async () => undefined });
    expect(end).toMatchObject({ state: 'Finished', health: 'Complete' });
    expect(seen).toEqual(['Submitted', 'Running', 'Finished']);
    expect(consoleOfLog(await c.logs(42))).toBe('KTAP version 1\nok 1 version\n');
    expect(await c.tests(42)).toEqual([
      { suite: '1_atemsys', name: 'version', result: 'pass' },
      { suite: 'lava', name: 'job', result: 'pass' },
    ]);
  });

  it('keeps the console lines LAVA read after the test monitor ended (feedback), not their echoes', () => {
    // job 13 of the local LAVA (6.1 rt): the end marker came as feedback
    const log = [
      '- {"dt": "1", "lvl": "target", "msg": "# Totals: pass:42 fail:0 skip:3"}',
      '- {"dt": "2", "lvl": "info", "msg": "ok: end string found, lava test monitoring stopped"}',
      '- {"dt": "3", "lvl": "feedback", "msg": "ATEMSYS-SMOKE-END rc=0", "ns": "common"}',
      '- {"dt": "4", "lvl": "input", "msg": "poweroff\\n"}',
      '- {"dt": "5", "lvl": "target", "msg": "poweroff"}',
      '- {"dt": "6", "lvl": "feedback", "msg": "poweroff"}',
    ].join('\n');
    expect(consoleOfLog(log)).toBe('# Totals: pass:42 fail:0 skip:3\nATEMSYS-SMOKE-END rc=0\npoweroff\n');
  });

  it("finds an Incomplete job's reason in its log when failure_comment is empty", () => {
    // job 1 of the local LAVA: the serial connection closed under the monitor
    const log = [
      '- {"dt": "1", "lvl": "error", "msg": "lava-test-monitor-retry failed: 1 of 1 attempts. \'Connection closed\'"}',
      '- {"dt": "2", "lvl": "error", "msg": "InfrastructureError: The Infrastructure is not working correctly. Please report this error to LAVA admins."}',
      '- {"dt": "3", "lvl": "results", "msg": {"case": "job", "definition": "lava", "error_msg": "Connection closed", "error_type": "Infrastructure", "result": "fail"}}',
    ].join('\n');
    expect(jobErrorOfLog(log)).toBe('Infrastructure: Connection closed');
    expect(jobErrorOfLog(log.split('\n').slice(0, 2).join('\n'))).toMatch(/^InfrastructureError: /);
    expect(jobErrorOfLog('- {"dt": "1", "lvl": "target", "msg": "ok 1 version"}')).toBeUndefined();
  });

  it("compares LAVA's cases with the console's top-level results (a test with subtests is one)", () => {
    const names = ['version', 'compat32/find_by_id', 'compat32/irq_msi', 'rmmod_after_close'];
    const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ suite: '1_atemsys', name: `t${i}`, result: 'pass' }));
    expect(caseNote(cases(3), names)).toBeUndefined();
    expect(caseNote(cases(2), names)).toBe('LAVA recorded 2 test case(s) in suite atemsys; the console has 3 top-level KTAP results (4 with subtests)');
  });

  it('cancels a job with GET jobs/<id>/cancel/ (what an interrupted --submit does)', async () => {
    const srv = fakeServer([]);
    await new LavaClient('http://lava', 't', srv.fetch).cancel(42);
    expect(srv.calls).toEqual([{ method: 'GET', url: 'http://lava/api/v0.2/jobs/42/cancel/', auth: 'Token t' }]);
  });

  it("passes on LAVA's reason for an Incomplete job", async () => {
    const c = new LavaClient('http://lava', 't', fakeServer([['Finished', 'Incomplete']]).fetch);
    expect(await c.wait(42, { pollMs: 1, timeoutMs: 1000, sleep: async () => undefined })).toMatchObject({ health: 'Incomplete', failureComment: 'boot timed out' });
  });

  it('says how to fix a refused token, and gives up on a job that never finishes', async () => {
    await expect(new LavaClient('http://lava', 'bad', fakeServer([], { status: 401 }).fetch).submit('x')).rejects.toThrow(/refused the token \(HTTP 401\).*LAVA_TOKEN/);
    const stuck = new LavaClient('http://lava', 't', fakeServer([['Submitted', 'Unknown']]).fetch);
    await expect(stuck.wait(42, { pollMs: 1, timeoutMs: -1, sleep: async () => undefined })).rejects.toThrow(/not finished .* is a worker with a matching device online/);
  });

  it('says when the server does not answer', async () => {
    const down: Fetch = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
    };
    await expect(new LavaClient('http://127.0.0.1:8000', 't', down).job(1)).rejects.toThrow(/did not answer GET jobs\/1\/: connect ECONNREFUSED/);
  });
});

describe('the token and the server', () => {
  const lavacli = 'default:\n  uri: http://other.lab/RPC2\n  token: deftok\nlab:\n  uri: http://lava.lab/RPC2\n  username: ci\n  token: labtok\n';

  it('LAVA_TOKEN first, then the lavacli identity of that host, then its default', () => {
    expect(lavaToken('http://lava.lab', { LAVA_TOKEN: 'envtok' }, lavacli)).toBe('envtok');
    expect(lavaToken('http://lava.lab/', {}, lavacli)).toBe('labtok');
    expect(lavaToken('http://third.lab', {}, lavacli)).toBe('deftok');
    expect(lavaToken('http://third.lab', {}, undefined)).toBeUndefined();
    expect(lavaToken('http://third.lab', {}, ': not yaml: [')).toBeUndefined();
  });

  it('--submit takes an http(s) URL', () => {
    expect(parseServerUrl('http://127.0.0.1:8000/')).toBe('http://127.0.0.1:8000');
    expect(() => parseServerUrl('lava.lab')).toThrow(/http\(s\) URL/);
  });
});
