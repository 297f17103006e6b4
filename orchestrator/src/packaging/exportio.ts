/** Reading and writing what `orchestrate export` generates (see packaging/export.ts). */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareExport, exportDirs, type Drift, type ExportTarget, type ExportedFile } from './export.ts';

/** Files below root/rel (recursively), as paths relative to root; a missing directory has none. */
export async function listFiles(root: string, rel = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Every file under `dirs` (relative to repo), with its content; missing dirs are empty. */
export async function readTree(repo: string, dirs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const d of dirs) for (const f of await listFiles(repo, d)) out.set(f, await readFile(path.join(repo, f), 'utf8'));
  return out;
}

export async function exportDrift(repo: string, files: readonly ExportedFile[], targets: readonly ExportTarget[]): Promise<Drift[]> {
  const onDisk = await readTree(repo, exportDirs(targets));
  // files outside those directories (boards/schema.json)
  for (const f of files) {
    if (onDisk.has(f.path)) continue;
    try {
      onDisk.set(f.path, await readFile(path.join(repo, f.path), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return compareExport(files, onDisk);
}

/** Write what differs, remove stale generated files; returns what changed. */
export async function writeExport(repo: string, files: readonly ExportedFile[], targets: readonly ExportTarget[]): Promise<Drift[]> {
  const drift = await exportDrift(repo, files, targets);
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const d of drift) {
    const abs = path.join(repo, d.path);
    const f = byPath.get(d.path);
    if (d.problem === 'stale' || !f) {
      await rm(abs, { force: true });
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, f.content);
  }
  return drift;
}
