/** The console's only stylesheet and script, served from the admin listener (no CDN). */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f23; --bg: #fff; --muted: #5a6270; --line: #d0d7de; --accent: #0b5cad; --bad: #b42318; --good: #1a7f37; --panel: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --accent: #58a6ff; --bad: #ff7b72; --good: #3fb950; --panel: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
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
caption { text-align: left; color: var(--muted); padding: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { position: sticky; top: 0; background: var(--panel); }
td.time { white-space: nowrap; } td.summary { word-break: break-word; }
.failure { color: var(--bad); font-weight: 600; } .success { color: var(--good); }
.pager { display: flex; gap: 1.5rem; margin-top: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; } dt { font-weight: 600; } dd { margin: 0; word-break: break-word; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 40rem; font-size: .85rem; }
.notice { border-left: 4px solid var(--bad); background: var(--panel); padding: .6rem .9rem; }
.login { max-width: 24rem; margin: 3rem auto; } .login form > * { margin-bottom: .8rem; }
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
