import { AUDIT_ACTIONS, type AuditEvent } from '../audit/audit-event.js';
import type { AuditQuery } from '../audit/audit-log.js';
import { TIME_HINT } from '../audit/audit-search.js';
import type { JsonObject } from '../kernel/json.js';
import { html, type SafeHtml } from './html.js';
import { dataTable } from './table.js';

export const CONSOLE_PATH = '/console';

export interface Viewer {
  account: string;
  csrfToken: string;
}

/** The frame of every page: a skip link, the signed-in account, sign-out, then the page. */
export function layout(title: string, body: SafeHtml, viewer?: Viewer): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Support console</title>
<link rel="stylesheet" href="${CONSOLE_PATH}/assets/console.css">
<script src="${CONSOLE_PATH}/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Voice provisioning · Support console</span>
${viewer ? html`<nav aria-label="Console"><a href="${CONSOLE_PATH}/events">Audit events</a> · <a href="${CONSOLE_PATH}/registrations">Registrations</a></nav>
<span>Signed in as <strong>${viewer.account}</strong></span>
<form method="post" action="${CONSOLE_PATH}/logout"><input type="hidden" name="csrf" value="${viewer.csrfToken}"><button type="submit">Sign out</button></form>` : ''}
</header>
<main id="main">
${body}
</main>
</body>
</html>`;
}

export function loginPage(loginToken: string, problem?: string, name = ''): SafeHtml {
  return layout(
    'Sign in',
    html`<div class="login">
<h1>Sign in</h1>
${problem ? html`<p class="notice" role="alert">${problem}</p>` : ''}
<form method="post" action="${CONSOLE_PATH}/login">
<input type="hidden" name="csrf" value="${loginToken}">
<div><label for="name">Support account</label><input id="name" name="name" autocomplete="username" required value="${name}" autofocus></div>
<div><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">Sign in</button>
</form>
</div>`,
  );
}

export function problemPage(status: number, title: string, message: string, viewer?: Viewer): SafeHtml {
  return layout(title, html`<h1>${title}</h1><p class="notice" role="alert">${message}</p><p><a href="${CONSOLE_PATH}/events">Back to the audit events</a></p><p class="hint">HTTP ${status}</p>`, viewer);
}

export interface SearchView {
  params: Record<string, string>;
  events: AuditEvent[];
  nextCursor?: string;
  registrationNames: Map<string, string>;
  /** Bearer-token id → the label it was issued with, to name the actor rather than show an id. */
  tokenLabels?: Map<string, string>;
  query?: AuditQuery;
}

export function searchPage(view: SearchView, viewer: Viewer): SafeHtml {
  return layout('Audit events', html`<h1>Audit events</h1>${searchForm(view)}${resultsTable(view)}${pager(view)}`, viewer);
}

function searchForm({ params, registrationNames }: SearchView): SafeHtml {
  const value = (name: string) => params[name] ?? '';
  const option = (optionValue: string, label: string, current: string) => html`<option value="${optionValue}"${current === optionValue ? html` selected` : ''}>${label}</option>`;
  const registrationField = registrationNames.size
    ? html`<select id="registration" name="registration">${option('', 'All registrations', value('registration'))}${[...registrationNames].map(([id, name]) => option(id, name, value('registration')))}</select>`
    : html`<input id="registration" name="registration" value="${value('registration')}">`;
  return html`<form class="search" method="get" action="${CONSOLE_PATH}/events" role="search" aria-label="Search audit events">
