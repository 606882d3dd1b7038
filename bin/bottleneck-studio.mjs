#!/usr/bin/env node
// The `bottleneck-studio` command (package.json "bin"): runs the built command line,
// dist/main/cli/index.js, which `npm ci` / `npm install` build (the "prepare" script,
// scripts/build-main.mjs). Plain JavaScript, so that starting it compiles nothing.
// From a checkout without a build it says which command builds it; `npm run cli -- ...` runs the
// TypeScript sources directly (tsx) during development.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/main/cli/index.js', import.meta.url));
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `bottleneck-studio: the command line is not built (${bundle} is missing).\n` +
      `Build it with:  npm run build:main   (in ${root})\n` +
      'or run the TypeScript sources without building:  npm run cli -- <arguments>\n',
  );
  process.exitCode = 1;
}
