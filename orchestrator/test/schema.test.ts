import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../src/core/paths.ts';
import { ConfigError } from '../src/core/errors.ts';
import { schemaExport } from '../src/packaging/export.ts';
import { parseProfile } from '../src/profile/profile.ts';
import { SCHEMA_FILE } from '../src/profile/schema.ts';

const boards = path.join(REPO_ROOT, 'boards');
const files = readdirSync(boards)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const schemaText = readFileSync(path.join(REPO_ROOT, SCHEMA_FILE), 'utf8');
// a real JSON Schema validator, strict: a keyword it does not know fails the compile
const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(schemaText) as object);

function schemaErrors(text: string): string[] {
  if (validate(parse(text))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

function zodError(text: string, name: string): string {
  try {
    parseProfile(text, `boards/${name}.yaml`, name);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('boards/schema.json', () => {
  it('is what `npx orchestrate export` writes from the zod schema', () => {
    expect(schemaExport()).toEqual({ path: SCHEMA_FILE, content: schemaText, target: 'schema', board: '' });
  });

  it('carries the field docs for editors', () => {
    const s = JSON.parse(schemaText) as { properties: { qemu: { properties: { memory: { description: string } } } } };
    expect(s.properties.qemu.properties.memory.description).toContain('MiB');
  });

  it.each(files)('%s names it on its first line and is valid under it', (f) => {
    const text = readFileSync(path.join(boards, f), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
    expect(schemaErrors(text)).toEqual([]);
  });

  it('rejects a broken profile like the zod schema does', () => {
    const text = readFileSync(path.join(boards, 'qemu-arm64.yaml'), 'utf8');
    const broken = text.replace(/^ {2}memory: 512$/m, '  memory: lots');
    expect(broken).not.toBe(text);
    expect(schemaErrors(broken)).toContain('/qemu/memory must be integer');
    const line = broken.split('\n').findIndex((l) => l === '  memory: lots') + 1;
    expect(zodError(broken, 'qemu-arm64')).toBe(`boards/qemu-arm64.yaml:${line}: qemu.memory: expected a positive integer, got "lots"`);
  });

  it('rejects unknown keys, missing fields and bad patterns too', () => {
    const text = readFileSync(path.join(boards, 'imx8.yaml'), 'utf8');
    expect(schemaErrors(text.replace(/^arch: arm64$/m, 'arch: riscv64'))).toContain('/arch must be equal to one of the allowed values');
    expect(schemaErrors(text.replace(/^qemu:$/m, 'qemu:\n  cpus: 4'))).toContain('/qemu must NOT have additional properties');
    expect(schemaErrors(text.replace(/^ {2}base: .*$/m, '  base: /boot/x.dtb'))).toContain('/dt/base must match pattern "^(?!\\/)(?!.*(^|\\/)\\.\\.?(\\/|$))[A-Za-z0-9._+,/-]+\\.dtb$"');
    expect(schemaErrors(text.replace(/^description: .*\n/m, ''))).toContain(" must have required property 'description'");
    expect(schemaErrors(text.replace(/series: "6.1"/, 'series: 6.1'))).toContain('/kernels/0/series must be string');
  });
});
