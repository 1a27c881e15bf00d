import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { AdminCall } from './admin-client.js';

type Print = (value: unknown) => void;

/** `registrations …`: every operation calls the admin API, so the CLI and the API cannot drift. */
export function registrationsCommand(call: () => AdminCall, print: Print): Command {
  const command = new Command('registrations').description('Create, inspect, change and end customer registrations');
  command.command('list').description('List registrations').action(async () => print(await call()('GET', '/registrations')));
  command
    .command('show <registration>')
    .description('One registration (name or id) as support sees it: state line, settings, credentials, seats used vs bought, users by status, last runs')
    .action(async (ref: string) => print(await call()('GET', `/registrations/${encodeURIComponent(ref)}/overview`)));
  command
    .command('create')
    .description('Create a registration')
    .requiredOption('--name <name>', 'registration name')
    .requiredOption('--portal-account <id>', 'voice portal account id')
    .requiredOption('--domains <list>', 'comma-separated account email domains')
    .option('--sync-direction <direction>', 'one-way | two-way')
    .option('--sync-mode <mode>', 'just-in-time | on-demand | batched')
    .option('--interval <minutes>', 'batched interval in minutes')
    .option('--groups <list>', 'comma-separated synced group display names (scope); default all assigned users')
    .option('--location-source <path>', 'SCIM attribute holding the location name')
    .option('--location <name=id...>', 'location name → portal location id (repeatable)')
    .option('--retention <period>', '6-months | 1-year | 2-years | 3-years')
    .option('--seats <licence=count...>', 'licence seats the account bought (repeatable); licences not listed are not counted')
    .option('--assign-licenses <list>', 'comma-separated licences given to every voice user created from Azure AD')
    .option('--entra-tenant <tid>', 'accept Entra-issued JWTs from this tenant')
    .option('--write-back-tenant <tid>', 'two-way: Entra tenant id the write-back app signs in to')
    .option('--write-back-client <appId>', 'two-way: application (client) id of the write-back app')
    .option('--write-back-cert <file>', 'two-way: PEM certificate of the app, as a path on the service hosts')
    .option('--write-back-key <file>', 'two-way: PEM private key of that certificate, as a path on the service hosts (never uploaded)')
    .option('--write-extension-to <attribute>', 'two-way: Graph user attribute for the extension (default onPremisesExtensionAttributes.extensionAttribute1)')
    .option('--write-did-to <attribute>', 'two-way: Graph user attribute for the DID (default businessPhones)')
    .action(async (options: RegistrationOptions) => print(await call()('POST', '/registrations', registrationBody(options))));
  command
    .command('update <registration>')
    .description('Change settings of a registration')
    .option('--name <name>')
    .option('--portal-account <id>')
    .option('--domains <list>')
    .option('--sync-direction <direction>')
    .option('--sync-mode <mode>')
    .option('--interval <minutes>')
    .option('--groups <list>')
    .option('--location-source <path>')
    .option('--location <name=id...>', 'add or change one location of the map (repeatable); the others stay')
    .option('--remove-location <name...>', 'drop one location from the map (repeatable)')
    .option('--retention <period>')
    .option('--seats <licence=count...>')
    .option('--assign-licenses <list>')
    .option('--entra-tenant <tid>')
    .option('--write-back-tenant <tid>')
    .option('--write-back-client <appId>')
    .option('--write-back-cert <file>')
    .option('--write-back-key <file>')
    .option('--write-extension-to <attribute>')
    .option('--write-did-to <attribute>')
    .action(async (ref: string, options: RegistrationOptions) => print(await call()('PATCH', `/registrations/${encodeURIComponent(ref)}`, registrationBody(options))));
  command
    .command('delete <registration>')
    .description('End the service (REG-4): removes its directory and voice users; the audit trail stays')
    .option('--dry-run', 'only print what would be removed')
    .action(async (ref: string, options: { dryRun?: boolean }) =>
      print(await call()('DELETE', `/registrations/${encodeURIComponent(ref)}${options.dryRun ? '?dryRun=true' : ''}`)),
    );
  command
    .command('add-cert <registration> <pemFile>')
    .description('Bind a client certificate (by SHA-256 fingerprint; --by subject|both for issuer + subject)')
    .option('--by <kind>', 'fingerprint | subject | both', 'fingerprint')
    .option('--label <label>')
    .action(async (ref: string, file: string, options: { by: string; label?: string }) =>
      print(await call()('POST', `/registrations/${encodeURIComponent(ref)}/certificates`, { pem: readFileSync(file, 'utf8'), bindBy: options.by, label: options.label })),
    );
  command
    .command('remove-cert <registration> <fingerprint>')
    .description('Unbind a certificate by its SHA-256 fingerprint (AA:BB:...) or subject')
    .action(async (ref: string, fingerprint: string) => print(await call()('DELETE', `/registrations/${encodeURIComponent(ref)}/certificates/${encodeURIComponent(fingerprint)}`)));
  command
    .command('add-token <registration>')
    .description('Issue a bearer secret token (for Entra); shown once, stored only as a hash')
    .option('--label <label>')
    .action(async (ref: string, options: { label?: string }) => print(await call()('POST', `/registrations/${encodeURIComponent(ref)}/tokens`, { label: options.label })));
  command
    .command('revoke-token <registration> <tokenId>')
    .description('Revoke a bearer token')
    .action(async (ref: string, tokenId: string) => print(await call()('DELETE', `/registrations/${encodeURIComponent(ref)}/tokens/${encodeURIComponent(tokenId)}`) ?? { revoked: tokenId }));
  return command;
}

