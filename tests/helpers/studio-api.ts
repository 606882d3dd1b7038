// The app's API (main/api/studio-api.ts) for tests: each API gets its own folders under one temporary
// root, and every API made in a test is disposed after it (its workers and tasks with it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { ApiError, createStudioApi, type StudioApiDeps, type StudioApiHost } from '../../main/api/studio-api.js';

/** Call at a test file's top level: returns the root folder and a factory of web-mode APIs. */
export function studioApis(prefix: string, defaults: Partial<StudioApiDeps> = {}) {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const apis: StudioApiHost[] = [];
  afterEach(async () => {
    await Promise.all(apis.splice(0).map((a) => a.dispose()));
  });
  const makeApi = (over: Partial<StudioApiDeps> = {}): StudioApiHost => {
    const dir = join(root, `api-${n++}`);
    const api = createStudioApi({
      mode: 'web',
      resultsDir: join(dir, 'results'),
      dataDir: join(dir, 'data'),
      cacheDir: join(dir, 'cache'),
      ...defaults,
      ...over,
    });
    apis.push(api);
    return api;
  };
  return { root, makeApi };
}

/** The ApiError a call rejects with (fails the test when it resolves or throws anything else). */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}
