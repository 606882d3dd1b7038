import type { Command } from 'commander';
import { detectBackends } from '../../backends/registry.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';

export function registerBackends(program: Command): void {
  program
    .command('backends')
    .description('execution providers: available here or not, and why (detected by trying each one)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: { json?: boolean }) => {
        const found = await detectBackends();
        if (opts.json) return printJson({ backends: found });
        printText(
          table(
            ['backend', 'provider', 'available', 'reason'],
            found.map((b) => [b.backend, b.provider, b.available ? 'yes' : 'no', b.reason ?? '']),
          ),
        );
      }),
    );
}
