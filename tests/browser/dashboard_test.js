// Drives Debian's Chromium through the dashboard of a real `clickagg run` and checks what the
// page shows against the SQLite database, read directly with the sqlite3 CLI.
//
//   node dashboard_test.js --clickagg PATH --work DIR --screenshot FILE.png [--chromium PATH]
//
// Two runs, one after the other in the same browser:
//  - big counts: few ads and a high event rate, event time running about 10 times the wall
//    clock's pace, so one ad gets over 10 million clicks a minute; the table shows them digit
//    for digit, and every label of the chart's counts axis is whole on the canvas and names
//    its tick exactly;
//  - the everyday page: 300 ads, filters, windows, the chart's range, the empty and error states.
// The runs generate no late events, so a closed minute's rows never change between reading
// the page and reading the database.
'use strict';

const assert = require('node:assert/strict');
const {spawn, execFileSync} = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {chromium} = require('playwright-core');

const TOPN_WINDOWS = [1, 5, 60];
const BIG = 10000000;  // the big-counts run's top ad gets more clicks than this each minute

function parseArgs(argv) {
  const args = {chromium: '/usr/bin/chromium'};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in {clickagg: 1, work: 1, screenshot: 1, chromium: 1}) || argv[i + 1] === undefined)
      throw new Error('usage: dashboard_test.js --clickagg PATH --work DIR --screenshot FILE [--chromium PATH]');
    args[key] = argv[i + 1];
  }
  for (const k of ['clickagg', 'work', 'screenshot']) if (!args[k]) throw new Error('--' + k + ' is required');
  return args;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(200);
  }
}

// yyyyMMddHHmm <-> minutes since the epoch (the database's form).
function epochMinute(m) {
  const s = String(m);
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12)) / 60000;
}

class Database {
  constructor(file) {
    this.file = file;
  }
  query(sql) {
    const out = execFileSync('sqlite3', ['-readonly', '-json', this.file, sql], {encoding: 'utf8'});
    return out.trim() ? JSON.parse(out) : [];
  }
  static text(s) {
    return "'" + String(s).replaceAll("'", "''") + "'";
  }
  // The stored top-N list for (minute e, window, filter), first `n` ranks.
  storedTopn(e, window, filter, n) {
    return this.query(`SELECT ad_id, count FROM topn WHERE minute = ${e} AND "window" = ${window}
                       AND filter_id = ${filter} ORDER BY rank LIMIT ${n}`);
  }
  // The same list summed from the per-minute counts: largest first, ties by ad_id bytes.
  summedTopn(e, window, filter, n) {
    return this.query(`SELECT ad_id, SUM(count) AS count FROM counts
                       WHERE minute BETWEEN ${e - window + 1} AND ${e} AND filter_id = ${filter}
                       GROUP BY ad_id ORDER BY count DESC, ad_id LIMIT ${n}`);
  }
  minutes(ad, filter, from, to) {
    return this.query(`SELECT minute, count FROM counts WHERE ad_id = ${Database.text(ad)}
                       AND filter_id = ${filter} AND minute >= ${from} AND minute < ${to} ORDER BY minute`);
  }
}

// `clickagg run` on a free port, `extra` after the options every run here shares.
function startRun(args, work, extra) {
  fs.mkdirSync(work, {recursive: true});
  const db = path.join(work, 'dashboard.db');
  const portFile = path.join(work, 'port');
  const child = spawn(args.clickagg, [
    'run', '--db', db, '--listen', '127.0.0.1:0', '--port-file', portFile, '--duration', '0',
    '--late', '0', '--very-late', '0', '--progress-interval', '0s', ...extra,
  ], {stdio: ['ignore', 'inherit', 'inherit']});
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  return {child, exited, portFile, db: new Database(db)};
}

async function stopRun(run) {
  if (run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGTERM');
    await run.exited;
  }
}

async function waitForPort(run) {
  const port = await waitFor('the port file', () => {
    if (run.child.exitCode !== null) throw new Error('clickagg run exited with ' + run.child.exitCode);
    return fs.existsSync(run.portFile) && Number(fs.readFileSync(run.portFile, 'utf8'));
  }, 20000);
  return `http://127.0.0.1:${port}`;
}

// A fresh page that records console errors, failed requests and every requested address.
async function openPage(browser) {
  const page = await browser.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
  return {page, requests, problems};
}

function checkRequests(requests, problems) {
  const foreign = requests.filter((u) => !['127.0.0.1', 'localhost'].includes(new URL(u).hostname));
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(problems, [], 'console errors or failed requests');
}

