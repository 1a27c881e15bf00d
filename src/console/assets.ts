/** The console's only stylesheet and script, served from the admin listener (no CDN). */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f23; --bg: #fff; --muted: #5a6270; --line: #d0d7de; --accent: #0b5cad; --bad: #b42318; --good: #1a7f37; --panel: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --accent: #58a6ff; --bad: #ff7b72; --good: #3fb950; --panel: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 600; margin-right: auto; }
header form { margin: 0; }
main { padding: 1rem 1.25rem 3rem; max-width: 110rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
form.search { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .6rem 1rem; align-items: start; padding: .8rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
label { display: block; font-weight: 600; font-size: .85rem; margin-bottom: .2rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); width: 100%; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); width: auto; padding: .4rem 1rem; }
.hint { color: var(--muted); font-size: .8rem; margin: .15rem 0 0; }
form.search > .hint { grid-column: 1 / -1; margin: 0; }
form.search .actions { align-self: end; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: .9rem; }
/* Short columns keep to their content; the summary takes the rest of the width. */
td.time, td.tight { white-space: nowrap; } td.name { min-width: 8rem; max-width: 16rem; overflow-wrap: break-word; } td.code { font-family: ui-monospace, monospace; font-size: .8rem; overflow-wrap: anywhere; }
th.summary, td.summary { width: 100%; min-width: 18rem; }
/* The events table has fixed columns, so a long name wraps in its column instead of taking the summary's width. */
table.events { table-layout: fixed; } table.events td { white-space: normal; overflow-wrap: anywhere; }
table.events th.time { width: 8rem; } table.events th.name { width: 9rem; } table.events th.tight { width: 9.5rem; } table.events th.summary { width: auto; }
caption { text-align: left; color: var(--muted); padding: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { position: sticky; top: 0; background: var(--panel); }
td.summary { overflow-wrap: anywhere; }
.failure { color: var(--bad); font-weight: 600; } .success { color: var(--good); } .neutral { color: var(--muted); font-weight: 600; }
.state { padding: .6rem .9rem; border-left: 4px solid var(--good); background: var(--panel); font-size: 1.05rem; }
.state.attention { border-left-color: var(--bad); }
nav.links { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; margin: .8rem 0; }
ul.counts { display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; padding: 0; list-style: none; }
ol.history { padding: 0; list-style: none; } ol.history > li { border-top: 1px solid var(--line); padding: .4rem 0 1rem; } ol.history h2 { font-size: 1rem; margin: .6rem 0 .2rem; overflow-wrap: anywhere; }
.pager { display: flex; gap: 1.5rem; margin-top: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; } dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; min-width: 0; } dd ul { margin: 0; padding-left: 1.1rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 40rem; font-size: .85rem; }
.notice { border-left: 4px solid var(--bad); background: var(--panel); padding: .6rem .9rem; }
.login { max-width: 24rem; margin: 3rem auto; } .login form > * { margin-bottom: .8rem; }
h1, p, li { overflow-wrap: anywhere; }
/* A phone: no sideways scrolling; each table row becomes a small list of "column: value" lines. */
@media (max-width: 48rem) {
  header, main { padding-left: .75rem; padding-right: .75rem; }
  dl { grid-template-columns: 1fr; gap: 0; } dd { margin-bottom: .5rem; }
  table.data, table.data caption, table.data tbody, table.data tr, table.data td { display: block; width: auto; max-width: none; min-width: 0; }
  table.data thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.data tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .6rem; padding: .3rem .5rem; }
  table.data td { border: 0; padding: .1rem 0; white-space: normal; overflow-wrap: anywhere; }
  table.data td::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
}
`;

/** Shows each <time datetime> in the viewer's time zone; the UTC value stays in the tooltip. */
export const CONSOLE_JS = `
document.querySelectorAll('time[datetime]').forEach(function (el) {
  var date = new Date(el.getAttribute('datetime'));
  if (isNaN(date)) return;
  el.title = date.toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC');
  el.textContent = date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
});
`;
