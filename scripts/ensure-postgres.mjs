#!/usr/bin/env node
// Makes sure the PostgreSQL server programs (initdb, pg_ctl, postgres) that the database tests start
// a private server with are installed: Debian's `postgresql` package (15 on bookworm). As root on a
// Debian/Ubuntu machine it installs it with apt-get; otherwise it exits with status 1 and prints the
// command to run. The tests never use a system-wide server: each starts its own on loopback, on a
// free port, in a temporary folder (tests/helpers/postgres.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const ROOT = '/usr/lib/postgresql';
const command = ['apt-get', 'install', '-y', '--no-install-recommends', 'postgresql'];
const say = (line) => process.stderr.write(`ensure-postgres: ${line}\n`);

function found() {
  if (process.env.STUDIO_PG_BINDIR) return existsSync(join(process.env.STUDIO_PG_BINDIR, 'initdb'));
  if (!existsSync(ROOT)) return false;
  return readdirSync(ROOT).some(
    (v) => existsSync(join(ROOT, v, 'bin', 'initdb')) && existsSync(join(ROOT, v, 'bin', 'pg_ctl')),
  );
}

if (found()) process.exit(0);
if (process.env.STUDIO_PG_BINDIR) {
  say(
    `STUDIO_PG_BINDIR is ${process.env.STUDIO_PG_BINDIR}, which has no initdb; point it at PostgreSQL's bin folder, or unset it`,
  );
  process.exit(1);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  say(`PostgreSQL's server programs are missing (no ${ROOT}/*/bin/initdb). Install them with:`);
  say(`  ${isRoot ? '' : 'sudo '}${command.join(' ')}`);
  say("or set STUDIO_PG_BINDIR to the folder holding PostgreSQL's initdb and pg_ctl.");
  process.exit(1);
}
say(`PostgreSQL is missing; running: ${command.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
let run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
if (run.status !== 0) {
  say('install failed; updating the package lists and trying once more');
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
}
if (run.status !== 0 || !found()) {
  say(`could not install PostgreSQL; run \`${command.join(' ')}\` by hand`);
  process.exit(1);
}
say('installed PostgreSQL');
