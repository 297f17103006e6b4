/**
 * LAVA's own job schema (lava_common.schemas.validate, strict, from Debian's
 * lava-common) applied to job definitions, through the system's Python.
 */
import { execa } from 'execa';
import { ConfigError } from '../core/errors.ts';

/** Debian's interpreter, where apt puts lava_common (not a pyenv or venv python3 first in PATH) */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/* Reads a JSON list of YAML texts; prints a JSON list: null (valid) or the error per job */
const VALIDATOR = `
import json, sys, yaml
try:
    from lava_common.schemas import validate
except ImportError as e:
    print("NO_LAVA_COMMON " + str(e)); sys.exit(3)
out = []
for text in json.load(sys.stdin):
    try:
        validate(yaml.safe_load(text), strict=True, extra_context_variables=[])
        out.append(None)
    except Exception as e:
        path = "/".join(str(p) for p in getattr(e, "path", []))
        out.append((path + ": " if path else "") + str(getattr(e, "msg", e)))
print(json.dumps(out))
`;

/**
 * Each job (YAML text) checked against LAVA's strict job schema: undefined
 * when valid, else LAVA's complaint ("actions/0/deploy/images: …"), in
 * order. ConfigError (exit 2) when lava-common is not installed.
 */
export async function validateLavaJobs(yamlTexts: readonly string[], signal?: AbortSignal): Promise<(string | undefined)[]> {
  const r = await execa(SYSTEM_PYTHON, ['-c', VALIDATOR], {
    input: JSON.stringify(yamlTexts),
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const out = String(r.stdout ?? '');
  if (r.exitCode === 3 || out.startsWith('NO_LAVA_COMMON') || (r.failed && /ENOENT/.test(String(r.message)))) {
    throw new ConfigError(`LAVA's job schema is missing (${SYSTEM_PYTHON} cannot import lava_common): make setup installs Debian's lava-common`);
  }
  if (r.exitCode !== 0)
    throw new ConfigError(
      `the LAVA schema check failed: ${String(r.stderr ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' / ')}`,
    );
  const res = JSON.parse(out) as (string | null)[];
  return res.map((e) => e ?? undefined);
}
