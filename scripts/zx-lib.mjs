// SPDX-License-Identifier: GPL-2.0
// @ts-check
/**
 * What scripts/test.mjs and scripts/dkms-test.mjs share: loading zx with a
 * hint when `npm ci` has not run yet, child processes that a SIGINT or SIGTERM
 * of the script stops (each child runs in a process group of its own; the
 * signal goes to that group once, as a terminal's Ctrl-C would, and the
 * script waits for the child to end), and the text helpers of the old shell
 * scripts (tail, a prefix on every line).
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** @typedef {typeof import('zx')} Zx */
/** @typedef {import('zx').ProcessPromise} ProcessPromise */
/** @typedef {import('zx').ProcessOutput} ProcessOutput */
/** @typedef {'ignore' | 'pipe' | 'inherit' | number} StdioEntry */

/**
 * zx, or exit 2 with a one-line hint when node_modules is missing.
 * @param {string} script the script's name for the message
 * @returns {Promise<Zx>}
 */
export async function loadZx(script) {
  try {
    return await import('zx');
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err);
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /'zx'/.test(e.message)) {
      process.stderr.write(`${script}: zx is not installed: run make setup (npm ci) first\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * @typedef {object} RunOptions
 * @property {StdioEntry[]} [stdio] stdin, stdout, stderr (default: no stdin, both piped)
 * @property {string} [input] given on stdin instead
 * @property {boolean} [groupSignal] false: a signal goes to the child alone,
 *   not its process group (sudo relays it to its command; the group would get it twice)
 */

/**
 * A runner of commands: `run(opts)\`cmd ${arg}\`` is zx's `$` with nothrow and
 * quiet (the exit status is the caller's to judge; nothing echoed), the child
 * detached into a process group of its own and stdin closed. The first SIGINT
 * or SIGTERM of this process is recorded in `signal` and every signal is
 * forwarded to the running children; the caller checks `signal` after each
 * command and stops.
 * @param {Zx} zx
 * @param {string} cwd
 */
export function runner(zx, cwd) {
  /** @type {Set<ProcessPromise>} */
  const running = new Set();
  /** @type {Map<ProcessPromise, boolean>} */
  const toGroup = new Map();
  /** @type {NodeJS.Signals | null} */
  let signal = null;
  /** @param {NodeJS.Signals} sig */
  const forward = (sig) => {
    signal ??= sig;
    for (const p of running) {
      const pid = p.pid;
      if (pid === undefined) continue;
      try {
        process.kill(toGroup.get(p) ? -pid : pid, sig);
      } catch {
        // gone already
      }
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  /**
   * @param {RunOptions} [opts]
   * @returns {(pieces: TemplateStringsArray, ...args: unknown[]) => ProcessPromise}
   */
  function run(opts = {}) {
    const { stdio = ['ignore', 'pipe', 'pipe'], input, groupSignal = true } = opts;
    const $ = zx.$({
      cwd,
      detached: true,
      nothrow: true,
      quiet: true,
      verbose: false,
      stdio: input === undefined ? stdio : ['pipe', stdio[1] ?? 'pipe', stdio[2] ?? 'pipe'],
      ...(input === undefined ? {} : { input }),
    });
    return (pieces, ...args) => {
      const p = $(pieces, ...args);
      running.add(p);
      toGroup.set(p, groupSignal);
      const done = () => {
        running.delete(p);
        toGroup.delete(p);
      };
      p.then(done, done);
      return p;
    };
  }

  return {
    run,
    /** the first signal received, null if none */
    get signal() {
      return signal;
    },
  };
}

/** The exit status a shell gives for a signal: 128 + its number. */
/** @param {NodeJS.Signals} sig */
export function signalStatus(sig) {
  return sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129;
}

/**
 * The lines of a text (a last line without a newline counts; none for '').
 * @param {string} text
 */
export function lines(text) {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/**
 * The lines of a file, none if it does not exist.
 * @param {string} file
 */
export function fileLines(file) {
  try {
    return lines(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/**
 * `tail -n N FILE | sed 's/^/PREFIX/'` onto stdout.
 * @param {string} file
 * @param {number} n
 * @param {string} prefix
 */
export function tail(file, n, prefix) {
  for (const l of fileLines(file).slice(-n)) say(`${prefix}${l}`);
}

/**
 * One line onto stdout (synchronous on Linux for files, pipes and terminals,
 * so it stays in order with the children's output).
 * @param {string} s
 */
export function say(s) {
  process.stdout.write(`${s}\n`);
}

/**
 * A sink for a child's output: every chunk is written to `logFd` as it is
 * and to stdout with `prefix` at the start of each line (`tee LOG | sed
 * 's/^/PREFIX/'`). end() finishes a last line that has no newline.
 * @param {number} logFd
 * @param {string} prefix
 */
export function teeSink(logFd, prefix) {
  let atLineStart = true;
  const decoder = new StringDecoder('utf8');
  return {
    /** @param {Buffer} chunk */
    write(chunk) {
      fs.writeSync(logFd, chunk);
      const s = decoder.write(chunk);
      if (s === '') return;
      let text = prefix === '' ? s : s.replace(/\n(?=.)/gs, `\n${prefix}`);
      if (atLineStart && prefix !== '') text = prefix + text;
      process.stdout.write(text);
      atLineStart = s.endsWith('\n');
    },
    end() {
      const rest = decoder.end(); // an incomplete character at the very end
      if (rest !== '') {
        process.stdout.write((atLineStart ? prefix : '') + rest);
        atLineStart = false;
      }
      if (!atLineStart) process.stdout.write('\n');
      atLineStart = true;
    },
  };
}

/**
 * Run `p` (a ProcessPromise started with both outputs piped), teeing its
 * stdout and stderr, in the order they arrive, through `sink`.
 * @param {ProcessPromise} p
 * @param {ReturnType<typeof teeSink>} sink
 * @returns {Promise<ProcessOutput>}
 */
export async function teed(p, sink) {
  /** @param {Buffer} c */
  const onData = (c) => sink.write(c);
  p.stdout.on('data', onData);
  p.stderr.on('data', onData);
  const o = await p;
  sink.end();
  return o;
}
