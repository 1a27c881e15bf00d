import { Command } from 'commander';
import { adminConnectionFromEnvironment, createAdminClient, type AdminCall } from './admin-client.js';
import { isAppError } from '../kernel/app-error.js';
import { registrationsCommand } from './registrations-command.js';
import { reconcileCommand } from './reconcile-command.js';
import { importCommand } from './import-command.js';
import { voiceUsersCommand } from './voice-users-command.js';
import { auditCommand, supportAccountsCommand } from './audit-command.js';
import { outboxCommand } from './outbox-command.js';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
let client: AdminCall | undefined;
const call = () => (client ??= createAdminClient(adminConnectionFromEnvironment()));

const program = new Command('scim-voice-portal').description('Operate the SCIM voice-portal provisioning service through its admin API');
program.addCommand(registrationsCommand(call, print));
program.addCommand(reconcileCommand(adminConnectionFromEnvironment, print));
program.addCommand(importCommand(adminConnectionFromEnvironment, print));
program.addCommand(voiceUsersCommand(call, print));
program.addCommand(auditCommand(call));
program.addCommand(supportAccountsCommand(call, print));
program.addCommand(outboxCommand(call, print));

program.parseAsync().catch((error: unknown) => {
  // The admin API's refusals are printed with their code; the CLI's own problems say enough alone.
  const message = isAppError(error, 'cli') || !isAppError(error) ? (error as Error).message : `${error.code}: ${error.message}`;
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
});
