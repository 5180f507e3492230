#include "host/serve/dashboard_page.h"

namespace clickagg::serve {

std::string_view dashboard_page() {
  static constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>clickagg</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
  table { border-collapse: collapse; min-width: 24em; }
  th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  #status { color: #666; margin: 0.5em 0 1em; }
  label { margin-right: 1em; }
</style>
</head>
<body>
<h1>Most clicked ads</h1>
<form id="q">
  <label>window (min) <input name="window" type="number" min="1" max="1440" value="1"></label>
  <label>filter <input name="filter" type="number" min="0" max="65535" value="0"></label>
  <label>count <input name="count" type="number" min="1" max="1000" value="20"></label>
</form>
<div id="status">loading&hellip;</div>
<table>
  <thead><tr><th>#</th><th>ad_id</th><th>clicks</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
const form = document.getElementById('q');
const statusLine = document.getElementById('status');
const rows = document.getElementById('rows');

function minuteText(m) {
  const s = String(m);
  return s.slice(0, 4) + '-' + s.slice(4, 6) + '-' + s.slice(6, 8) + ' ' +
         s.slice(8, 10) + ':' + s.slice(10, 12) + ' UTC';
}

async function refresh() {
  const params = new URLSearchParams(new FormData(form));
  try {
    const res = await fetch('/v1/ads/popular_ads?' + params);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    rows.replaceChildren(...body.ad_ids.map((id, i) => {
      const tr = document.createElement('tr');
      for (const [text, cls] of [[i + 1, 'n'], [id, ''], [body.counts[i], 'n']]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      return tr;
    }));
    statusLine.textContent = 'window of ' + body.window + ' min ending ' +
        minuteText(body.minute) + ', filter ' + body.filter + ', ' + body.ad_ids.length + ' ads';
  } catch (err) {
    statusLine.textContent = 'error: ' + err.message;
  }
}

form.addEventListener('change', refresh);
form.addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
)html";
  return kPage;
}

}  // namespace clickagg::serve
