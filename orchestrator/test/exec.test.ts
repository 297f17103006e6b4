import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE, background, run } from '../src/core/exec.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'atemsys-exec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('run', () => {
  it('hands each output line over as it comes and writes the log while it runs', async () => {
    const log = path.join(tmp, 'stream.log');
    const lines: string[] = [];
    let logWhileRunning = '';
    const r = await run('sh', ['-c', 'echo one; echo two >&2; sleep 0.5; printf three'], {
      logFile: log,
      onLine: (l) => {
        lines.push(l);
        if (l === 'two') setTimeout(() => (logWhileRunning = readFileSync(log, 'utf8')), 200);
      },
    });
    expect(r.exitCode).toBe(0);
    expect(lines).toEqual(['one', 'two']);
    expect(logWhileRunning).toContain('one\ntwo\n');
    expect(readFileSync(log, 'utf8')).toBe("$ sh -c 'echo one; echo two >&2; sleep 0.5; printf three'\none\ntwo\nthree\n[exit 0]\n");
  });

  it('writes the whole log at the end for other commands, with the exit code', async () => {
    const log = path.join(tmp, 'plain.log');
    const r = await run('sh', ['-c', 'echo x; exit 3'], { logFile: log });
    expect(r.exitCode).toBe(3);
    expect(readFileSync(log, 'utf8')).toBe("$ sh -c 'echo x; exit 3'\nx\n[exit 3]\n");
  });
});

describe('background work', () => {
  it('starts its commands at a lower priority, and only its commands', async () => {
    const base = Number((await run('nice', [])).stdout.trim());
    // nice(1) prints its own niceness; the pause lets setpriority(2) land first
    const niceAfter = (): Promise<number> => run('sh', ['-c', 'sleep 0.3; nice']).then((r) => Number(r.stdout.trim()));
    expect(await background.run(true, niceAfter)).toBe(Math.min(19, base + BACKGROUND_NICE));
    // what runs after the background work, and beside it, keeps the normal priority
    const [bg, fg] = await Promise.all([background.run(true, niceAfter), niceAfter()]);
    expect([bg, fg]).toEqual([Math.min(19, base + BACKGROUND_NICE), base]);
    expect(await niceAfter()).toBe(base);
  });
});
