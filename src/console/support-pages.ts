import type { AuditEvent } from '../audit/audit-event.js';
import { USER_STATUSES, type UserStatus } from '../domain/user-status.js';
import type { RegistrationSettings } from '../registrations/settings.js';
import type { RegistrationOverview } from '../reconcile/registration-overview.js';
import type { StandingPage, UserRow } from '../reconcile/user-standing-service.js';
import type { JsonMap } from '../domain/types.js';
import type { RetentionRecord } from '../portal/portal-port.js';
import { html, type SafeHtml } from './html.js';
import { actorLabel, beforeAfterTable, CONSOLE_PATH, eventTable, jsonBlock, layout, searchHref, timeElement, type RegistrationRef, type Viewer } from './pages.js';
import { dataTable } from './table.js';

/**
 * The pages that answer "how do things stand" for one customer (issue 12): the overview on the
 * registration's page, its users as they stand, one user, retention (DEL-4) and the history of
 * its settings. Every value is escaped by `html`; the data comes from the services unchanged.
 */

const STATUS_LABELS: Record<UserStatus, string> = {
  provisioned: 'Provisioned',
  deactivated: 'Deactivated (DEL-3)',
  'not-provisioned': 'Not provisioned',
  pending: 'Waiting for the next Reconcile',
};

export function registrationHref(registrationId: string, page = ''): string {
  return `${CONSOLE_PATH}/registrations/${encodeURIComponent(registrationId)}${page ? `/${page}` : ''}`;
}

export function usersHref(registrationId: string, filters: UserFilters = {}): string {
  const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '' && entry[1] !== '0'));
  return `${registrationHref(registrationId, 'users')}${query.size ? `?${query}` : ''}`;
}

function userHref(registrationId: string, directoryUserId: string): string {
  return `${registrationHref(registrationId, 'users')}/${encodeURIComponent(directoryUserId)}`;
}

/** "Why isn't Jane in the portal?": one search box that lands on her row. */
function userSearchForm(registration: RegistrationRef, filters: UserFilters = {}, withFilters = false): SafeHtml {
  const option = (value: string, label: string) => html`<option value="${value}"${filters.status === value ? html` selected` : ''}>${label}</option>`;
  return html`<form class="search" method="get" action="${registrationHref(registration.id, 'users')}" role="search" aria-label="Find users of ${registration.name}">
<div><label for="search">Find a user</label><input id="search" name="search" value="${filters.search ?? ''}" aria-describedby="search-hint"><p class="hint" id="search-hint">Part of the name, email, UPN or externalId</p></div>
${withFilters
  ? html`<div><label for="status">Status</label><select id="status" name="status">${option('', 'Any status')}${USER_STATUSES.map((status) => option(status, STATUS_LABELS[status]))}</select></div>
<div><label for="rule">Rule</label><input id="rule" name="rule" value="${filters.rule ?? ''}" aria-describedby="rule-hint"><p class="hint" id="rule-hint">ELIG-3, DEL-2, MAP-6, SYNC-5…</p></div>`
  : ''}
<div class="actions"><button type="submit">Find</button></div>
</form>`;
}

export function pageLinks(registration: RegistrationRef): SafeHtml {
  return html`<nav class="links" aria-label="${registration.name}"><a href="${registrationHref(registration.id)}">Overview</a><a href="${usersHref(registration.id)}">Users</a><a href="${registrationHref(registration.id, 'retention')}">Retention</a><a href="${registrationHref(registration.id, 'history')}">Settings history</a><a href="${registrationHref(registration.id, 'import')}">Import CSV</a><a href="${searchHref({ registration: registration.id })}">Every event</a></nav>`;
}

