// Runs the CLI as a user does: a child process through tsx, from the project root.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

export const root = new URL('../..', import.meta.url).pathname;

/**
 * Commands that save by default (bench, accuracy, lab) save into a folder of this test process,
 * never into the user's results folder, unless a test sets BOTTLENECK_STUDIO_RESULTS or --results.
 */
let scratchResults: string | undefined;

export function cli(args: string[], env: Record<string, string> = {}) {
  scratchResults ??= mkdtempSync(join(tmpdir(), 'studio-cli-results-'));
  const r = spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'main/cli/index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { BOTTLENECK_STUDIO_RESULTS: scratchResults, ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs with --json and returns the parsed document, asserting a clean exit and nothing on stderr. */
export function cliJson(args: string[], opts: { allowStderr?: boolean; code?: number } = {}) {
  const r = cli([...args, '--json']);
  if (!opts.allowStderr) expect(r.stderr).toBe('');
  expect(r.code, r.stderr).toBe(opts.code ?? 0);
  return JSON.parse(r.stdout);
}
