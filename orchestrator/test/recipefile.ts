/**
 * Just enough of the bitbake and Buildroot make syntaxes to read this
 * project's own recipes and .mk files in tests: plain assignments,
 * continuation lines, `require`, and ${VAR} / $(VAR) expansion.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Vars = Map<string, string>;

/** Logical lines: comments dropped, backslash continuations joined. */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (cur === '' && /^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      cur += `${raw.slice(0, -1)} `;
      continue;
    }
    out.push(cur + raw);
    cur = '';
  }
  if (cur !== '') out.push(cur);
  return out;
}

const BB_ASSIGN = /^([A-Za-z0-9_${}:.+/-]+(?:\[[^\]]+\])?)\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*(["'])(.*)\3\s*$/;

/** Variables of a recipe (with its `require`d files), as `bitbake -e` would end with for simple recipes. */
export function readRecipe(file: string, initial: Vars = new Map()): Vars {
  const vars = new Map(initial);
  const load = (f: string): void => {
    for (const line of logicalLines(readFileSync(f, 'utf8'))) {
      const req = /^\s*(?:require|include)\s+(\S+)\s*$/.exec(line);
      if (req?.[1]) {
        load(path.join(path.dirname(f), req[1]));
        continue;
      }
      const m = BB_ASSIGN.exec(line.trim());
      if (!m) continue;
      const [, name = '', op, , value = ''] = m;
      const old = vars.get(name);
      if (op === '=' || op === ':=') vars.set(name, value);
      else if ((op === '?=' || op === '??=') && old === undefined) vars.set(name, value);
      else if (op === '+=') vars.set(name, old === undefined ? value : `${old} ${value}`);
      else if (op === '.=') vars.set(name, (old ?? '') + value);
    }
  };
  load(file);
  return vars;
}

/** ${VAR} expansion, repeated; unknown variables stay as they are. */
export function expand(value: string, vars: Vars): string {
  let v = value;
  for (let i = 0; i < 20; i++) {
    const next = v.replace(/\$\{([A-Za-z0-9_:-]+)\}/g, (all, n: string) => vars.get(n) ?? all);
    if (next === v) break;
    v = next;
  }
  return v;
}

const MK_ASSIGN = /^([A-Z0-9_]+)\s*(\+=|\?=|:=|=)\s*(.*)$/;

/** Top-level variables of a Buildroot .mk (define blocks skipped). */
export function readMk(file: string): Vars {
  const vars: Vars = new Map();
  let inDefine = false;
  for (const line of logicalLines(readFileSync(file, 'utf8'))) {
    if (/^define\s/.test(line)) inDefine = true;
    if (inDefine) {
      if (/^endef\b/.test(line)) inDefine = false;
      continue;
    }
    const m = MK_ASSIGN.exec(line);
    if (!m) continue;
    const [, name = '', op, value = ''] = m;
    const old = vars.get(name);
    vars.set(name, op === '+=' && old !== undefined ? `${old} ${value.trim()}` : value.trim());
  }
  return vars;
}
