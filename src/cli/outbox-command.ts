import { Command } from 'commander';
import type { AdminCall } from './admin-client.js';

/** `outbox <registration>`: the TWO-1 write-back backlog support looks at (pending, oldest age, last error). */
export function outboxCommand(call: () => AdminCall, print: (value: unknown) => void): Command {
  return new Command('outbox')
    .description('Show the changes waiting to be written back to Entra for a two-way registration (TWO-1)')
    .argument('<registration>', 'registration name or id')
    .action(async (ref: string) => print(await call()('GET', `/registrations/${encodeURIComponent(ref)}/outbox`)));
}
