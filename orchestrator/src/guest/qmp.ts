/**
 * QMP over a UNIX socket (QEMU docs/interop/qmp-spec.rst), and the host's
 * side of the guest's hot-plug requests (guest/hotplug.ts) during one boot.
 */
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from '../core/outlock.ts';
import { linkCommandFor, parseHotplugRequest, parseLinkRequest, qmpCommandFor, type HotplugRequest, type HotplugSlot, type LinkRequest, type QmpCommand } from './hotplug.ts';

interface QmpReply {
  return?: unknown;
  error?: { class?: string; desc?: string };
  event?: string;
  QMP?: unknown;
}

/**
 * A QMP connection (line-delimited JSON over a UNIX socket): the greeting,
 * qmp_capabilities, then one command at a time. Events are skipped.
 * execute() rejects with QEMU's error text, or when the socket closes.
 */
export class QmpClient {
  private buf = '';
  private waiting: ((r: QmpReply) => void)[] = [];
  private closed: Error | undefined;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        let msg: QmpReply;
        try {
          msg = JSON.parse(line) as QmpReply;
        } catch {
          continue;
        }
        if (msg.event !== undefined) continue;
        this.waiting.shift()?.(msg);
      }
    });
    const fail = (e: Error): void => {
      this.closed = e;
      for (const w of this.waiting.splice(0)) w({ error: { desc: e.message } });
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('QMP socket closed')));
  }

  /** Connect, read the greeting, leave capabilities negotiation mode. */
  static async connect(socket: string): Promise<QmpClient> {
    const sock = net.createConnection(socket);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const c = new QmpClient(sock);
    await c.next(); // greeting
    await c.execute({ execute: 'qmp_capabilities', arguments: {} });
    return c;
  }

  private next(): Promise<QmpReply> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async execute(cmd: QmpCommand): Promise<unknown> {
    const reply = this.next();
    this.sock.write(`${JSON.stringify(cmd)}\n`);
    const r = await reply;
    if (r.error) throw new Error(`${cmd.execute}: ${r.error.desc ?? r.error.class ?? 'error'}`);
    // the human monitor reports failures as text
    if (cmd.execute === 'human-monitor-command' && typeof r.return === 'string' && r.return.trim() !== '') {
      throw new Error(`${cmd.arguments['command-line'] ?? ''}: ${r.return.trim()}`);
    }
    return r.return;
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * The host's side during one boot: answers the guest's hot-plug and link
 * requests (guest/hotplug.ts) in order and writes each one and its outcome to
 * `log` (qmp.log beside serial.log). A device_add that finds the old
 * device not yet gone (QEMU deletes it only once the guest has powered the
 * slot off) is retried every 500 ms for `plugRetryMs`. Link requests may
 * name the netdevs in `netdevs` only.
 */
export class HotplugHost {
  private chain: Promise<void> = Promise.resolve();
  private client: Promise<QmpClient> | undefined;

  constructor(
    private readonly socket: string,
    private readonly slots: readonly HotplugSlot[],
    private readonly log: string,
    private readonly plugRetryMs = 10_000,
    private readonly netdevs: readonly string[] = [],
  ) {}

  /** Feed one console line; requests are queued, never thrown. */
  line(text: string): void {
    const req = parseHotplugRequest(text);
    if (req) {
      this.chain = this.chain.then(() => this.answer(req));
      return;
    }
    const link = parseLinkRequest(text);
    if (link) this.chain = this.chain.then(() => this.answerLink(link));
  }

  private async connected(): Promise<QmpClient> {
    this.client ??= QmpClient.connect(this.socket);
    return this.client.catch((e: unknown) => {
      this.client = undefined; // the next request connects again
      throw e;
    });
  }

  private async answerLink(req: LinkRequest): Promise<void> {
    const what = `link ${req.up ? 'on' : 'off'} ${req.netdev}`;
    const cmd = linkCommandFor(req, this.netdevs);
    if ('problem' in cmd) return this.note(cmd.problem);
    try {
      await (await this.connected()).execute(cmd);
      await this.note(`${what}: ${JSON.stringify(cmd)}: ok`);
    } catch (e) {
      await this.note(`${what}: ${JSON.stringify(cmd)}: failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async note(msg: string): Promise<void> {
    await appendFile(this.log, `${new Date().toISOString()} ${msg}\n`).catch(() => undefined);
  }

  private async answer(req: HotplugRequest): Promise<void> {
    const cmd = qmpCommandFor(req, this.slots);
    if ('problem' in cmd) return this.note(cmd.problem);
    try {
      const c = await this.connected();
      for (let tries = 0; ; tries++) {
        try {
          await c.execute(cmd);
          break;
        } catch (e) {
          const again = req.action === 'plug' && /Duplicate (device )?ID/i.test(String(e)) && tries < this.plugRetryMs / 500;
          if (!again) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await this.note(`${req.action} ${req.port}: ${JSON.stringify(cmd)}: ok`);
    } catch (e) {
      await this.note(`${req.action} ${req.port}: ${JSON.stringify(cmd)}: failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Wait for queued answers, then close the connection. */
  async close(): Promise<void> {
    await this.chain;
    if (this.client) (await this.client.catch(() => undefined))?.close();
  }
}

/** Prefix of a boot's QMP socket directory in the temp dir: atemsys-qmp-<pid>-XXXXXX. */
export const QMP_DIR_PREFIX = 'atemsys-qmp-';

/**
 * A fresh directory for one boot's QMP socket (a socket path must stay
 * under 108 bytes, so not in out/), named after this process; first removes
 * those of processes that are gone (a run killed with SIGKILL cannot clean
 * up after itself). Returns its path.
 */
export async function makeQmpDir(tmp: string = os.tmpdir()): Promise<string> {
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const m = new RegExp(`^${QMP_DIR_PREFIX}(\\d+)-`).exec(name);
    if (m && !pidAlive(Number(m[1]))) await rm(path.join(tmp, name), { recursive: true, force: true });
  }
  return mkdtemp(path.join(tmp, `${QMP_DIR_PREFIX}${process.pid}-`));
}
