// The views' stylesheet, served as /telemetryui/static/style.css (CSP allows no inline style).
export const STYLE_CSS = `
:root { --fg:#1d2330; --muted:#5d6675; --line:#d8dde5; --bg:#f6f7f9; --accent:#1f5fbf; --hit:#fff1b8; --bad:#b42318; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:0 16px; display:flex; align-items:center; gap:24px; }
header .brand { font-weight:600; padding:12px 0; }
nav a { color:#cfd6e2; text-decoration:none; padding:12px 8px; display:inline-block; }
nav a.current, nav a:hover { color:#fff; border-bottom:2px solid #7fb0ff; }
main { padding:16px; max-width:1400px; }
h1 { font-size:20px; margin:4px 0 12px; } h2 { font-size:16px; margin:20px 0 8px; }
table { border-collapse:collapse; background:#fff; margin:4px 0 12px; }
th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:#eef1f5; font-weight:600; }
td.num, th.num, td.rank, th.rank { text-align:right; font-variant-numeric:tabular-nums; }
section.panel { display:inline-block; vertical-align:top; margin-right:16px; max-width:480px; }
section.panel table { max-height:none; }
#records td { white-space:nowrap; }
td.payload { max-width:380px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; font-family:ui-monospace, monospace; font-size:12px; }
pre { background:#fff; border:1px solid var(--line); padding:8px; overflow:auto; white-space:pre-wrap; word-break:break-all; }
a { color:var(--accent); }
form.filters { display:flex; flex-wrap:wrap; gap:8px 12px; align-items:end; background:#fff; border:1px solid var(--line); padding:8px; margin-bottom:12px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
input, select, button { font:inherit; padding:3px 6px; }
button { cursor:pointer; }
form.inline { display:inline; margin:0; }
.notice { background:#e7f4e8; border:1px solid #9fd3a5; padding:6px 10px; margin-bottom:12px; }
.error { background:#fdecea; border:1px solid #f0a39b; color:var(--bad); padding:6px 10px; margin-bottom:12px; }
.muted { color:var(--muted); }
.frames li { font-family:ui-monospace, monospace; font-size:12px; list-style:none; }
.frames li.guilty { background:var(--hit); font-weight:600; }
.backtrace { background:#fff; border:1px solid var(--line); padding:8px; margin:8px 0; }
.charts { display:flex; flex-wrap:wrap; gap:16px; }
.chart { background:#fff; border:1px solid var(--line); padding:8px; width:460px; height:300px; }
dl.details { display:grid; grid-template-columns:max-content 1fr; gap:2px 16px; background:#fff; border:1px solid var(--line); padding:8px; }
dl.details dt { font-weight:600; } dl.details dd { margin:0; }
`;
