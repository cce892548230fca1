// The report's stylesheet, inlined in the page (no network): screen, narrow screens and print.
export const CSS = `
:root{--ink:#1f2933;--muted:#52606d;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#0072B2;--pass:#0b7a55;--warn:#9a5b00;--fail:#b3261e}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1120px;margin:0 auto;padding:0 20px 48px}
.page-header{max-width:1120px;margin:0 auto;padding:32px 20px 8px}
.kicker{margin:0;color:var(--accent);font-weight:600;text-transform:uppercase;letter-spacing:.06em;font-size:12px}
h1{font-size:28px;line-height:1.2;margin:4px 0 8px}
h2{font-size:21px;margin:0 0 6px}
h3{font-size:17px;margin:18px 0 8px}
h4{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:16px 0 6px}
.meta{color:var(--muted);margin:0}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
.code{color:var(--muted)}
nav{position:sticky;top:0;z-index:1;background:rgba(245,247,250,.96);border-bottom:1px solid var(--line);margin:0 0 8px}
nav ul{max-width:1120px;margin:0 auto;padding:8px 20px;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px}
nav a{color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:22px 24px;margin:18px 0}
.intro{color:var(--muted);margin:0 0 14px;max-width:75ch}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;margin:8px 0 6px}
.tile{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.tile-value{font-size:clamp(20px,5vw,26px);font-weight:650;line-height:1.15}
.tile-label{color:var(--muted);font-size:13px}
.tile-sub{font-size:13px;color:var(--ink);margin-top:2px}
.callout{border-left:4px solid var(--warn);background:#fff8eb;padding:8px 12px;border-radius:4px}
.callout.attention{margin:14px 0 4px;font-size:14px}
.callout ul{margin:4px 0 0;padding:0;list-style:none}
.callout li{margin:3px 0}
.callout a{color:var(--ink)}
.table-wrap{overflow-x:auto}
table.data{border-collapse:collapse;width:100%;font-size:14px;margin:4px 0 8px}
table.data caption{caption-side:bottom;text-align:left;color:var(--muted);font-size:12px;padding-top:4px}
table.data th,table.data td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
table.data .num{text-align:right;white-space:nowrap}
table.compact th,table.compact td{padding:4px 8px}
table.config th{font-weight:normal;width:38%}
table.config td code{white-space:pre-wrap;word-break:break-word}
figure{margin:18px 0 8px;min-width:0}
figcaption{font-weight:600;margin:0 0 8px}
.svg-wrap{overflow-x:auto}
svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}
.note{color:var(--muted);font-size:13px;margin:4px 0}
details{margin-top:6px;font-size:14px}
summary{cursor:pointer;color:var(--accent);font-size:13px}
.overview-row{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(340px,100%),1fr));gap:8px 32px;align-items:start}
.reasons h3{font-size:15px;margin:18px 0 8px}
.fig-row{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(340px,100%),1fr));gap:8px 32px}
.cards{display:grid;grid-template-columns:minmax(0,1fr);gap:18px}
.card{border:1px solid var(--line);border-top:5px solid var(--accent);border-radius:10px;padding:16px 20px;break-inside:avoid}
.card-header{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.card-header h3{margin:0;font-size:19px}
.swatch{width:14px;height:14px;border-radius:3px;display:inline-block;flex:none}
.description{font-size:16px;margin:8px 0 10px;max-width:80ch}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0 0 4px}
.facts div{min-width:0}
.facts dt{font-size:12px;color:var(--muted)}
.facts dd{margin:0;font-weight:600}
.card-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.1fr);gap:8px 28px;align-items:start}
.in-card{margin-top:12px}
.verdict{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
.verdict.pass{color:var(--pass)}
.verdict.warn{color:var(--warn);background:#fff8eb}
.verdict.fail{color:var(--fail);background:#fdecea}
.check-note{font-size:12px;color:var(--muted)}
.destinations{list-style:none;padding:0;margin:0;font-size:14px}
.destinations li{padding:4px 0;border-bottom:1px solid var(--line)}
.dest-kind{color:var(--muted)}
.dest-note{color:var(--muted);font-size:13px;padding-left:78px}
.status{display:inline-block;min-width:74px;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.status.published{color:var(--pass)}
.status.failed{color:var(--fail)}
.status.skipped,.status.dry-run{color:var(--muted)}
footer{max-width:1120px;margin:0 auto;padding:0 20px 32px;color:var(--muted);font-size:13px}
@media (max-width:760px){.card-grid{grid-template-columns:minmax(0,1fr)}section{padding:16px}.card{padding:14px}h1{font-size:23px}.fig-row{grid-template-columns:minmax(0,1fr)}svg.chart.wide{min-width:600px}main,.page-header{padding-left:12px;padding-right:12px}}
@media print{
  svg.chart.wide{min-width:0}
  .svg-wrap{overflow:visible}
  @page{margin:14mm}
  body{background:#fff;font-size:11pt}
  nav{display:none}
  main,.page-header,footer{max-width:none;padding-left:0;padding-right:0}
  section{border:none;padding:0;margin:0 0 10mm;break-inside:auto}
  figure,.card,.tile,table{break-inside:avoid}
  h2,h3{break-after:avoid}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  /* Paper cannot be clicked: print the tables behind the charts open, without the toggle. */
  summary{list-style:none;font-size:0;height:0;margin:0;overflow:hidden}
  .table-wrap{overflow:visible}
  details>*{display:block}
  details::details-content{content-visibility:visible;display:block}
  .card-grid{grid-template-columns:minmax(0,1fr)}
}
`;
