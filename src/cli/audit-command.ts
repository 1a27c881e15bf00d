import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { AuditEvent } from '../audit/audit-event.js';
import type { AdminCall } from './admin-client.js';

type Print = (value: unknown) => void;
type Write = (text: string) => void;

interface SearchOptions {
  registration?: string;
  user?: string;
  since?: string;
  until?: string;
  action?: string;
  outcome?: string;
  correlationId?: string;
  runId?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

const SEARCH_PARAMETERS = ['registration', 'user', 'since', 'until', 'action', 'outcome', 'correlationId', 'runId', 'limit', 'cursor'] as const;

/** `audit search …`: the console's search from a terminal (AUD-2), through the admin API. */
export function auditCommand(call: () => AdminCall, write: Write = (text) => void process.stdout.write(text)): Command {
  const command = new Command('audit').description('Search the audit trail: SCIM requests, voice-user changes, reconcile runs, sign-ins');
  command
    .command('search')
    .description('Events newest first, as a table (or JSON lines with --json)')
    .option('--registration <name>', 'registration name or id')
    .option('--user <text>', 'start of a user name, email or directory id (case-insensitive)')
    .option('--since <time>', 'from: 30m, 2h, 7d, 2w or an ISO time (UTC unless a zone is given)')
    .option('--until <time>', 'to (exclusive), same forms as --since')
    .option('--action <names>', 'comma-separated Noun.Verb actions, e.g. User.Patch,Group.*')
    .option('--outcome <outcome>', 'success | failure')
    .option('--correlation-id <id>', 'every event of one request')
    .option('--run-id <id>', 'every event of one reconcile run')
    .option('--limit <n>', 'events per page (1-500)', '50')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'one JSON object per line, for scripts')
    .action(async (options: SearchOptions) => {
      const page = await call()<{ events: AuditEvent[]; nextCursor?: string }>('GET', `/audit/events?${searchQuery(options)}`);
      if (options.json) page.events.forEach((event) => write(`${JSON.stringify(event)}\n`));
      else write(eventTable(page.events, await registrationNames(call())));
      if (page.nextCursor && !options.json) write(`\nMore events: add --cursor ${page.nextCursor}\n`);
    });
  return command;
}

/** `support-accounts …`: logins for the support console; passwords come from stdin or a file, never the command line. */
export function supportAccountsCommand(call: () => AdminCall, print: Print, readStdin: () => Promise<string> = readAllStdin): Command {
  const command = new Command('support-accounts').description('Manage support-console accounts (separate from provisioning credentials)');
  const password = async (file?: string) => firstLine(file ? readFileSync(file, 'utf8') : await readStdin());
  command
    .command('create <name>')
    .description('Create an account; the password is read from stdin or --password-file')
    .option('--registrations <list>', 'comma-separated registration names or ids the account is limited to (default: all)')
    .option('--role <role>', 'reader (sees, the default) or operator (may also start a Reconcile from the console)')
    .option('--password-file <file>', 'file whose first line is the password')
    .action(async (name: string, options: { registrations?: string; role?: string; passwordFile?: string }) => {
      const registrations = options.registrations?.split(',').map((ref) => ref.trim()).filter(Boolean);
      print(await call()('POST', '/support-accounts', { name, password: await password(options.passwordFile), ...(registrations ? { registrations } : {}), ...(options.role ? { role: options.role } : {}) }));
    });
  command.command('list').description('List accounts and the registrations each may see').action(async () => print(await call()('GET', '/support-accounts')));
  command
    .command('delete <name>')
    .description('Delete an account (its sessions end)')
    .action(async (name: string) => {
      await call()('DELETE', `/support-accounts/${encodeURIComponent(name)}`);
      print({ deleted: name });
    });
  command
    .command('set-password <name>')
    .description('Set a new password, read from stdin or --password-file (signed-in sessions end)')
    .option('--password-file <file>', 'file whose first line is the password')
    .action(async (name: string, options: { passwordFile?: string }) => {
      await call()('POST', `/support-accounts/${encodeURIComponent(name)}/password`, { password: await password(options.passwordFile) });
      print({ passwordChanged: name });
    });
  return command;
}

function searchQuery(options: SearchOptions): string {
  const query = new URLSearchParams();
  for (const name of SEARCH_PARAMETERS) {
    const value = options[name];
    if (value) query.set(name, value);
  }
  return query.toString();
}

async function registrationNames(call: AdminCall): Promise<Map<string, string>> {
  const registrations = await call<{ id: string; name: string }[]>('GET', '/registrations');
  return new Map(registrations.map((r) => [r.id, r.name]));
}

const COLUMNS: { title: string; value: (event: AuditEvent, names: Map<string, string>) => string }[] = [
  { title: 'TIME (UTC)', value: (event) => event.time.replace('T', ' ').replace(/\.\d+Z$/, '') },
  { title: 'REGISTRATION', value: (event, names) => (event.registrationId ? (names.get(event.registrationId) ?? event.registrationId) : '-') },
  { title: 'ACTOR', value: (event) => event.actor.subject },
  { title: 'ACTION', value: (event) => event.action },
  { title: 'TARGET', value: (event) => event.subjectUser?.userName ?? event.subjectUser?.email ?? event.resourceId ?? '-' },
  { title: 'OUTCOME', value: (event) => `${event.outcome.status} ${event.outcome.success ? 'ok' : 'FAILED'}` },
  { title: 'SUMMARY', value: (event) => summaryWithDetail(event) },
];

function summaryWithDetail({ summary, outcome }: AuditEvent): string {
  return outcome.detail && !summary.includes(outcome.detail) ? `${summary} — ${outcome.detail}` : summary;
}

/** Columns padded to their widest cell; the summary, last, is never cut. Registrations by name where known. */
export function eventTable(events: AuditEvent[], registrationNames = new Map<string, string>()): string {
  if (events.length === 0) return 'No events match.\n';
  const rows = [COLUMNS.map((column) => column.title), ...events.map((event) => COLUMNS.map((column) => column.value(event, registrationNames).replace(/\s+/g, ' ')))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new Error('No password given: pipe it on stdin or name a file with --password-file');
  return line;
}

/** A pipe is read to its end; at a terminal the password is typed without being shown. */
async function readAllStdin(): Promise<string> {
  if (process.stdin.isTTY) return promptHidden('Password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void) => {
      stdin.setRawMode(false);
      stdin.off('data', onData).pause();
      process.stderr.write('\n');
      settle();
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(new Error('cancelled')));
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData).resume();
  });
}