<div><label for="registration">Registration</label>${registrationField}</div>
<div><label for="user">User</label><input id="user" name="user" value="${value('user')}" aria-describedby="user-hint"><p class="hint" id="user-hint">User name, email or directory id (start of it)</p></div>
<div><label for="since">From</label><input id="since" name="since" value="${value('since')}" aria-describedby="time-hint"></div>
<div><label for="until">To</label><input id="until" name="until" value="${value('until')}" aria-describedby="time-hint"></div>
<div><label for="action">Action</label><select id="action" name="action">${option('', 'Any action', value('action'))}${[...new Set(AUDIT_ACTIONS.map((a) => a.split('.')[0]!))].map((noun) => option(`${noun}.*`, `${noun} (any)`, value('action')))}${AUDIT_ACTIONS.map((a) => option(a, a, value('action')))}</select></div>
<div><label for="outcome">Outcome</label><select id="outcome" name="outcome">${option('', 'Any outcome', value('outcome'))}${option('success', 'Success', value('outcome'))}${option('failure', 'Failure', value('outcome'))}</select></div>
${params.correlationId ? html`<input type="hidden" name="correlationId" value="${params.correlationId}">` : ''}
${params.runId ? html`<input type="hidden" name="runId" value="${params.runId}">` : ''}
<div class="actions"><button type="submit">Search</button></div>
<p class="hint" id="time-hint">From / To: ${TIME_HINT}.</p>
</form>`;
}

function resultsTable({ events, registrationNames, params, tokenLabels }: SearchView): SafeHtml {
  const scope = [params.correlationId ? `correlation id ${params.correlationId}` : '', params.runId ? `run ${params.runId}` : ''].filter(Boolean).join(', ');
  if (events.length === 0) return html`<p role="status">No events match${scope ? ` (${scope})` : ''}.</p>`;
  return eventTable(events, registrationNames, `${events.length} event${events.length === 1 ? '' : 's'}${scope ? ` for ${scope}` : ''}, newest first`, tokenLabels);
}

/** Audit events, newest first: the summary gets the width, the other columns stay narrow. */
export function eventTable(events: AuditEvent[], registrationNames: Map<string, string>, caption: string, tokenLabels?: Map<string, string>): SafeHtml {
  return dataTable(
    caption,
    [
      { header: 'Time', className: 'time', cell: (event: AuditEvent) => timeElement(event.time) },
      { header: 'Registration', className: 'name', cell: (event) => registrationLabel(event.registrationId, registrationNames) },
      { header: 'Actor', className: 'name', cell: (event) => actorLabel(event.actor, tokenLabels) },
      { header: 'Action', className: 'tight', cell: (event) => event.action },
      { header: 'Target', className: 'name', cell: targetOf },
      { header: 'Outcome', className: 'tight', cell: outcomeLabel },
      { header: 'Summary', className: 'summary', cell: (event) => html`<a href="${CONSOLE_PATH}/events/${encodeURIComponent(event.id)}">${event.summary}</a>` },
    ],
    events,
    'events',
  );
}

/** Who acted, as support knows them: a token by its label, a certificate by its subject, never a bare id when a name is known. */
export function actorLabel(actor: AuditEvent['actor'], tokenLabels?: Map<string, string>): string {
  const label = actor.tokenId ? tokenLabels?.get(actor.tokenId) : undefined;
  if (actor.kind === 'bearer-token') return label ? `token "${label}"` : `token ${actor.tokenId ?? actor.subject.replace(/^token:/, '')}`;
  return actor.subject;
}

function pager({ params, nextCursor }: SearchView): SafeHtml {
  const links = [
    params.cursor ? html`<a href="${searchHref({ ...params, cursor: '' })}">← Newest events</a>` : '',
    nextCursor ? html`<a href="${searchHref({ ...params, cursor: nextCursor })}" rel="next">Older events →</a>` : '',
  ];
  return html`<nav class="pager" aria-label="Pages">${links}</nav>`;
}

export function searchHref(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `${CONSOLE_PATH}/events${query.size ? `?${query}` : ''}`;
}

export function eventPage(event: AuditEvent, registrationNames: Map<string, string>, viewer: Viewer, tokenLabels?: Map<string, string>): SafeHtml {
  const { before, after, errors, ...otherDetails } = event.details ?? {};
  const subject = event.subjectUser;
  const row = (term: string, description: unknown) => (description === undefined || description === '' ? '' : html`<dt>${term}</dt><dd>${description}</dd>`);
  return layout(
    `${event.action} event`,
    html`<h1>${event.action}</h1>
