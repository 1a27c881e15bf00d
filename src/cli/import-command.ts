import { createReadStream, statSync } from 'node:fs';
import { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { streamAdmin, type AdminConnection } from './admin-client.js';

type Print = (value: unknown) => void;

interface ImportReportLine {
  counts: { conflicts: number; failed: number };
  summary: string;
}

/**
 * `import-csv --registration R file.csv [--dry-run] [--skip-invalid]` (IMP-1): the file is
 * streamed to the admin API, which checks every row before creating anything. Progress goes to
 * stderr, the report (every conflict with its row number) to stdout. Exits 1 when any row has a
 * problem, so a script notices even when the valid rows were created.
 */
export function importCommand(connection: () => AdminConnection, print: Print): Command {
  return new Command('import-csv')
    .description('Bulk-add voice users from a CSV file, checked against the file, the directory and the portal first (IMP-1)')
    .argument('<file>', 'CSV with a header row: userName, firstName, lastName, email, location[, extension, did, licenses]')
    .requiredOption('--registration <name>', 'registration name or id')
    .option('--dry-run', 'check every row and list the problems; create nothing')
    .option('--skip-invalid', 'create the valid rows even when others have problems (default: create nothing then)')
    .action(async (file: string, options: { registration: string; dryRun?: boolean; skipInvalid?: boolean }) => {
      const query = new URLSearchParams({ progress: 'true', ...(options.dryRun ? { dryRun: 'true' } : {}), ...(options.skipInvalid ? { skipInvalid: 'true' } : {}) });
      const bars = new MultiBar({ format: '{phase} |{bar}| {value}/{total}', stream: process.stderr, hideCursor: true, noTTYOutput: false }, Presets.shades_classic);
      const upload = bars.create(statSync(file).size, 0, { phase: 'upload (bytes)' });
      const body = createReadStream(file);
      body.on('data', (chunk) => upload.increment(chunk.length));
      const applying = bars.create(0, 0, { phase: 'create (rows)   ' });
      let report: ImportReportLine | undefined;
      try {
        await streamAdmin(connection(), 'POST', `/registrations/${encodeURIComponent(options.registration)}/voice-users/import?${query}`, (line) => {
          if ('report' in line) report = line.report as ImportReportLine;
          else if (line.phase === 'apply') {
            applying.setTotal(Number(line.total));
            applying.update(Number(line.done));
          }
        }, { contentType: 'text/csv', body });
      } finally {
        bars.stop();
      }
      if (!report) throw new Error('the server ended the answer without a report; run the import again (a rerun skips rows already imported)');
      print(report);
      process.stderr.write(`${report.summary}\n`);
      if (report.counts.conflicts > 0 || report.counts.failed > 0) process.exitCode = 1;
    });
}
