#!/usr/bin/env node
// Makes sure a Vulkan device exists for the WebGPU tests (ONNX Runtime's WebGPU provider runs on
// Vulkan on Linux). On a machine without a GPU driver that is lavapipe, Mesa's software Vulkan
// device, which executes on the CPU: Debian 12's own Mesa is too old for ONNX Runtime's WebGPU
// provider, the Mesa of `bookworm-backports` works. As root on Debian bookworm this script adds
// bookworm-backports to the Suites: line of /etc/apt/sources.list.d/debian.sources and installs
// mesa-vulkan-drivers, libvulkan1 and vulkan-tools from it. It is skipped when `vulkaninfo
// --summary` already lists a device.
//
// It never fails `npm test`: without root, on another system or when the install fails it prints
// what to run, and the GPU tests report that they are skipped and why (tests/helpers/vulkan.ts).
// Plain Node ESM without dependencies, so that it runs before anything else of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const SOURCES = '/etc/apt/sources.list.d/debian.sources';
const BACKPORTS = 'bookworm-backports';
const PACKAGES = ['mesa-vulkan-drivers', 'libvulkan1', 'vulkan-tools'];
const INSTALL = `apt-get install -y -t ${BACKPORTS} ${PACKAGES.join(' ')}`;
const say = (line) => process.stderr.write(`ensure-vulkan: ${line}\n`);

/** Device names from `vulkaninfo --summary` (empty when the tool is missing or finds none). */
export function vulkanDevices() {
  const r = spawnSync('vulkaninfo', ['--summary'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || !r.stdout) return [];
  return [...r.stdout.matchAll(/^\s*deviceName\s*=\s*(.+)$/gm)].map((m) => m[1].trim());
}

/**
 * Adds bookworm-backports to the first Suites: line that lists bookworm (Debian's deb822 sources),
 * leaving every other line as it was. Returns the new text, or undefined when there is no such line.
 */
export function withBackports(text) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^Suites:.*\bbookworm\b/.test(l));
  if (i < 0) return undefined;
  if (!lines[i].split(/\s+/).includes(BACKPORTS)) lines[i] = `${lines[i].trimEnd()} ${BACKPORTS}`;
  return lines.join('\n');
}

function manualSteps(why) {
  say(`no Vulkan device: ${why}. The WebGPU tests will be skipped (each says why).`);
  const sudo = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'sudo ' : '';
  say('To run them on Debian 12 (bookworm), as root:');
  say(`  add ${BACKPORTS} to the Suites: line of ${SOURCES} (Suites: bookworm bookworm-updates ${BACKPORTS})`);
  say(`  ${sudo}apt-get update`);
  say(`  ${sudo}env DEBIAN_FRONTEND=noninteractive ${INSTALL}`);
  say('With a real GPU, install its Vulkan driver instead (README, "GPUs (ONNX Runtime)").');
}

function main() {
  const before = vulkanDevices();
  if (before.length > 0) return; // a device is there already (software or a real GPU)
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const bookworm = /^ID=debian$/m.test(osRelease) && /^VERSION_CODENAME=bookworm$/m.test(osRelease);
  if (process.platform !== 'linux' || !bookworm)
    return manualSteps(
      process.platform === 'linux'
        ? "this is not Debian 12 (bookworm), so this script does not install one; install your distribution's Mesa Vulkan drivers (Mesa 24 or later) and vulkan-tools"
        : `this is ${process.platform}, where ONNX Runtime's WebGPU provider uses the system's own graphics API`,
    );
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) return manualSteps('installing one needs root');
  if (!existsSync(SOURCES)) return manualSteps(`${SOURCES} is missing`);

  const text = readFileSync(SOURCES, 'utf8');
  const updated = withBackports(text);
  if (updated === undefined) return manualSteps(`${SOURCES} has no Suites: line with bookworm`);
  if (updated !== text) {
    say(`adding ${BACKPORTS} to the Suites: line of ${SOURCES}`);
    writeFileSync(SOURCES, updated);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  say('running: apt-get update');
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  if (update.status !== 0) return manualSteps('apt-get update failed');
  say(`running: ${INSTALL}`);
  const install = spawnSync('apt-get', INSTALL.split(' ').slice(1), { stdio: 'inherit', env });
  if (install.status !== 0) return manualSteps(`\`${INSTALL}\` failed`);
  const after = vulkanDevices();
  if (after.length === 0) return manualSteps('the packages are installed but `vulkaninfo --summary` lists no device');
  say(`Vulkan devices: ${after.join(', ')}`);
}

// Runs when executed (npm test), not when a test imports withBackports().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (e) {
    manualSteps(`the check failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
