import { Command } from 'commander';
import type { AdminCall } from './admin-client.js';

type Print = (value: unknown) => void;

/** `voice-users …`: what the portal holds for a registration, through the admin API. */
export function voiceUsersCommand(call: () => AdminCall, print: Print): Command {
  const command = new Command('voice-users').description('Voice users of a registration and the recordings kept for deleted ones');
  command
    .command('list')
    .description('List the voice users of a registration')
    .requiredOption('--registration <name>', 'registration name or id')
    .action(async (options: { registration: string }) => print(await call()('GET', `/registrations/${encodeURIComponent(options.registration)}/voice-users`)));
  command
    .command('retention')
    .description('Deleted voice users whose voicemails and recordings are kept, with the date they will be purged (DEL-4)')
    .requiredOption('--registration <name>', 'registration name or id')
    .action(async (options: { registration: string }) => print(await call()('GET', `/registrations/${encodeURIComponent(options.registration)}/retention`)));
  return command;
}
