import { html, type SafeHtml } from './html.js';

export interface Column<T> {
  header: string;
  cell(row: T): unknown;
  /** Class of the column's cells (e.g. `time`, `summary`: the stylesheet sizes columns by it). */
  className?: string;
}

/**
 * A table whose cells carry their column's name, so that on a narrow screen the stylesheet can
 * show each row as a list of "name: value" lines instead of a table wider than the phone.
 */
export function dataTable<T>(caption: string, columns: Column<T>[], rows: T[], className = ''): SafeHtml {
  return html`<table class="${['data', className].filter(Boolean).join(' ')}">
<caption>${caption}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col"${column.className ? html` class="${column.className}"` : ''}>${column.header}</th>`)}</tr></thead>
<tbody>
${rows.map((row) => html`<tr>${columns.map((column) => html`<td data-label="${column.header}"${column.className ? html` class="${column.className}"` : ''}>${column.cell(row)}</td>`)}</tr>
`)}</tbody>
</table>`;
}