async function getJson(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return res.json();
}

// The table as the page shows it, with the minute, window and filter it is for, in one read.
async function readTable(page) {
  return page.evaluate(() => {
    const c = document.getElementById('topn-caption').dataset;
    return {
      state: document.getElementById('topn').dataset.state,
      minute: Number(c.minute), window: Number(c.window), filter: Number(c.filter),
      count: Number(document.getElementById('count-select').value),
      rows: [...document.querySelectorAll('#topn-body tr')].map((tr) => ({
        ad_id: tr.dataset.adId, count: Number(tr.dataset.count), rank: Number(tr.dataset.rank),
        text: tr.cells[2].textContent})),
    };
  });
}

async function checkTableMatchesDatabase(page, db, window, filter) {
  await page.waitForFunction(([w, f]) => {
    const c = document.getElementById('topn-caption').dataset;
    return document.getElementById('topn').dataset.state === 'ok' && c.window === String(w) && c.filter === String(f);
  }, [window, filter], {timeout: 20000});
  const t = await readTable(page);
  const e = epochMinute(t.minute);
  const stored = db.storedTopn(e, window, filter, t.count);
  const summed = db.summedTopn(e, window, filter, t.count);
  assert.ok(stored.length > 0, `no stored top-N list for minute ${t.minute} window ${window} filter ${filter}`);
  assert.deepEqual(t.rows.map((r) => ({ad_id: r.ad_id, count: r.count})), stored,
                   `table vs stored top-N, minute ${t.minute} window ${window} filter ${filter}`);
  assert.deepEqual(stored, summed, 'stored top-N vs sums of counts');
  t.rows.forEach((r, i) => {
    assert.equal(r.rank, i + 1);
    assert.equal(r.text.replaceAll(',', ''), String(r.count), 'count shown as text');
  });
  console.log(`table ok: minute ${t.minute}, window ${window}, filter ${filter}, ${t.rows.length} ads, ` +
              `top ${t.rows[0].ad_id} ${t.rows[0].count}`);
  return t;
}

async function checkAssets(base) {
  const types = {
    '/': 'text/html; charset=utf-8',
    '/assets/dashboard.js': 'text/javascript; charset=utf-8',
    '/assets/dashboard.css': 'text/css; charset=utf-8',
    '/assets/uPlot.min.js': 'text/javascript; charset=utf-8',
    '/assets/uPlot.min.css': 'text/css; charset=utf-8',
    '/assets/favicon.svg': 'image/svg+xml',
  };
  for (const [p, type] of Object.entries(types)) {
    const res = await fetch(base + p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('content-type'), type, p);
    assert.equal(res.headers.get('cache-control'), 'no-cache', p);
    const etag = res.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]+"$/, p);
    assert.ok((await res.arrayBuffer()).byteLength > 0, p);
    const again = await fetch(base + p, {headers: {'If-None-Match': etag}});
    assert.equal(again.status, 304, p + ' revalidated');
  }
  const page = await fetch(base + '/');
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  assert.equal((await fetch(base + '/assets/missing.js')).status, 404);
}

// A tick label of the counts axis as a number: "12,500", "0", "250K", "1.5M", "12M".
const UNIT = {'': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12};
function labelValue(text) {
  const m = /^(\d{1,3}(?:,\d{3})*)(?:\.(\d+))?([KMBT]?)$/.exec(text);
  assert.ok(m, `counts axis label '${text}' is not a number`);
  const digits = m[1].replaceAll(',', '') + (m[2] || '');
  // Exact in integers: "1.25M" is 125 * 10^(6 - 2).
  return Number(BigInt(digits) * BigInt(UNIT[m[3]]) / 10n ** BigInt((m[2] || '').length));
}