<p>${event.summary}</p>
<dl>
${row('Time', timeElement(event.time))}
${row('Outcome', outcomeLabel(event))}
${row('Error', [event.outcome.scimType, event.outcome.detail].filter(Boolean).join(': '))}
${row('Registration', event.registrationId ? registrationLabel(event.registrationId, registrationNames) : undefined)}
${row('Actor', [event.actor.kind, actorLabel(event.actor, tokenLabels), event.actor.fingerprint256 && `fingerprint ${event.actor.fingerprint256}`, event.actor.tokenId && `token ${event.actor.tokenId}`].filter(Boolean).join(' · '))}
${row('Resource', [event.resourceType, event.resourceId].filter(Boolean).join(' '))}
${row('User', subject ? html`${[...new Set([subject.userName, subject.email, subject.directoryId].filter(Boolean))].join(' · ')} — <a href="${searchHref({ user: subject.directoryId ?? subject.userName ?? subject.email })}">all events about this user</a>` : undefined)}
${row('Rule', event.rule)}
${row('Run', event.runId ? html`<a href="${searchHref({ runId: event.runId })}">${event.runId}</a> (every event of this run)` : undefined)}
${row('Correlation id', html`<a href="${searchHref({ correlationId: event.correlationId })}">${event.correlationId}</a> (every event of this request)`)}
${row('Duration', event.durationMs === undefined ? undefined : `${event.durationMs} ms`)}
${row('Event id', event.id)}
</dl>
${before !== undefined || after !== undefined ? changesTable(before, after) : ''}
${errors !== undefined ? html`<h2>Errors</h2>${jsonBlock(errors, 'Errors')}` : ''}
${Object.keys(otherDetails).length ? html`<h2>Details</h2>${jsonBlock(otherDetails, 'Details')}` : ''}`,
    viewer,
  );
}

function changesTable(before: unknown, after: unknown): SafeHtml {
  return html`<h2>Before and after</h2>${beforeAfterTable('Each changed field, before and after', before, after)}`;
}

/** One row per field that either side has; values shown as text (objects as JSON). */
export function beforeAfterTable(caption: string, before: unknown, after: unknown): SafeHtml {
  const asObject = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {});
  const fields = [...new Set([...Object.keys(asObject(before)), ...Object.keys(asObject(after))])];
  const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));
  return dataTable(caption, [
    { header: 'Field', cell: (field: string) => field },
    { header: 'Before', cell: (field) => show(asObject(before)[field]) },
    { header: 'After', cell: (field) => show(asObject(after)[field]) },
  ], fields);
}

/** Pretty JSON in a box that scrolls on its own; focusable and named so a keyboard can scroll it too. */
export function jsonBlock(value: unknown, label = 'JSON'): SafeHtml {
  return html`<pre tabindex="0" role="region" aria-label="${label}">${JSON.stringify(value, null, 2)}</pre>`;
}

export function timeElement(time: string): SafeHtml {
  const utc = `${time.replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
  return html`<time datetime="${time}" title="${utc}">${utc}</time>`;
}

function registrationLabel(id: string | undefined, names: Map<string, string>): string {
  return id ? (names.get(id) ?? id) : '—';
}

function targetOf(event: AuditEvent): string {
  const subject = event.subjectUser;
  return subject?.userName ?? subject?.email ?? [event.resourceType, event.resourceId].filter(Boolean).join(' ');
}

/** A dry run changed nothing, so what it found is shown as a finding, not as a failure. */
export function outcomeLabel(event: AuditEvent): SafeHtml {
  const { status, success } = event.outcome;
  if (event.details?.dryRun === true) return html`<span class="neutral">dry run${success ? '' : ' with findings'}</span>`;
  return html`<span class="${success ? 'success' : 'failure'}">${status} ${success ? 'success' : 'failure'}</span>`;
}

/** What the console shows of an on-demand reconcile: its counts, per-user errors and plan rows. */
export interface ReconcileOutcome {
  runId: string;
  dryRun: boolean;
  counts: Record<string, number>;
  plan: { kind: string; rule: string; userName: string; message?: string; changes?: { field: string; before: unknown; after: unknown }[] }[];
  durationMs: number;
}

export interface RegistrationRef {
  id: string;
  name: string;
}

