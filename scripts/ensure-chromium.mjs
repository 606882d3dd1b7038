#!/usr/bin/env node
// Makes sure the system Chromium that the HTML-report tests drive (through playwright-core) is
// installed. As root on a Debian/Ubuntu machine it installs it with apt-get; otherwise it exits
// with status 1 and prints the command to run. Playwright's own browser download is never used.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

const SYSTEM = '/usr/bin/chromium';
const path = process.env.CHROMIUM_PATH || SYSTEM;
const command = ['apt-get', 'install', '-y', 'chromium'];
const say = (line) => process.stderr.write(`ensure-chromium: ${line}\n`);

if (existsSync(path)) process.exit(0);
if (path !== SYSTEM) {
  say(`CHROMIUM_PATH is ${path}, which does not exist; point it at a Chromium or Chrome binary, or unset it`);
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  say(`Chromium is missing (${path}). Install it with:`);
  say(`  ${isRoot ? '' : 'sudo '}${command.join(' ')}`);
  say('or set CHROMIUM_PATH to a Chromium or Chrome binary.');
  process.exit(1);
}

say(`Chromium is missing (${path}); running: ${command.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
let run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
if (run.status !== 0) {
  // A fresh machine may have no package lists yet.
  say('install failed; updating the package lists and trying once more');
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
}
if (run.status !== 0 || !existsSync(path)) {
  say(`could not install Chromium; run \`${command.join(' ')}\` by hand`);
  process.exit(1);
}
say(`installed ${path}`);
