// Runs a built Electron main process under plain Node with a fake `electron` module: a loader hook
// answers `import 'electron'` with the test's own fake-electron.mjs (Electron's binary cannot be
// downloaded here). Each test writes its own fake; this writes the hook around it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOOKS = `export async function resolve(spec, ctx, next) {
  if (spec === 'electron') return { url: new URL('./fake-electron.mjs', import.meta.url).href, shortCircuit: true };
  return next(spec, ctx);
}`;

const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);`;

/** Writes the fake module and its loader hook into `dir`; returns the `--import` argument for node. */
export function writeFakeElectron(dir: string, fakeElectron: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fake-electron.mjs'), fakeElectron);
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), REGISTER);
  return pathToFileURL(join(dir, 'register.mjs')).href;
}