// The chart's counts (y) axis: every tick label is whole on the canvas, and the labels name
// round ticks from 0 to the scale's top, which the dashboard sets at 1.1 times the largest
// count of the charted minutes, as the database has them.
async function checkCountAxis(page, db, filter) {
  const a = await page.evaluate(() => {
    const c = document.getElementById('chart');
    const canvas = c.querySelector('canvas');
    // A label cut by the canvas's left edge leaves ink in its first columns: nothing else is
    // drawn there (the axis's ticks and the grid sit at the plot's edge).
    // (Read from a copy: a second readback of the chart's canvas makes Chromium warn.)
    const copy = document.createElement('canvas');
    copy.width = 2;
    copy.height = canvas.height;
    const copyCtx = copy.getContext('2d');
    copyCtx.drawImage(canvas, 0, 0, 2, canvas.height, 0, 0, 2, canvas.height);
    const edge = copyCtx.getImageData(0, 0, 2, canvas.height).data;
    let edgeInk = 0;
    for (let i = 3; i < edge.length; i += 4) if (edge[i] !== 0) edgeInk++;
    // uPlot gives each axis a div as wide as the room it reserved: the x axis's, then the y axis's.
    const yAxis = c.querySelectorAll('.u-axis')[1];
    const d = c.dataset;
    const labels = d.yAxisLabels ? JSON.parse(d.yAxisLabels) : null;
    const m = document.createElement('canvas').getContext('2d');
    m.font = d.yAxisFont || '';
    return {
      edgeInk, ad: d.adId, from: Number(d.from), to: Number(d.to), total: Number(d.total),
      canvasLeft: canvas.getBoundingClientRect().left,
      axis: yAxis ? {left: yAxis.getBoundingClientRect().left, width: yAxis.getBoundingClientRect().width} : null,
      size: Number(d.yAxisSize), font: d.yAxisFont, labels,
      widths: labels ? labels.map((l) => m.measureText(String(l)).width) : null,
    };
  });
  assert.equal(a.edgeInk, 0, `counts axis labels cut at the chart's left edge (${a.edgeInk} inked pixels there)`);
  assert.ok(a.axis, 'the chart has a counts axis');
  assert.ok(Array.isArray(a.labels) && a.font, 'the chart names its counts axis labels and font (data-y-axis-*)');
  assert.equal(a.axis.width, a.size, 'the counts axis has the room the dashboard computed');
  assert.ok(a.axis.left >= a.canvasLeft - 0.5, 'the counts axis starts inside the chart');
  // Right-aligned at the tick's end: 10 px of tick and 5 px of gap (uPlot's, kept by the dashboard).
  a.labels.forEach((l, i) => assert.ok(a.widths[i] + 15 <= a.axis.width,
      `counts axis label '${l}' (${a.widths[i].toFixed(1)} px) does not fit its axis (${a.axis.width} px)`));

  const ticks = a.labels.filter((l) => l !== '').map(labelValue);
  assert.ok(ticks.length >= 3, 'counts axis labels: ' + a.labels.join(' | '));
  assert.equal(ticks[0], 0, 'the counts axis starts at 0');
  const incr = ticks[1] - ticks[0];
  ticks.forEach((t, i) => assert.equal(t, i * incr, 'evenly spaced counts axis labels: ' + a.labels.join(' | ')));
  const rows = db.minutes(a.ad, filter, epochMinute(a.from), epochMinute(a.to));
  const max = rows.reduce((m, r) => Math.max(m, r.count), 0);
  assert.equal(a.total, rows.reduce((sum, r) => sum + r.count, 0), 'chart total');
  const top = ticks[ticks.length - 1];
  const scaleTop = Math.max(1, max * 1.1);
  assert.ok(top <= scaleTop * (1 + 1e-9) && scaleTop < top + incr,
            `counts axis labels ${a.labels.join(' | ')} for a largest count of ${max}`);
  console.log(`counts axis ok: ${a.ad}, largest count ${max}, labels ${a.labels.join(' | ')}, ${a.size} px`);
  return {max, ticks, labels: a.labels};
}

// No table cell is wider than its content lets it be shown, and the table stays in its card.
async function checkTableFits(page) {
  const f = await page.evaluate(() => {
    const card = document.getElementById('topn').getBoundingClientRect();
    const table = document.getElementById('topn-table').getBoundingClientRect();
    const clipped = [...document.querySelectorAll('#topn-table th, #topn-table td')]
        .filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent);
    return {clipped, tableRight: table.right, cardRight: card.right};
  });
  assert.deepEqual(f.clipped, [], 'table cells too narrow for their text');
  assert.ok(f.tableRight <= f.cardRight, 'the table stays inside its card');
}

// Minute-aligned UTC start, `minutesAgo` before now: the first minute is a whole one.
function alignedStart(minutesAgo) {
  return new Date((Math.floor(Date.now() / 60000) - minutesAgo) * 60000).toISOString().slice(0, 19) + 'Z';
}

