import type { ImportReport } from '../import/import-service.js';
import { html, type SafeHtml } from './html.js';
import { CONSOLE_PATH, layout, type RegistrationRef, type Viewer } from './pages.js';
import { pageLinks } from './support-pages.js';
import { dataTable } from './table.js';

export interface ImportView {
  registration: RegistrationRef;
  /** Operators may create voice users; readers may only check a file. */
  mayApply: boolean;
  csv?: string;
  report?: ImportReport;
}

/**
 * IMP-1 in the console: paste a CSV (the CLI and the admin API take files of any size), check it,
 * then import it. Every problem is listed with its row number before anything is created.
 */
export function importPage({ registration, mayApply, csv = '', report }: ImportView, viewer: Viewer): SafeHtml {
  return layout(
    `Import · ${registration.name}`,
    html`<h1>Bulk add voice users to ${registration.name}</h1>
${pageLinks(registration)}
${report ? reportSection(report) : ''}
<form method="post" action="${CONSOLE_PATH}/registrations/${encodeURIComponent(registration.id)}/import">
<input type="hidden" name="csrf" value="${viewer.csrfToken}">
<p><label for="csv">CSV with a header row: userName, firstName, lastName, email, location, and optionally extension, did, licenses (separated by ";"). Up to 2 MB here; use <code>scim-voice-portal import-csv</code> for bigger files.</label></p>
<textarea id="csv" name="csv" rows="12" required spellcheck="false">${csv}</textarea>
<p><label><input type="checkbox" name="skipInvalid" value="true"> Create the valid rows even when others have problems</label></p>
<p><button type="submit" name="mode" value="check">Check (creates nothing)</button>
${mayApply ? html` <button type="submit" name="mode" value="apply">Import</button>` : html` <span>Your support account may check a file; importing needs the operator role.</span>`}</p>
</form>`,
    viewer,
  );
}

function reportSection(report: ImportReport): SafeHtml {
  return html`<section aria-labelledby="import-result">
<h2 id="import-result">${report.dryRun ? 'Check' : 'Import'} result</h2>
<p role="status">${report.summary}</p>
${report.conflicts.length
  ? dataTable(`${report.conflicts.length} row${report.conflicts.length === 1 ? '' : 's'} with problems`, [
      { header: 'Row', className: 'tight', cell: (conflict: ImportReport['conflicts'][number]) => String(conflict.row) },
      { header: 'User name', className: 'name', cell: (conflict) => conflict.userName || '—' },
      { header: 'Problems', className: 'summary', cell: (conflict) => conflict.problems.join('; ') },
    ], report.conflicts.slice(0, 500))
  : ''}
${report.failed.length
  ? dataTable(`${report.failed.length} row${report.failed.length === 1 ? '' : 's'} refused when written`, [
      { header: 'Row', className: 'tight', cell: (failure: ImportReport['failed'][number]) => String(failure.row) },
      { header: 'User name', className: 'name', cell: (failure) => failure.userName },
      { header: 'Problem', className: 'summary', cell: (failure) => failure.problem },
    ], report.failed)
  : ''}
</section>`;
}
