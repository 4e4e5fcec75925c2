// Where an export may be written. `--out DIR` is replaced whole, so it may only be new, empty, or
// an earlier export of this tool holding nothing else: recognised by the marker file every export
// writes (not by a common file name: a web project has a manifest.json too), or, for exports
// written before the marker existed, by their exact file set and a graph this tool produced.
// Also: the temporary folders of exports that were killed mid-way.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { unwritableFolderReason } from '../disk-errors';
import { UserError } from '../errors';
import { processAlive } from '../process-alive';
import { EXPORT_FILES, externalDataOf, TRANSFORMERS_JS_FILES, TRANSFORMERS_JS_SIDE_FILES } from './export-files';

export type ExportLayout = 'bild' | 'transformers.js';

export const EXPORT_MARKER = '.bild-bench-export.json';
const MARKER_FORMAT = 'bild-bench-onnx-export';

export interface ExportMarker {
  format: typeof MARKER_FORMAT;
  version: 1;
  layout: ExportLayout;
  /** The checkpoint folder exported. */
  source: string;
}

const JS_GRAPHS = Object.values(TRANSFORMERS_JS_FILES);

/** Every file each layout writes (folders end with '/'), the marker aside. */
const LAYOUT_FILES: Record<ExportLayout, { files: readonly string[]; graph: string }> = {
  bild: { files: Object.values(EXPORT_FILES), graph: EXPORT_FILES.encoder },
  'transformers.js': {
    files: [
      ...new Set(JS_GRAPHS.map((g) => `${dirname(g)}/`)),
      ...JS_GRAPHS.flatMap((g) => [g, externalDataOf(g)]),
      ...TRANSFORMERS_JS_SIDE_FILES,
    ],
    graph: TRANSFORMERS_JS_FILES.encoder,
  },
};

export function writeExportMarker(dir: string, layout: ExportLayout, source: string): void {
  const marker: ExportMarker = { format: MARKER_FORMAT, version: 1, layout, source };
  writeFileSync(join(dir, EXPORT_MARKER), JSON.stringify(marker, null, 2) + '\n');
}

export function readMarker(dir: string): ExportMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, EXPORT_MARKER), 'utf8')) as Partial<ExportMarker> | null;
    return m?.format === MARKER_FORMAT && typeof m.layout === 'string' && Object.hasOwn(LAYOUT_FILES, m.layout) ? (m as ExportMarker) : undefined;
  } catch {
    return undefined;
  }
}

/** Paths under `dir`, relative, folders with a trailing '/'; only the folders in `known` are looked into (any other is foreign whole). */
function listTree(dir: string, known: readonly string[], prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const path = `${prefix}${e.name}${e.isDirectory() ? '/' : ''}`;
    return e.isDirectory() && known.includes(path) ? [path, ...listTree(dir, known, path)] : [path];
  });
}

/** Whether an ONNX file's ModelProto opens with ir_version and producer_name 'bild-bench' (how GraphBuilder writes it). */
function producedHere(file: string): boolean {
  const head = Buffer.alloc(32);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] !== 0x08) return false; // field 1 (ir_version), varint
  let i = 1;
  while (i < 11 && head[i]! & 0x80) i++;
  const producer = Buffer.from('bild-bench');
  return head[i + 1] === 0x12 && head[i + 2] === producer.length && head.subarray(i + 3, i + 3 + producer.length).equals(producer);
}

/**
 * What replacing `dir` would delete that this tool did not write: [] for an export of ours
 * (marked, or unmarked from before the marker, with its graph produced here), else the entries
 * that no export writes, or `[why]` when the folder is no export at all.
 */
function foreignEntries(dir: string): string[] {
  const marker = readMarker(dir);
  const layouts = marker ? [marker.layout] : (Object.keys(LAYOUT_FILES) as ExportLayout[]).filter((l) => producedHere(join(dir, LAYOUT_FILES[l].graph)));
  if (!layouts.length) return [`no ${EXPORT_MARKER}: not an export of this tool`];
  const extras = layouts.map((l) => listTree(dir, LAYOUT_FILES[l].files).filter((e) => e !== EXPORT_MARKER && !LAYOUT_FILES[l].files.includes(e)));
  return extras.reduce((a, b) => (b.length < a.length ? b : a));
}

/** Refuses an output folder whose replacement would delete the checkpoint or anything this tool did not write. */
export function checkOutDir(outDir: string, checkpointDir: string): void {
  const out = resolve(outDir);
  const rel = relative(out, resolve(checkpointDir));
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep)))
    throw new UserError(`--out: '${outDir}' is or holds the checkpoint folder; the export replaces that folder whole`);
  const st = statSync(out, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UserError(`--out: '${outDir}' is a file, not a folder`);
  const unwritable = unwritableFolderReason(dirname(out));
  if (unwritable) throw new UserError(`--out: cannot write '${outDir}' (${unwritable})`);
  if (!st || readdirSync(out).length === 0) return;
  const foreign = foreignEntries(out);
  if (foreign.length) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw new UserError(`--out: '${outDir}' holds files this tool did not write (${shown}); the export replaces the folder whole, so give a new or empty folder`);
  }
}

/** Replaces `outDir` with the finished export in `tmp`, checking again first (the folder may have changed since the export began). */
export function installExport(tmp: string, outDir: string, checkpointDir: string): void {
  checkOutDir(outDir, checkpointDir);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
}

/** The temporary folder an export writes before renaming it to `outDir` (unique: two exports may start in one millisecond). */
export const partialDir = (outDir: string): string => `${outDir}.partial-${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}`;

/** Past this age a temporary folder is stale even if a process with its writer's pid exists (the pid was reused). */
const PARTIAL_MAX_AGE_MS = 24 * 3600_000;

/**
 * Removes temporary folders of exports killed mid-way (their writer process is gone, or they
 * are a day old): in `root`, those of any export; with `of`, only those of the export `root/of`.
 */
export function sweepPartials(root: string, of?: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^(.*)\.partial-(\d+)-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m || (of !== undefined && m[1] !== of)) continue;
    if (!processAlive(Number(m[2])) || Date.now() - Number(m[3]) > PARTIAL_MAX_AGE_MS) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Sweeps what killed exports to `outDir` left beside it. */
export const sweepPartialsOf = (outDir: string): void => sweepPartials(dirname(outDir), basename(outDir));
