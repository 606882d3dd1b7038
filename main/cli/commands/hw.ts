import type { Command } from 'commander';
import { measureRoofline } from '../../backends/native/roofline.js';
import { MachineService } from '../../services/machine.js';
import { defaultResultsDir, rooflineDir } from '../../store/paths.js';
import { RooflineStore } from '../../store/roofline-store.js';
import { describeAdapter } from '../../../shared/hardware/adapters.js';
import { bytes } from '../format.js';
import { action, printJson, printText } from '../io.js';

export function registerHw(program: Command): void {
  program
    .command('hw')
    .description('the machine profile every result embeds: CPU, ISA, caches, memory, GPUs, OS, versions')
    .option(
      '--roofline',
      'also measure the roofline with the native kernels: peak FP32 GFLOP/s and triad GB/s (a few seconds); kept for this machine, so the results saved afterwards carry it',
    )
    .option('--results <dir>', 'the results folder whose machines/ keeps the roofline', defaultResultsDir())
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: { json?: boolean; roofline?: boolean; results: string }) => {
        // A one-off process: the roofline is measured here, not in a child as the app does.
        const machine = new MachineService({
          measureRoofline: () => measureRoofline(),
          rooflines: new RooflineStore(rooflineDir(opts.results)),
        });
        // Measured afresh (a figure quoted from this run is of this run), then kept for the results.
        const m = opts.roofline
          ? { ...(await machine.profile()), roofline: await machine.roofline({ fresh: true }) }
          : await machine.profile();
        if (opts.json) return printJson(m);
        const c = m.cpu;
        const cache = Object.entries(c.cache)
          .filter(([, v]) => v)
          .map(([k, v]) => `${k} ${bytes(v!)}`)
          .join(', ');
        printText(
          [
            `CPU      ${c.brand} (${c.manufacturer}), ${c.physicalCores} cores / ${c.threads} threads${c.speedGHz ? `, ${c.speedGHz} GHz` : ''}`,
            `ISA      ${c.isa.join(' ') || '(none of the kernel-relevant extensions reported)'}`,
            `caches   ${cache || 'not reported'}`,
            `memory   ${bytes(m.memory.totalBytes)} total${m.memory.availableBytes ? `, ${bytes(m.memory.availableBytes)} available` : ''}`,
            `GPUs     ${m.gpus.map((g) => `${g.vendor} ${g.model}${g.memoryBytes ? ` (${bytes(g.memoryBytes)})` : ''}${g.driver ? `, driver ${g.driver}` : ''}`).join('; ') || 'none detected'}`,
            ...(m.adapters
              ? m.adapters.length
                ? m.adapters.map((a, i) => `${i ? '        ' : 'adapters'} ${describeAdapter(a)} (${a.source})`)
                : ['adapters none found (no Vulkan device, no nvidia-smi)']
              : []),
            `OS       ${[m.os.distro, m.os.release].filter(Boolean).join(' ') || m.os.platform}, kernel ${m.os.kernel ?? '?'}, ${m.os.arch}`,
            `versions node ${m.versions.node}, onnxruntime-node ${m.versions.onnxruntime ?? 'not installed'}, studio ${m.versions.studio}${m.versions.electron ? `, electron ${m.versions.electron}` : ''}`,
            ...(m.roofline
              ? [
                  `roofline FP32 peak ${m.roofline.peakGflops.oneThread.toFixed(1)} GFLOP/s (1 thread), ${m.roofline.peakGflops.allThreads.toFixed(1)} GFLOP/s (${m.roofline.threads} threads), ${m.roofline.isa} FMA kernel`,
                  `         triad ${m.roofline.triadGBps.oneThread.toFixed(1)} GB/s (1 thread), ${m.roofline.triadGBps.allThreads.toFixed(1)} GB/s (${m.roofline.threads} threads); ridge at ${m.roofline.ridgeFlopsPerByte.toFixed(1)} FLOP/byte`,
                ]
              : []),
          ].join('\n'),
        );
      }),
    );
}
