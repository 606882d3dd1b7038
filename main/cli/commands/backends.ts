import type { Command } from 'commander';
import { MachineService } from '../../services/machine.js';
import { describeAdapter, SOFTWARE_ADAPTER_LABEL } from '../../../shared/hardware/adapters.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';

export function registerBackends(program: Command): void {
  program
    .command('backends')
    .description(
      'execution providers: available here or not, and why (detected by trying each one), and the graphics adapters',
    )
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: { json?: boolean }) => {
        const machine = new MachineService();
        const [found, adapters] = await Promise.all([machine.backends(), machine.adapters()]);
        if (opts.json) return printJson({ backends: found, adapters: adapters.adapters, adapterNotes: adapters.notes });
        // A backend on a software adapter says so in its own row: its figures are CPU speed.
        const available = (b: (typeof found)[number]) =>
          !b.available ? 'no' : b.adapter?.software ? `yes, ${SOFTWARE_ADAPTER_LABEL}` : 'yes';
        const notes = (b: (typeof found)[number]) => b.reason ?? (b.adapter ? `on ${describeAdapter(b.adapter)}` : '');
        printText(
          [
            table(
              ['backend', 'provider', 'available', 'reason / device'],
              found.map((b) => [b.backend, b.provider, available(b), notes(b)]),
            ),
            '',
            'graphics adapters (vulkaninfo --summary, nvidia-smi):',
            ...(adapters.adapters.length > 0
              ? adapters.adapters.map((a) => `  ${a.vendor ? `${a.vendor} ` : ''}${describeAdapter(a)} (${a.source})`)
              : ['  none found']),
            ...adapters.notes.map((n) => `  note: ${n}`),
          ].join('\n'),
        );
      }),
    );
}