/** The top of a registration's page: state line, user search, seats, users by status, settings, credentials, backlog. */
export function overviewSection(overview: RegistrationOverview): SafeHtml {
  const registration = overview.registration;
  const healthy = overview.attention.length === 0;
  return html`<p class="state ${healthy ? 'healthy' : 'attention'}" role="status"><strong>State:</strong> ${overview.state}</p>
${pageLinks(registration)}
${userSearchForm(registration)}
<h2>Seats used vs bought</h2>
${overview.seats.length
  ? dataTable('Counted licences (SYNC-5)', [
      { header: 'Licence', cell: (seat: RegistrationOverview['seats'][number]) => seat.license },
      { header: 'Used', cell: (seat) => seat.used },
      { header: 'Bought', cell: (seat) => seat.bought },
      { header: 'Left', cell: (seat) => html`<span class="${seat.used >= seat.bought ? 'failure' : ''}">${Math.max(0, seat.bought - seat.used)}</span>` },
    ], overview.seats)
  : html`<p>No licence is counted: the account has no seat limit.</p>`}
<h2>Users by status</h2>
<ul class="counts">${USER_STATUSES.map((status) => html`<li><a href="${usersHref(registration.id, { status })}">${STATUS_LABELS[status]}: ${overview.users[status]}</a></li>`)}</ul>
${overview.outbox ? html`<h2>Write-back to Azure AD (TWO-1)</h2><p>${overview.outbox.pending} change${overview.outbox.pending === 1 ? '' : 's'} waiting for Microsoft Graph${overview.outbox.oldest ? html`, the oldest since ${timeElement(overview.outbox.oldest)}` : ''}.</p>` : ''}
<h2>Settings</h2>
${settingsList(overview.settings, overview.registration.entraTenantId)}
<h2>Credentials</h2>
${credentialTables(overview.credentials)}
<h2>Last reconcile runs</h2>
${overview.lastRuns.length
  ? dataTable('Last reconcile runs, newest first', [
      { header: 'Time', className: 'time', cell: (run: RegistrationOverview['lastRuns'][number]) => timeElement(run.time) },
      { header: 'Outcome', className: 'tight', cell: (run) => html`<span class="${run.outcome === 'stopped' ? 'failure' : run.outcome === 'completed' ? 'success' : 'neutral'}">${run.outcome}</span>` },
      { header: 'Summary', className: 'summary', cell: (run) => (run.runId ? html`<a href="${searchHref({ runId: run.runId })}">${run.summary}</a>` : run.summary) },
    ], overview.lastRuns)
  : html`<p role="status">No Reconcile has run yet.</p>`}`;
}

function settingsList(settings: RegistrationSettings, entraTenantId?: string): SafeHtml {
  const row = (term: string, value: unknown) => html`<dt>${term}</dt><dd>${value}</dd>`;
  const syncMode = settings.syncMode.kind === 'batched' ? `batched, every ${settings.syncMode.intervalMinutes} minutes` : settings.syncMode.kind;
  const scope = settings.scope.kind === 'groups' ? `members of ${settings.scope.groups.map((group) => group.displayName ?? `externalId ${group.externalId}`).join(', ')} (DEL-2)` : 'every user assigned to the app';
  const locations = Object.entries(settings.locationMap);
  const numbers = Object.entries(settings.locationNumbers);
  return html`<dl class="settings">
${row('Portal account', settings.portalAccountId)}
${row('Sync mode', syncMode)}
${row('Direction', settings.syncDirection)}
${row('Scope', scope)}
${row('Account domains', settings.accountDomains.join(', '))}
${row('Location source', settings.locationSource)}
${row('Location map', locations.length ? html`<ul>${locations.map(([name, id]) => html`<li>${name} → ${id}</li>`)}</ul>` : 'none: locations are portal location ids')}
${numbers.length ? row('DID prefixes', html`<ul>${numbers.map(([id, prefixes]) => html`<li>${id}: ${prefixes.join(', ')}</li>`)}</ul>`) : ''}
${row('Recording retention (DEL-4)', settings.recordingRetention)}
${row('Licences given on create', settings.licensing.assignOnCreate.join(', ') || 'none')}
${settings.writeBack ? row('Write-back app', `tenant ${settings.writeBack.tenantId}, client ${settings.writeBack.clientId}; extension → ${settings.writeBack.extensionAttribute}, DID → ${settings.writeBack.didAttribute}`) : ''}
${entraTenantId ? row('Entra tenant (JWT)', entraTenantId) : ''}
</dl>`;
}

function credentialTables({ certificates, tokens }: RegistrationOverview['credentials']): SafeHtml {
  type Certificate = (typeof certificates)[number];
  type Token = (typeof tokens)[number];
  return html`${certificates.length
    ? dataTable('Client certificates bound (mutual TLS)', [
        { header: 'Label', cell: (c: Certificate) => c.label ?? '—' },
        { header: 'Subject', className: 'name', cell: (c) => c.subject ?? '—' },
        { header: 'SHA-256 fingerprint', className: 'code', cell: (c) => c.fingerprint256 ?? 'bound by issuer and subject' },
        { header: 'Expires', className: 'time', cell: (c) => (c.notAfter ? timeElement(c.notAfter) : 'unknown') },
      ], certificates)
    : html`<p>No client certificate is bound.</p>`}
${tokens.length
    ? dataTable('Bearer tokens (secrets are never shown)', [
        { header: 'Label', cell: (t: Token) => t.label ?? '—' },
        { header: 'Token id', className: 'code', cell: (t) => t.id },
        { header: 'Issued', className: 'time', cell: (t) => timeElement(t.createdAt) },
      ], tokens)
    : html`<p>No bearer token is issued.</p>`}`;
}