async function bigCountsScenario(args, browser) {
  const started = Date.now();
  // 210,000 events per second of event time, 12.6 million a minute, over 3 ads with a steep
  // popularity curve: the top ad gets about 10.8 million. The generator goes as fast as the
  // engine takes them (about 1 million a second on two cores), event time starting 30 minutes
  // back and running about 10 times the wall clock's pace: a minute closes every 13 s or so.
  const run = startRun(args, path.join(args.work, 'big'), [
    '--start', alignedStart(30), '--rate', '2000000', '--events-per-second', '210000',
    '--ads', '3', '--zipf', '3', '--format', 'binary', '--delay', '1s', '--out-of-order', '0',
    '--duplicates', '0', '--malformed', '0', '--topn-windows', '1,60', '--top', '10', '--seed', '3',
  ]);
  const db = run.db;
  try {
    const base = await waitForPort(run);
    // Two such minutes: the chart has bars to compare, the 60-minute list a sum of them.
    await waitFor('two minutes with over 10 million clicks of one ad', () => db.query(
      `SELECT COUNT(DISTINCT minute) AS n FROM counts WHERE filter_id = 0 AND count > ${BIG}`)[0].n >= 2, 90000);

    const {page, requests, problems} = await openPage(browser);
    await page.goto(base + '/');
    // The table: one minute, then 60, counts over 10 million digit for digit.
    let t = await checkTableMatchesDatabase(page, db, 1, 0);
    assert.ok(t.rows[0].count > BIG, `the top ad's minute count ${t.rows[0].count} is over ${BIG}`);
    assert.match(t.rows[0].text, /^\d{2,},\d{3},\d{3}$/, 'a count over 10 million with every digit');
    await checkTableFits(page);

    // The chart follows the top ad; its labels reach tens of millions and stay whole.
    await page.waitForFunction((a) => document.getElementById('chart').dataset.adId === a &&
        document.getElementById('series').dataset.state === 'ok', t.rows[0].ad_id, {timeout: 10000});
    // Before the checks: a failure leaves the picture of what was wrong.
    const shot = args.screenshot.replace(/(\.png)?$/, '-big-counts.png');
    await page.screenshot({path: shot, fullPage: true});
    console.log('screenshot: ' + shot);
    const axis = await checkCountAxis(page, db, 0);
    assert.ok(axis.max > BIG && axis.ticks[axis.ticks.length - 1] >= BIG, 'the chart reaches 10 million');

    await page.selectOption('#window-select', '60');
    t = await checkTableMatchesDatabase(page, db, 60, 0);
    assert.ok(t.rows[0].count > 2 * BIG, `the top ad's 60-minute count ${t.rows[0].count} is over ${2 * BIG}`);
    await checkTableFits(page);

    checkRequests(requests, problems);
    await page.close();
  } finally {
    await stopRun(run);
  }
  console.log(`big counts ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function everydayScenario(args, browser) {
  // Event time runs 50 times faster than the wall clock, so a minute closes every 1.2 s.
  const run = startRun(args, path.join(args.work, 'everyday'), [
    '--start', 'now-30m', '--rate', '10000', '--events-per-second', '200',
    '--ads', '300', '--topn-windows', TOPN_WINDOWS.join(','), '--top', '100', '--seed', '11',
  ]);
  const db = run.db;
  try {
    const base = await waitForPort(run);
    // Ten closed minutes: the 5-minute lists have data to sum, the chart a shape to draw.
    await waitFor('closed minutes', async () => {
      const s = await getJson(base + '/v1/status');
      return s.last_closed_minute !== null && db.query('SELECT COUNT(DISTINCT minute) AS n FROM counts')[0].n >= 10;
    }, 60000);
    await checkAssets(base);

    const {page, requests, problems} = await openPage(browser);
    await page.goto(base + '/');
    await page.waitForSelector('#topn-body tr');

    // The filter and window choices come from /v1/status.
    const options = await page.evaluate(() => ({
      windows: [...document.querySelectorAll('#window-select option')].map((o) => Number(o.value)),
      filters: [...document.querySelectorAll('#filter-select option')].map((o) => o.textContent),
    }));
    assert.deepEqual(options.windows, TOPN_WINDOWS);
    assert.deepEqual(options.filters.slice(0, 2), ['all', 'us']);

    await checkTableMatchesDatabase(page, db, 1, 0);
    await page.selectOption('#window-select', '5');
    await page.selectOption('#filter-select', '1');
    const t = await checkTableMatchesDatabase(page, db, 5, 1);
    await checkTableFits(page);

    // Freshness line: the table's minute is closed.
    const closed = Number(await page.getAttribute('#fresh-closed', 'data-value'));
    assert.ok(closed >= t.minute, `last closed ${closed} before the table's minute ${t.minute}`);
    for (const id of ['fresh-late', 'fresh-dropped', 'fresh-duplicates', 'fresh-rejected'])
      assert.match(await page.getAttribute('#' + id, 'data-value'), /^\d+$/, id);

    // Clicking a row charts that ad; the chart holds every minute of the range, zero-filled.
    const ad = t.rows[1].ad_id;
    const [seriesResponse] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/v1/ads/${encodeURIComponent(ad)}/series?`)),
      page.click(`#topn-body tr[data-ad-id="${ad}"] td.num:not(.rank)`),
    ]);
    assert.equal(seriesResponse.status(), 200);
    const series = await seriesResponse.json();
    assert.equal(series.filter, 1);
    await page.waitForFunction((a) => {
      const c = document.getElementById('chart');
      return c.dataset.adId === a && document.getElementById('series').dataset.state === 'ok';
    }, ad, {timeout: 10000});
    const from = epochMinute(series.from);
    const to = epochMinute(series.to);
    assert.equal(to - from, 180, 'the default 3 h range');
    const stored = db.minutes(ad, 1, from, to);
    assert.deepEqual(series.minutes.map(epochMinute), stored.map((r) => r.minute), 'series minutes');
    assert.deepEqual(series.counts, stored.map((r) => r.count), 'series counts');
    // What the chart shows now (a refresh may have moved its range on since), in one read.
    const chart = await page.evaluate(() => {
      const c = document.getElementById('chart');
      const canvas = c.querySelector('canvas');
      const ctx = canvas && canvas.getContext('2d');
      const pixels = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : [];
      let inked = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) inked++;
      return {points: Number(c.dataset.points), total: Number(c.dataset.total), ad: c.dataset.adId,
              from: Number(c.dataset.from), to: Number(c.dataset.to),
              width: canvas ? canvas.width : 0, height: canvas ? canvas.height : 0, inked,
              selected: document.querySelector('#topn-body tr[aria-selected="true"]')?.dataset.adId};
    });
    assert.equal(chart.ad, ad);
    assert.equal(chart.points, epochMinute(chart.to) - epochMinute(chart.from), 'zero-filled minutes');
    assert.equal(chart.points, 180, 'the default 3 h range');
    const shown = db.minutes(ad, 1, epochMinute(chart.from), epochMinute(chart.to));
    assert.equal(chart.total, shown.reduce((a, r) => a + r.count, 0), 'chart total');
    assert.ok(chart.width > 0 && chart.height > 0, 'canvas size');
    assert.ok(chart.inked > 1000, 'the chart drew something');
    assert.equal(chart.selected, ad, 'the clicked row is marked');
    console.log(`chart ok: ${ad}, ${series.minutes.length} non-zero minutes, total ${chart.total}`);

    // A shorter range refetches and redraws.
    await page.selectOption('#range-select', '60');
    await page.waitForFunction(() => document.getElementById('chart').dataset.points === '60' &&
        document.getElementById('series').dataset.state === 'ok', null, {timeout: 10000});
    await checkCountAxis(page, db, 1);

    await page.screenshot({path: args.screenshot, fullPage: true});
    console.log('screenshot: ' + args.screenshot);

    // Typing an id that has no clicks shows the empty state.
    await page.fill('#ad-input', 'no-such-ad');
    await page.click('#ad-submit');
    await page.waitForFunction(() => document.getElementById('series').dataset.state === 'empty' &&
        document.getElementById('chart').dataset.adId === 'no-such-ad', null, {timeout: 10000});

    // Every request stayed on this server.
    checkRequests(requests, problems);

    // With the API gone the page says so instead of showing stale numbers as current.
    await stopRun(run);
    await page.waitForFunction(() => document.getElementById('topn').dataset.state === 'error' &&
        document.getElementById('freshness').dataset.state === 'error', null, {timeout: 15000});
    console.log('error state ok; requests: ' + requests.length);
  } finally {
    await stopRun(run);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.rmSync(args.work, {recursive: true, force: true});
  fs.mkdirSync(args.work, {recursive: true});
  fs.mkdirSync(path.dirname(args.screenshot), {recursive: true});

  const profile = fs.mkdtempSync(path.join(args.work, 'chromium-profile-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium,
    headless: true,
    viewport: {width: 1360, height: 860},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await bigCountsScenario(args, browser);
    await everydayScenario(args, browser);
  } finally {
    await browser.close();
  }
}

main().then(() => console.log('dashboard browser test passed'), (err) => {
  console.error(err);
  process.exit(1);
});
