#!/usr/bin/env node
// The `orchestrate` command. The TypeScript sources run as one ES module that
// esbuild bundles from src/ (npm packages stay imports), cached in
// node_modules/.cache/orchestrate/<key>.mjs, the key made of every source's
// path, size and mtime: a command starts in about 0.7 s where tsx took about
// 3 s to transpile and load some 80 files each time. If the bundle cannot be
// made or loaded, the sources run through tsx (as with ORCHESTRATE_TSX=1).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

/** Every .ts file under dir, sorted. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

/** The bundle of the current sources, built first when there is none. Returns its path. */
async function bundle() {
  const h = createHash('sha256');
  for (const f of sources(src)) {
    const s = statSync(f);
    h.update(`${path.relative(src, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  const dir = path.join(root, 'node_modules', '.cache', 'orchestrate');
  const file = path.join(dir, `${h.digest('hex').slice(0, 20)}.mjs`);
  if (existsSync(file)) return file;
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await build({
    entryPoints: [path.join(src, 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: tmp,
    logLevel: 'silent',
    // core/paths.ts finds the repository from its own location
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(path.join(src, 'core', 'paths.ts')).href) },
  });
  renameSync(tmp, file);
  // older bundles are of sources that changed since
  for (const n of readdirSync(dir)) if (n !== path.basename(file) && n.endsWith('.mjs')) rmSync(path.join(dir, n), { force: true });
  return file;
}

let cli;
if (process.env.ORCHESTRATE_TSX !== '1') {
  try {
    cli = await import(pathToFileURL(await bundle()).href);
  } catch (err) {
    process.stderr.write(`orchestrate: running the sources through tsx (no bundle: ${err instanceof Error ? err.message : String(err)})\n`);
  }
}
if (cli === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
await cli.entry();