interface RegistrationOptions {
  name?: string;
  portalAccount?: string;
  domains?: string;
  syncDirection?: string;
  syncMode?: string;
  interval?: string;
  groups?: string;
  locationSource?: string;
  location?: string[];
  removeLocation?: string[];
  retention?: string;
  seats?: string[];
  assignLicenses?: string;
  entraTenant?: string;
  writeBackTenant?: string;
  writeBackClient?: string;
  writeBackCert?: string;
  writeBackKey?: string;
  writeExtensionTo?: string;
  writeDidTo?: string;
}

function registrationBody(options: RegistrationOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: options.name,
    portalAccountId: options.portalAccount,
    accountDomains: options.domains?.split(',').map((d) => d.trim()),
    syncDirection: options.syncDirection,
    syncMode: options.syncMode ? { kind: options.syncMode, ...(options.interval ? { intervalMinutes: Number(options.interval) } : {}) } : undefined,
    scope: options.groups ? { kind: 'groups', groups: options.groups.split(',').map((displayName) => ({ displayName: displayName.trim() })) } : undefined,
    locationSource: options.locationSource,
    locationMap: locationMapOf(options),
    recordingRetention: options.retention,
    licensing: licensingOf(options),
    writeBack: writeBackOf(options),
    entraTenantId: options.entraTenant,
  };
  return withoutUndefined(body);
}

/** `--location Seattle=loc-sea` entries and `--remove-location Oslo` removals (null, merged by the service). */
function locationMapOf({ location = [], removeLocation = [] }: RegistrationOptions): Record<string, string | null> | undefined {
  if (location.length === 0 && removeLocation.length === 0) return undefined;
  const entries: [string, string | null][] = location.map((pair) => {
    const [name, id] = pair.split('=', 2).map((part) => part.trim());
    if (!name || !id) throw new Error(`--location takes name=portal-location-id (e.g. --location "Seattle=loc-sea"); got "${pair}"`);
    return [name, id];
  });
  return Object.fromEntries([...entries, ...removeLocation.map((name): [string, null] => [name, null])]);
}

function licensingOf({ seats, assignLicenses }: RegistrationOptions): Record<string, unknown> | undefined {
  if (!seats && !assignLicenses) return undefined;
  return withoutUndefined({
    seats: seats ? Object.fromEntries(seats.map((pair) => pair.split('=', 2)).map(([license, count]) => [license, Number(count)])) : undefined,
    assignOnCreate: assignLicenses?.split(',').map((license) => license.trim()),
  });
}

/** TWO-1: only the write-back settings given; an update changes just those. */
function writeBackOf(options: RegistrationOptions): Record<string, unknown> | undefined {
  const writeBack = withoutUndefined({
    tenantId: options.writeBackTenant,
    clientId: options.writeBackClient,
    certificateFile: options.writeBackCert,
    privateKeyFile: options.writeBackKey,
    extensionAttribute: options.writeExtensionTo,
    didAttribute: options.writeDidTo,
  });
  return Object.keys(writeBack).length > 0 ? writeBack : undefined;
}

function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
