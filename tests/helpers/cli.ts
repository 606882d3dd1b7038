// Runs the CLI as a user does: a child process through tsx, from the project root.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const root = new URL('../..', import.meta.url).pathname;

export function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'main/cli/index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
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
