// The app's API (main/api/studio-api.ts) for tests: each API gets its own folders under one temporary
// root, and every API made in a test is disposed after it (its workers and tasks with it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import type { ApiEventName, ApiEvents } from '../../shared/contract/api.js';
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

export interface RecordedEvent {
  event: ApiEventName;
  payload: ApiEvents[ApiEventName];
}

/** Every event an API emits from now on, and a wait for the first (past or coming) that matches. */
export function recordEvents(api: StudioApiHost) {
  const events: RecordedEvent[] = [];
  api.onAny((event, payload) => events.push({ event, payload }));
  const waitFor = (pred: (e: RecordedEvent) => boolean, ms = 60_000) =>
    new Promise<RecordedEvent>((resolve, reject) => {
      const found = events.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('event did not arrive')), ms);
      const off = api.onAny((event, payload) => {
        if (pred({ event, payload })) {
          clearTimeout(timer);
          off();
          resolve({ event, payload });
        }
      });
    });
  return { events, waitFor };
}
