import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write';
import { dirname, join } from 'node:path';
import { UserError } from '../errors';
import { appHome } from '../paths';
import type { CatalogModel, ModelSource } from './catalog';

interface UserCatalogFile {
  version: 1;
  models: Array<{ name: string; source: ModelSource }>;
}

/** The user's own catalog entries: appHome()/models.json. */
export function userCatalogPath(): string {
  return join(appHome(), 'models.json');
}

function isSource(v: unknown): v is ModelSource {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (s.kind === 'hub' && typeof s.repo === 'string') || (s.kind === 'local' && typeof s.path === 'string');
}

export function readUserModels(): CatalogModel[] {
  const file = userCatalogPath();
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const models = (parsed as Partial<UserCatalogFile>).models;
  if (!Array.isArray(models)) throw new UserError(`${file}: expected {"models": [...]}`);
  return models.flatMap((m: unknown, i) => {
    const e = m as { name?: unknown; source?: unknown };
    if (typeof e.name !== 'string' || !isSource(e.source))
      throw new UserError(`${file}: entry ${i + 1} needs a "name" and a "source" ({kind:"hub",repo} or {kind:"local",path})`);
    return [{ name: e.name, role: 'custom' as const, source: e.source, userAdded: true }];
  });
}

export async function writeUserModels(models: CatalogModel[]): Promise<void> {
  const file = userCatalogPath();
  const body: UserCatalogFile = { version: 1, models: models.map((m) => ({ name: m.name, source: m.source })) };
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n');
}