export interface UserFilters {
  status?: string;
  rule?: string;
  search?: string;
  offset?: string;
}

export interface UsersView {
  registration: RegistrationRef;
  filters: UserFilters;
  page: StandingPage;
  limit: number;
  /** Portal location id → the location name support knows (from the location map). */
  locationNames: Map<string, string>;
}

export function usersPage({ registration, filters, page, limit, locationNames }: UsersView, viewer: Viewer): SafeHtml {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const previous = page.offset > 0 ? usersHref(registration.id, { ...filters, offset: String(Math.max(0, page.offset - limit)) }) : undefined;
  const next = last < page.total ? usersHref(registration.id, { ...filters, offset: String(last) }) : undefined;
  return layout(
    `Users of ${registration.name}`,
    html`<h1>Users of ${registration.name}</h1>
${pageLinks(registration)}
${userSearchForm(registration, filters, true)}
<ul class="counts">${USER_STATUSES.map((status) => html`<li><a href="${usersHref(registration.id, { ...filters, status, offset: undefined })}">${STATUS_LABELS[status]}: ${page.counts[status]}</a></li>`)}</ul>
${page.items.length
  ? dataTable(`Users ${first}–${last} of ${page.total}, by user name`, [
      { header: 'User', className: 'name', cell: (row: UserRow) => html`<a href="${userHref(registration.id, row.directoryUserId)}">${row.displayName ?? row.userName}</a>${row.displayName ? html`<br><span class="hint">${row.userName}</span>` : ''}` },
      { header: 'Email', className: 'name', cell: (row) => row.email ?? '—' },
      { header: 'Status', className: 'tight', cell: statusLabel },
      { header: 'Rule', className: 'tight', cell: (row) => row.rule ?? '—' },
      { header: 'Reason', className: 'summary', cell: (row) => row.reason ?? '—' },
      { header: 'Voice user', cell: (row) => voiceUserLine(row, locationNames) },
    ], page.items)
  : html`<p role="status">No user matches.</p>`}
<nav class="pager" aria-label="Pages">${previous ? html`<a href="${previous}" rel="prev">← Previous ${limit}</a>` : ''}${next ? html`<a href="${next}" rel="next">Next ${limit} →</a>` : ''}</nav>`,
    viewer,
  );
}

function statusLabel(row: UserRow): SafeHtml {
  const tone = row.status === 'provisioned' ? 'success' : row.status === 'not-provisioned' ? 'failure' : 'neutral';
  return html`<span class="${tone}">${STATUS_LABELS[row.status]}</span>`;
}

function locationLabel(locationId: string, locationNames: Map<string, string>): string {
  const name = locationNames.get(locationId);
  return name ? `${name} (${locationId})` : locationId;
}

function voiceUserLine({ voiceUser }: UserRow, locationNames: Map<string, string>): string {
  if (!voiceUser) return '—';
  return [voiceUser.extension && `ext. ${voiceUser.extension}`, voiceUser.did && `DID ${voiceUser.did}`, locationLabel(voiceUser.locationId, locationNames), voiceUser.licenses.join(', ')].filter(Boolean).join(' · ');
}

export interface UserView {
  registration: RegistrationRef;
  row: UserRow;
  resource: JsonMap;
  groups: { id: string; displayName: string; synced: boolean }[];
  timeline: AuditEvent[];
  tokenLabels: Map<string, string>;
  locationNames: Map<string, string>;
}

