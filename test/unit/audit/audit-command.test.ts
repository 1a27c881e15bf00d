import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { completeAuditEvent } from '../../../src/audit/audit-event.js';
import { auditCommand, supportAccountsCommand } from '../../../src/cli/audit-command.js';
import type { AdminCall } from '../../../src/cli/admin-client.js';

const event = completeAuditEvent({
  time: '2026-11-23T10:02:03.456Z',
  registrationId: 'reg-1',
  correlationId: 'c-1',
  actor: { kind: 'client-certificate', subject: 'CN=entra' },
  action: 'User.Patch',
  subjectUser: { userName: 'jane@contoso.com' },
  summary: 'PATCH user jane@contoso.com: active → false',
  outcome: { status: 400, success: false, scimType: 'invalidValue', detail: 'active must be a boolean' },
});

function fakeAdmin(answer: unknown = { events: [event], nextCursor: 'next-page' }) {
  const calls: { method: string; route: string; body?: unknown }[] = [];
  const call = (async (method: string, route: string, body?: unknown) => {
    calls.push({ method, route, body });
    return route === '/registrations' ? [{ id: 'reg-1', name: 'contoso' }] : answer;
  }) as AdminCall;
  return { calls, call: () => call };
}

function quiet(command: Command): Command {
  command.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  command.commands.forEach(quiet);
  return command;
}

describe('CLI: audit search and support accounts', () => {
  it('AUD-2: audit search passes the filters to the admin API and prints a table with the outcome and the next page', async () => {
    const admin = fakeAdmin();
    let output = '';
    await auditCommand(admin.call, (text) => void (output += text)).parseAsync(['search', '--registration', 'contoso', '--user', 'jane', '--since', '2h', '--action', 'User.*'], { from: 'user' });
    expect(admin.calls[0]).toEqual({ method: 'GET', route: '/audit/events?registration=contoso&user=jane&since=2h&action=User.*&limit=50', body: undefined });
    const [header, row] = output.split('\n');
    expect(header).toMatch(/^TIME \(UTC\)\s+REGISTRATION\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+SUMMARY$/);
    expect(row).toMatch(/^2026-11-23 10:02:03\s+contoso\s+CN=entra\s+User\.Patch\s+jane@contoso\.com\s+400 FAILED\s+PATCH user jane@contoso\.com: active → false — active must be a boolean$/);
    expect(output).toContain('--cursor next-page');
  });

  it('AUD-2: --json prints one event per line for scripts', async () => {
    let output = '';
    await auditCommand(fakeAdmin().call, (text) => void (output += text)).parseAsync(['search', '--json'], { from: 'user' });
    expect(output.trim().split('\n').map((line) => JSON.parse(line))).toEqual([event]);
  });

  it('AUD-3: support-account passwords come from stdin or a file, never from the command line', async () => {
    const admin = fakeAdmin({});
    const printed: unknown[] = [];
    const command = () => quiet(supportAccountsCommand(admin.call, (value) => printed.push(value), async () => 'from stdin passphrase\n'));
    await command().parseAsync(['create', 'alice', '--registrations', 'contoso, fabrikam'], { from: 'user' });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'password');
    writeFileSync(file, 'from file passphrase\nignored second line\n');
    await command().parseAsync(['set-password', 'alice', '--password-file', file], { from: 'user' });
    expect(admin.calls).toEqual([
      { method: 'POST', route: '/support-accounts', body: { name: 'alice', password: 'from stdin passphrase', registrations: ['contoso', 'fabrikam'] } },
      { method: 'POST', route: '/support-accounts/alice/password', body: { password: 'from file passphrase' } },
    ]);
    await expect(command().parseAsync(['create', 'bob', '--password', 'visible in ps'], { from: 'user' })).rejects.toThrow(/unknown option/);
  });

  it('AUD-2: support-accounts create --role operator asks for an account that may start a Reconcile; without it the server makes a reader', async () => {
    const admin = fakeAdmin({});
    const command = () => quiet(supportAccountsCommand(admin.call, () => undefined, async () => 'from stdin passphrase\n'));
    await command().parseAsync(['create', 'olga', '--role', 'operator'], { from: 'user' });
    await command().parseAsync(['create', 'rita'], { from: 'user' });
    expect(admin.calls.map((call) => call.body)).toEqual([
      { name: 'olga', password: 'from stdin passphrase', role: 'operator' },
      { name: 'rita', password: 'from stdin passphrase' },
    ]);
  });
});
