// The folder rules live in .dependency-cruiser.cjs (npm run lint:deps runs them in npm test); these
// cases prove they hold on the tree and refuse what they must, on small trees written for the test.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration;

async function violations(baseDir: string, tsConfig?: string): Promise<string[]> {
  const folders = ['main', 'shared'].filter((f) => existsSync(join(baseDir, f)));
  const { output } = await cruise(folders, {
    ...config.options,
    baseDir,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    tsConfig: tsConfig ? { fileName: join(baseDir, tsConfig) } : undefined,
    tsPreCompilationDeps: true,
    outputType: 'json',
  });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'folder-loops-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small tree of .ts files under a fresh folder; returns the folder. */
function tree(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  return dir;
}

describe('folder rules (dependency-cruiser)', () => {
  it('hold on this tree: no folder of main/ or shared/ imports another in a loop; the contract is a leaf', async () => {
    expect(await violations(root, 'tsconfig.json')).toEqual([]);
  }, 60_000);

  it('refuse a loop between two folders of main/', async () => {
    const dir = tree('main-loop', {
      'main/engine/queue.ts': "import { spawn } from '../process/spawner.js';\nexport const q = spawn;\n",
      'main/process/spawner.ts': "import { q } from '../engine/queue.js';\nexport const spawn = () => q;\n",
    });
    const found = await violations(dir, 'tsconfig.json');
    expect(found.some((v) => v.startsWith('no-folder-loop: main/engine'))).toBe(true);
  }, 60_000);

  it('refuse a loop through three folders of shared/, type-only imports included', async () => {
    const dir = tree('shared-loop', {
      'shared/stats/a.ts': "import type { B } from '../contract/b.js';\nexport type A = B;\n",
      'shared/contract/b.ts': "import type { C } from '../lab/c.js';\nexport type B = C;\n",
      'shared/lab/c.ts': "import type { A } from '../stats/a.js';\nexport type C = A | number;\n",
    });
    const found = await violations(dir, 'tsconfig.json');
    expect(found.filter((v) => v.startsWith('no-folder-loop')).length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('refuse two modules of one folder that import each other (type-only and dynamic imports count)', async () => {
    const dir = tree('module-loop', {
      'main/data/open.ts': "import type { Opts } from './source.js';\nexport const open = (o: Opts) => o;\n",
      'main/data/source.ts': "export type Opts = { n: number };\nexport const load = () => import('./open.js');\n",
    });
    expect(await violations(dir, 'tsconfig.json')).toContain(
      'no-module-loop: main/data/open.ts -> main/data/source.ts',
    );
  }, 60_000);

  it('refuse a contract that imports anything but zod and itself', async () => {
    const dir = tree('contract', {
      'shared/contract/job.ts': "import { heads } from '../lab/heads.js';\nexport const job = heads;\n",
      'shared/lab/heads.ts': 'export const heads = 3;\n',
    });
    expect(await violations(dir, 'tsconfig.json')).toContain(
      'contract-is-a-leaf: shared/contract/job.ts -> shared/lab/heads.ts',
    );
  }, 60_000);

  it('allow a tree that only goes down', async () => {
    const dir = tree('clean', {
      'main/engine/queue.ts': "import { spawn } from '../process/spawner.js';\nexport const q = spawn;\n",
      'main/process/spawner.ts': "import { z } from '../../shared/contract/job.js';\nexport const spawn = z;\n",
      'shared/contract/job.ts': 'export const z = 1;\n',
    });
    expect(await violations(dir, 'tsconfig.json')).toEqual([]);
  }, 60_000);
});
