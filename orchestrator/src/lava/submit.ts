/**
 * Submitting LAVA jobs and reading back what they did, through LAVA's REST
 * API v0.2 (lava_rest_app, LAVA 2023.01): POST /api/v0.2/jobs/ with
 * {"definition": <yaml>} answers 201 {"job_ids": [n]}; GET
 * /api/v0.2/jobs/<n>/ gives state (Submitted, Scheduling, Scheduled,
 * Running, Canceling, Finished) and health (Unknown, Complete, Incomplete,
 * Canceled); GET /api/v0.2/jobs/<n>/logs/ the log as a YAML list of {dt,
 * lvl, msg}, the device's console being the `target` lines; GET
 * /api/v0.2/jobs/<n>/tests/ the test cases, 50 a page. Requests carry
 * `Authorization: Token <secret>`.
 */
import { parse } from 'yaml';
import { FailureError } from '../core/errors.ts';

/** The fetch the client uses (global fetch; a test passes its own) */
export type Fetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

export interface LavaJobState {
  id: number;
  state: string;
  health: string;
  /** LAVA's reason for an Incomplete job, if it gave one */
  failureComment?: string;
}

export interface LavaCase {
  suite: string;
  name: string;
  result: string;
}

/**
 * The token for `server`: LAVA_TOKEN from the environment, else the
 * lavacli identity (~/.config/lavacli.yaml) whose uri has the server's host,
 * else its `default` identity. Undefined when there is none. Pure.
 */
export function lavaToken(server: string, environ: Readonly<Record<string, string | undefined>>, lavacliYaml?: string): string | undefined {
  const t = environ.LAVA_TOKEN?.trim();
  if (t) return t;
  if (lavacliYaml === undefined) return undefined;
  let cfg: unknown;
  try {
    cfg = parse(lavacliYaml);
  } catch {
    return undefined;
  }
  if (typeof cfg !== 'object' || cfg === null) return undefined;
  const ids = Object.entries(cfg as Record<string, unknown>).filter((e): e is [string, { uri?: unknown; token?: unknown }] => typeof e[1] === 'object' && e[1] !== null);
  const host = new URL(server).host;
  const byHost = ids.find(([, v]) => typeof v.uri === 'string' && URL.canParse(v.uri) && new URL(v.uri).host === host);
  const chosen = byHost ?? ids.find(([k]) => k === 'default');
  return typeof chosen?.[1].token === 'string' ? chosen[1].token : undefined;
}

/** A job log's entries (YAML list of {dt, lvl, msg}); [] when it is not one. Pure. */
function logEntries(logYaml: string): { lvl?: unknown; msg?: unknown }[] {
  const entries = parse(logYaml) as unknown;
  return Array.isArray(entries) ? entries.filter((e): e is { lvl?: unknown; msg?: unknown } => typeof e === 'object' && e !== null) : [];
}

/**
 * The device's console out of a job log (YAML list of {dt, lvl, msg}): its
 * `target` lines, and its `feedback` lines (what the dispatcher read from
 * the console after the test action ended, e.g. a line that came with the
 * monitor's end pattern; one that repeats the line before it is an echo).
 * Pure.
 */
