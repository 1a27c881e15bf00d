import { Command } from 'commander';
import type { AdminCall } from './admin-client.js';

type Print = (value: unknown) => void;

/** `voice-users …`: what the portal holds for a registration, through the admin API. */
export function voiceUsersCommand(call: () => AdminCall, print: Print): Command {
  const command = new Command('voice-users').description('Voice users of a registration and the recordings kept for deleted ones');
  command
    .command('list')
    .description('Directory users of a registration with their voice-user status and, when not provisioned or pending, why')
    .requiredOption('--registration <name>', 'registration name or id')
    .option('--status <status>', 'provisioned | deactivated | not-provisioned | pending')
    .option('--rule <id>', 'only users held back by this rule (ELIG-3, DEL-2, MAP-6, SYNC-5, …)')
    .option('--search <text>', 'part of the user name, display name, email or externalId')
    .option('--offset <n>', 'skip this many', '0')
    .option('--limit <n>', 'at most this many (200 at most)', '50')
    .action(async (options: { registration: string; status?: string; rule?: string; search?: string; offset: string; limit: string }) => {
      const query = new URLSearchParams({ offset: options.offset, limit: options.limit, ...(options.status ? { status: options.status } : {}), ...(options.rule ? { rule: options.rule } : {}), ...(options.search ? { search: options.search } : {}) });
      print(await call()('GET', `/registrations/${encodeURIComponent(options.registration)}/users?${query}`));
    });
  command
    .command('retention')
    .description('Deleted voice users whose voicemails and recordings are kept, with the date they will be purged (DEL-4)')
    .requiredOption('--registration <name>', 'registration name or id')
    .action(async (options: { registration: string }) => print(await call()('GET', `/registrations/${encodeURIComponent(options.registration)}/retention`)));
  return command;
}