export function userPage({ registration, row, resource, groups, timeline, tokenLabels, locationNames }: UserView, viewer: Viewer): SafeHtml {
  const item = (term: string, value: unknown) => (value === undefined || value === '' ? '' : html`<dt>${term}</dt><dd>${value}</dd>`);
  const voiceUser = row.voiceUser;
  const names = new Map([[registration.id, registration.name]]);
  return layout(
    `${row.userName} · ${registration.name}`,
    html`<h1>${row.displayName ?? row.userName}</h1>
${pageLinks(registration)}
<dl>
${item('User name (UPN)', row.userName)}
${item('Email', row.email)}
${item('externalId', row.externalId)}
${item('Status', statusLabel(row))}
${item('Rule', row.rule)}
${item('Why', row.reason)}
</dl>
<h2>Voice user</h2>
${voiceUser
  ? html`<dl>
${item('Portal user name', voiceUser.userName)}
${item('Extension', voiceUser.extension ?? 'none')}
${item('DID', voiceUser.did ?? 'none')}
${item('Location', locationLabel(voiceUser.locationId, locationNames))}
${item('Licences', voiceUser.licenses.join(', ') || 'none')}
${item('Portal status', voiceUser.status)}
</dl>`
  : html`<p>No voice user in the portal.</p>`}
<h2>Groups</h2>
${groups.length ? html`<ul>${groups.map((group) => html`<li>${group.displayName}${group.synced ? ' — a synced group: puts the user in scope (DEL-2)' : ''}</li>`)}</ul>` : html`<p>Not a member of any group.</p>`}
<h2>Timeline</h2>
${timeline.length ? eventTable(timeline, names, `The last ${timeline.length} events about this user, newest first`, tokenLabels) : html`<p role="status">No event about this user is recorded.</p>`}
<p><a href="${searchHref({ registration: registration.id, user: row.directoryUserId })}">Search every event about this user</a></p>
<h2>Directory attributes as Azure AD sent them</h2>
${jsonBlock(resource, 'Directory attributes as Azure AD sent them')}`,
    viewer,
  );
}

export function retentionPage(registration: RegistrationRef, records: RetentionRecord[], now: Date, viewer: Viewer): SafeHtml {
  const daysLeft = (record: RetentionRecord) => Math.max(0, Math.ceil((Date.parse(record.purgeAfter) - now.getTime()) / 86_400_000));
  return layout(
    `Retention · ${registration.name}`,
    html`<h1>Retention of ${registration.name}</h1>
${pageLinks(registration)}
<p>Voicemails and recordings of deleted voice users are kept until the purge date (DEL-4), then removed by the hourly purge.</p>
${records.length
  ? dataTable(`${records.length} deleted voice user${records.length === 1 ? '' : 's'}, soonest purge first`, [
      { header: 'User', className: 'name', cell: (record: RetentionRecord) => (record.directoryUserId ? html`<a href="${searchHref({ registration: registration.id, user: record.directoryUserId })}">${record.userName}</a>` : record.userName) },
      { header: 'Deleted', className: 'time', cell: (record) => timeElement(record.deletedAt) },
      { header: 'Recordings purged on', className: 'time', cell: (record) => timeElement(record.purgeAfter) },
      { header: 'Days left', className: 'tight', cell: daysLeft },
      { header: 'Licences held', cell: (record) => record.licenses?.join(', ') || '—' },
      { header: 'Note', className: 'summary', cell: (record) => (record.movedTo ? `moved to ${record.movedTo} (DEL-5): a new voice user was created there` : '') },
    ], [...records].sort((a, b) => a.purgeAfter.localeCompare(b.purgeAfter)))
  : html`<p role="status">No deleted voice user is waiting for its recordings to be purged.</p>`}`,
    viewer,
  );
}

export interface HistoryView {
  registration: RegistrationRef;
  events: AuditEvent[];
  tokenLabels: Map<string, string>;
  olderHref?: string;
  newestHref?: string;
}

export function historyPage({ registration, events, tokenLabels, olderHref, newestHref }: HistoryView, viewer: Viewer): SafeHtml {
  return layout(
    `Settings history · ${registration.name}`,
    html`<h1>Settings history of ${registration.name}</h1>
${pageLinks(registration)}
<p>Every change to the registration's settings and credentials, newest first, with who made it.</p>
${events.length
  ? html`<ol class="history">${events.map((event) => html`<li>
<h2>${event.action.replace('Registration.', '')}: ${event.summary}</h2>
<p>${timeElement(event.time)} by <strong>${actorLabel(event.actor, tokenLabels)}</strong> (${event.actor.kind}) · <a href="${CONSOLE_PATH}/events/${encodeURIComponent(event.id)}">event</a></p>
${event.details?.before !== undefined || event.details?.after !== undefined ? beforeAfterTable(`What changed on ${event.time.slice(0, 19).replace('T', ' ')} UTC`, event.details?.before, event.details?.after) : ''}
</li>`)}</ol>`
  : html`<p role="status">No change is recorded.</p>`}
<nav class="pager" aria-label="Pages">${newestHref ? html`<a href="${newestHref}">← Newest changes</a>` : ''}${olderHref ? html`<a href="${olderHref}" rel="next">Older changes →</a>` : ''}</nav>`,
    viewer,
  );
}