export function consoleOfLog(logYaml: string): string {
  const lines: string[] = [];
  for (const { lvl, msg } of logEntries(logYaml)) {
    if (typeof msg !== 'string') continue;
    if (lvl === 'target' || (lvl === 'feedback' && msg !== lines[lines.length - 1])) lines.push(msg);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * Why a job failed, from its log: the `job` result's error_type and
 * error_msg ("Infrastructure: Connection closed"), else the last `error`
 * line; undefined when the log has neither. LAVA 2023.01 leaves the job's
 * failure_comment empty for most of them. Pure.
 */
export function jobErrorOfLog(logYaml: string): string | undefined {
  let lastError: string | undefined;
  for (const { lvl, msg } of logEntries(logYaml)) {
    if (lvl === 'error' && typeof msg === 'string') lastError = msg;
    if (lvl === 'results' && typeof msg === 'object' && msg !== null) {
      const r = msg as { case?: unknown; definition?: unknown; error_msg?: unknown; error_type?: unknown };
      if (r.case === 'job' && r.definition === 'lava' && typeof r.error_msg === 'string') {
        return typeof r.error_type === 'string' ? `${r.error_type}: ${r.error_msg}` : r.error_msg;
      }
    }
  }
  return lastError;
}

/** A LAVA server's REST API, authenticated by token. Errors: FailureError with the server's answer. */
export class LavaClient {
  readonly base: string;
  private readonly token: string;
  private readonly fetch: Fetch;

  constructor(server: string, token: string, fetchImpl: Fetch = fetch as unknown as Fetch) {
    this.base = server.replace(/\/+$/, '');
    this.token = token;
    this.fetch = fetchImpl;
  }

  private async call(method: string, apiPath: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const url = `${this.base}/api/v0.2/${apiPath}`;
    let r;
    try {
      r = await this.fetch(url, {
        method,
        headers: { Authorization: `Token ${this.token}`, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new FailureError(`LAVA server ${this.base} did not answer ${method} ${apiPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await r.text();
    if (r.status === 401 || r.status === 403)
      throw new FailureError(`LAVA server ${this.base} refused the token (HTTP ${r.status}): set LAVA_TOKEN to a token of a user who may submit (lava-server manage tokens add --user <u>)`);
    if (r.status >= 400) throw new FailureError(`LAVA server ${this.base}: ${method} ${apiPath} gave HTTP ${r.status}: ${text.slice(0, 400)}`);
    return { status: r.status, text };
  }

  /** Cancels a job (GET jobs/<id>/cancel/, LAVA's REST v0.2). */
  async cancel(id: number, signal?: AbortSignal): Promise<void> {
    await this.call('GET', `jobs/${id}/cancel/`, undefined, signal);
  }

  /** Submits one job definition (YAML text); its id. */
  async submit(definition: string, signal?: AbortSignal): Promise<number> {
    const r = await this.call('POST', 'jobs/', { definition }, signal);
    const ids = (JSON.parse(r.text) as { job_ids?: unknown }).job_ids;
    const id = Array.isArray(ids) ? ids[0] : undefined;
    if (typeof id !== 'number') throw new FailureError(`LAVA server ${this.base} accepted the job but gave no id: ${r.text.slice(0, 200)}`);
    return id;
  }

  async job(id: number, signal?: AbortSignal): Promise<LavaJobState> {
    const j = JSON.parse((await this.call('GET', `jobs/${id}/`, undefined, signal)).text) as { state?: unknown; health?: unknown; failure_comment?: unknown };
    return {
      id,
      state: String(j.state ?? 'Unknown'),
      health: String(j.health ?? 'Unknown'),
      ...(typeof j.failure_comment === 'string' && j.failure_comment !== '' ? { failureComment: j.failure_comment } : {}),
    };
  }

  /** The job's log as LAVA keeps it (YAML) */
  async logs(id: number, signal?: AbortSignal): Promise<string> {
    return (await this.call('GET', `jobs/${id}/logs/`, undefined, signal)).text;
  }

  /**
   * Every test case LAVA recorded for the job: the pages (limit/offset,
   * followed by `next`), suites named through /jobs/<id>/suites/ (a case
   * gives its suite's id)
   */
  async tests(id: number, signal?: AbortSignal): Promise<LavaCase[]> {
    const suites = new Map<string, string>();
    const s = JSON.parse((await this.call('GET', `jobs/${id}/suites/?limit=500`, undefined, signal)).text) as { results?: unknown };
    for (const x of Array.isArray(s.results) ? (s.results as Record<string, unknown>[]) : []) suites.set(String(x.id ?? ''), String(x.name ?? ''));
    const out: LavaCase[] = [];
    let next = `jobs/${id}/tests/?limit=100&offset=0`;
    for (let page = 0; page < 1000 && next !== ''; page++) {
      const r = JSON.parse((await this.call('GET', next, undefined, signal)).text) as { results?: unknown; next?: unknown };
      for (const t of Array.isArray(r.results) ? (r.results as Record<string, unknown>[]) : []) {
        const suite = String(t.suite ?? '');
        out.push({ suite: suites.get(suite) ?? suite, name: String(t.name ?? ''), result: String(t.result ?? '') });
      }
      // `next` is a whole URL; the API path after /api/v0.2/ is what call() takes
      next = typeof r.next === 'string' && r.next.includes('/api/v0.2/') ? (r.next.split('/api/v0.2/')[1] ?? '') : '';
    }
    return out;
  }

  /**
   * Polls until the job is Finished (every pollMs), telling `progress` of
   * each change of state; its last state. FailureError after timeoutMs.
   */
  async wait(id: number, o: { pollMs: number; timeoutMs: number; signal?: AbortSignal; progress?: (s: LavaJobState) => void; sleep?: (ms: number) => Promise<void> }): Promise<LavaJobState> {
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
    const t0 = Date.now();
    let last = '';
    for (;;) {
      const s = await this.job(id, o.signal);
      if (`${s.state}/${s.health}` !== last) o.progress?.(s);
      last = `${s.state}/${s.health}`;
      if (s.state === 'Finished') return s;
      if (Date.now() - t0 > o.timeoutMs) throw new FailureError(`LAVA job ${id} not finished after ${Math.round(o.timeoutMs / 1000)} s (state ${s.state}): is a worker with a matching device online?`);
      await sleep(o.pollMs);
    }
  }
}
