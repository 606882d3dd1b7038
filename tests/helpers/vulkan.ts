// Whether this machine has a Vulkan device for the WebGPU tests, decided once per test file. Without
// one (no root to install lavapipe, not Debian, a failed install: scripts/ensure-vulkan.mjs prints
// what to run) every GPU test is still listed, skipped, with the reason in its title: never a silent
// pass. `gpuIt` is `it` when the device is there.
import { spawnSync } from 'node:child_process';
import { it, type TestFunction } from 'vitest';

function check(): { ok: boolean; reason: string; devices: string[] } {
  const r = spawnSync('vulkaninfo', ['--summary'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error)
    return {
      ok: false,
      devices: [],
      reason: `vulkaninfo is not installed (run \`node scripts/ensure-vulkan.mjs\` as root, or see README "GPUs (ONNX Runtime)")`,
    };
  const devices = [...(r.stdout ?? '').matchAll(/^\s*deviceName\s*=\s*(.+)$/gm)].map((m) => m[1].trim());
  if (devices.length === 0)
    return {
      ok: false,
      devices,
      reason: `vulkaninfo --summary lists no Vulkan device (install mesa-vulkan-drivers from bookworm-backports: \`node scripts/ensure-vulkan.mjs\` as root)`,
    };
  return { ok: true, devices, reason: '' };
}

export const vulkan = check();

/** `it` when a Vulkan device exists; otherwise a skipped test whose title says why. */
export function gpuIt(name: string, fn: TestFunction, timeout?: number): void {
  if (vulkan.ok) it(name, fn, timeout);
  else it.skip(`${name} [skipped: ${vulkan.reason}]`, fn);
}
