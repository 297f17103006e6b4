import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { orphanProof } from '../src/guest/runner.ts';

/** Is a process with this pid alive (signal 0)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a guest process dies with the orchestrator', () => {
  it('wraps the command so that the kernel kills it when its parent dies, even by SIGKILL', async () => {
    expect(orphanProof('qemu-system-x86_64', ['-m', '512'])).toEqual(['setpriv', ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', '-m', '512']]);
    // a stand-in orchestrator (node) starts a stand-in QEMU (sleep) the same way, prints its pid, and is SIGKILLed
    const [cmd, argv] = orphanProof('sleep', ['60']);
    const script = `const c = require('node:child_process').spawn(${JSON.stringify(cmd)}, ${JSON.stringify(argv)}, { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !alive(pid);
    }
    if (!gone) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
  }, 20_000);
});