export function registrationsPage(registrations: RegistrationRef[], viewer: Viewer): SafeHtml {
  return layout(
    'Registrations',
    html`<h1>Registrations</h1>
${registrations.length
  ? html`<ul>${registrations.map((r) => html`<li><a href="${CONSOLE_PATH}/registrations/${encodeURIComponent(r.id)}">${r.name}</a></li>`)}</ul>`
  : html`<p role="status">Your account sees no registration.</p>`}`,
    viewer,
  );
}

export interface RegistrationView {
  registration: RegistrationRef;
  /** How the customer stands now (settings, seats, users by status, last runs…), when the console has the services for it. */
  overview?: SafeHtml;
  runs: AuditEvent[];
  errors: AuditEvent[];
  mayReconcile: boolean;
}

/** The last reconcile runs and per-user errors of one registration, and the on-demand reconcile (dry run first). */
export function registrationPage({ registration, overview, runs, errors, mayReconcile }: RegistrationView, viewer: Viewer): SafeHtml {
  const names = new Map([[registration.id, registration.name]]);
  return layout(
    registration.name,
    html`<h1>Registration ${registration.name}</h1>
${overview ?? ''}
<p><a href="${searchHref({ registration: registration.id })}">Every event of this registration</a></p>
${overview ? '' : html`<h2>Last reconcile runs</h2>
${runs.length ? eventTable(runs, names, 'Last reconcile runs, newest first') : html`<p role="status">No reconcile run is recorded.</p>`}`}
<h2>Recent per-user errors</h2>
${errors.length ? eventTable(errors, names, 'Users the portal could not provision, newest first') : html`<p role="status">No per-user error is recorded.</p>`}
${mayReconcile ? reconcileForm(registration, true, viewer) : ''}`,
    viewer,
  );
}

export function reconcilePage(registration: RegistrationRef, outcome: ReconcileOutcome, viewer: Viewer): SafeHtml {
  const counts = Object.entries(outcome.counts).map(([kind, count]) => `${count} ${kind}`).join(', ');
  const actionable = outcome.plan.some((row) => row.kind !== 'error');
  return layout(
    `Reconcile ${registration.name}`,
    html`<h1>Reconcile ${registration.name}: ${outcome.dryRun ? 'dry run' : 'applied'}</h1>
<p role="status">${counts} (${outcome.durationMs} ms). <a href="${searchHref({ runId: outcome.runId })}">Events of this run</a></p>
${outcome.plan.length ? planTable(outcome.plan) : html`<p>Nothing to do: the voice portal already matches Azure AD.</p>`}
${outcome.dryRun && actionable ? html`<p>Applying computes the plan again from the directory as it is then.</p>${reconcileForm(registration, false, viewer)}` : ''}
<p><a href="${CONSOLE_PATH}/registrations/${encodeURIComponent(registration.id)}">Back to ${registration.name}</a></p>`,
    viewer,
  );
}

function reconcileForm(registration: RegistrationRef, dryRun: boolean, viewer: Viewer): SafeHtml {
  return html`<form method="post" action="${CONSOLE_PATH}/registrations/${encodeURIComponent(registration.id)}/reconcile">
<input type="hidden" name="csrf" value="${viewer.csrfToken}">
<input type="hidden" name="dryRun" value="${String(dryRun)}">
<button type="submit">${dryRun ? 'Preview a reconcile (dry run)' : 'Apply these changes'}</button>
</form>`;
}

function planTable(plan: ReconcileOutcome['plan']): SafeHtml {
  type Row = ReconcileOutcome['plan'][number];
  const what = (row: Row) => row.message ?? (row.changes ?? []).map((change) => `${change.field}: ${JSON.stringify(change.before) ?? '—'} → ${JSON.stringify(change.after) ?? '—'}`).join('; ');
  return dataTable('The plan, one row per user', [
    { header: 'Change', cell: (row: Row) => html`<span class="${row.kind === 'error' ? 'failure' : ''}">${row.kind}</span>` },
    { header: 'User', cell: (row) => row.userName },
    { header: 'Rule', cell: (row) => row.rule },
    { header: 'What', className: 'summary', cell: what },
  ], plan);
}
