import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { streamAdmin, type AdminConnection } from './admin-client.js';

type Print = (value: unknown) => void;

/** `reconcile --registration X [--dry-run]`: SYNC-2 on demand, with a progress bar on stderr and the report on stdout. */
export function reconcileCommand(connection: () => AdminConnection, print: Print): Command {
  return new Command('reconcile')
    .description('Reconcile a registration now (dry run: only show the plan)')
    .requiredOption('--registration <name>', 'registration name or id')
    .option('--dry-run', 'compute and print the plan without changing the voice portal')
    .action(async (options: { registration: string; dryRun?: boolean }) => {
      const bar = new SingleBar({ format: 'reconcile |{bar}| {value}/{total} users', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
      let started = false;
      const query = `?progress=true${options.dryRun ? '&dryRun=true' : ''}`;
      await streamAdmin(connection(), 'POST', `/registrations/${encodeURIComponent(options.registration)}/reconcile${query}`, (line) => {
        if ('report' in line) {
          if (started) bar.stop();
          print(line.report);
          return;
        }
        const { done, total } = line as { done: number; total: number };
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      });
    });
}
