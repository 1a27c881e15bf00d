import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { streamAdmin, type AdminConnection } from './admin-client.js';
import { AppError, isAppError } from '../kernel/app-error.js';

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
      const stopBar = () => {
        if (started) bar.stop();
        started = false;
      };
      const query = `?progress=true${options.dryRun ? '&dryRun=true' : ''}`;
      let reported = false;
      const streamed = streamAdmin(connection(), 'POST', `/registrations/${encodeURIComponent(options.registration)}/reconcile${query}`, (line) => {
        if ('report' in line || 'error' in line) stopBar();
        if ('error' in line) throw runStopped((line.error as { message: string }).message);
        if ('report' in line) {
          print(line.report);
          reported = true;
          return;
        }
        const { done, total } = line as { done: number; total: number };
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      });
      await streamed.catch((error: unknown) => {
        stopBar();
        throw isAppError(error, 'cli.answer_cut_off') ? runStopped('the server closed the connection (it stopped)') : error;
      });
      if (!reported) throw runStopped('the server ended the answer without a report (it stopped or lost its database)');
    });
}

/** SYNC-4: what was applied stays applied; the next run does only what is left. */
function runStopped(reason: string): AppError {
  return new AppError('cli.run_stopped', `Reconcile stopped part-way: ${reason}. Run it again: a run does only what is left (SYNC-4).`);
}
