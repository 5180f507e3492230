// Drives Debian's Chromium through the dashboard of a real `clickagg run` and checks what the
// page shows against the SQLite database, read directly with the sqlite3 CLI.
//
//   node dashboard_test.js --clickagg PATH --work DIR --screenshot FILE.png [--chromium PATH]
//
// The run generates no late events, so a closed minute's rows never change between reading
// the page and reading the database.
'use strict';

const assert = require('node:assert/strict');
const {spawn, execFileSync} = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {chromium} = require('playwright-core');

const TOPN_WINDOWS = [1, 5, 60];

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

function startRun(args, db) {
  const portFile = path.join(args.work, 'port');
  // Event time runs 50 times faster than the wall clock, so a minute closes every 1.2 s.
  const child = spawn(args.clickagg, [
    'run', '--db', db, '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--start', 'now-30m', '--rate', '10000', '--events-per-second', '200', '--duration', '0',
    '--ads', '300', '--topn-windows', TOPN_WINDOWS.join(','), '--top', '100',
    '--late', '0', '--very-late', '0', '--progress-interval', '0s', '--seed', '11',
  ], {stdio: ['ignore', 'inherit', 'inherit']});
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  return {child, exited, portFile};
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

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.rmSync(args.work, {recursive: true, force: true});
  fs.mkdirSync(args.work, {recursive: true});
  fs.mkdirSync(path.dirname(args.screenshot), {recursive: true});
  const dbFile = path.join(args.work, 'dashboard.db');
  const db = new Database(dbFile);

  const run = startRun(args, dbFile);
  let browser = null;
  try {
    const port = await waitFor('the port file', () => {
      const exitedEarly = run.child.exitCode !== null;
      if (exitedEarly) throw new Error('clickagg run exited with ' + run.child.exitCode);
      return fs.existsSync(run.portFile) && Number(fs.readFileSync(run.portFile, 'utf8'));
    }, 20000);
    const base = `http://127.0.0.1:${port}`;
    // Ten closed minutes: the 5-minute lists have data to sum, the chart a shape to draw.
    await waitFor('closed minutes', async () => {
      const s = await getJson(base + '/v1/status');
      return s.last_closed_minute !== null && db.query('SELECT COUNT(DISTINCT minute) AS n FROM counts')[0].n >= 10;
    }, 60000);
    await checkAssets(base);

    const profile = fs.mkdtempSync(path.join(args.work, 'chromium-profile-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium,
      headless: true,
      viewport: {width: 1360, height: 860},
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const requests = [];
    const problems = [];
    browser.on('request', (r) => requests.push(r.url()));
    const page = browser.pages()[0] || await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push('page error: ' + err.message));
    page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));

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

    await page.screenshot({path: args.screenshot, fullPage: true});
    console.log('screenshot: ' + args.screenshot);

    // Typing an id that has no clicks shows the empty state.
    await page.fill('#ad-input', 'no-such-ad');
    await page.click('#ad-submit');
    await page.waitForFunction(() => document.getElementById('series').dataset.state === 'empty' &&
        document.getElementById('chart').dataset.adId === 'no-such-ad', null, {timeout: 10000});

    // Every request stayed on this server.
    const foreign = requests.filter((u) => !['127.0.0.1', 'localhost'].includes(new URL(u).hostname));
    assert.deepEqual(foreign, [], 'requests to other hosts');
    assert.deepEqual(problems, [], 'console errors or failed requests');

    // With the API gone the page says so instead of showing stale numbers as current.
    run.child.kill('SIGTERM');
    await run.exited;
    await page.waitForFunction(() => document.getElementById('topn').dataset.state === 'error' &&
        document.getElementById('freshness').dataset.state === 'error', null, {timeout: 15000});
    console.log('error state ok; requests: ' + requests.length);
  } finally {
    if (browser) await browser.close();
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }
}

main().then(() => console.log('dashboard browser test passed'), (err) => {
  console.error(err);
  process.exit(1);
});
