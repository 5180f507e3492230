// The clickagg dashboard: polls the query API (same origin only) and renders the top-N table,
// one ad's clicks per minute (uPlot) and the pipeline's freshness counters. Minutes travel
// as yyyyMMddHHmm integers in UTC, as the API writes them.
(() => {
  'use strict';

  const REFRESH_MS = 5000;
  const REQUEST_TIMEOUT_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const el = {
    filter: $('filter-select'),
    freshness: $('freshness'),
    freshnessMessage: $('freshness-message'),
    topn: $('topn'),
    topnForm: $('topn-form'),
    window: $('window-select'),
    count: $('count-select'),
    topnCaption: $('topn-caption'),
    topnMessage: $('topn-message'),
    topnTable: $('topn-table'),
    topnBody: $('topn-body'),
    series: $('series'),
    seriesForm: $('series-form'),
    adInput: $('ad-input'),
    range: $('range-select'),
    seriesCaption: $('series-caption'),
    seriesMessage: $('series-message'),
    chart: $('chart'),
  };

  const state = {
    status: null,       // the last /v1/status answer
    ad: '',             // the charted ad ('' for none)
    adChosen: false,    // the user picked an ad: do not follow the top of the table
    chart: null,        // uPlot instance
    seriesKey: '',      // what the chart shows, to skip refetching unchanged data
    seriesSeq: 0,       // the latest series request: older answers are dropped
    refreshing: false,
    refreshAgain: false,  // a control changed while a refresh was running
  };

  // --- minutes -------------------------------------------------------------------------

  // yyyyMMddHHmm -> minutes since the epoch.
  function epochMinute(m) {
    const s = String(m);
    return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10),
                    +s.slice(10, 12)) / 60000;
  }

  // minutes since the epoch -> yyyyMMddHHmm
  function apiMinute(epochMin) {
    const d = new Date(epochMin * 60000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getUTCFullYear() + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) +
        p(d.getUTCMinutes());
  }

  function minuteText(m, withDate = true) {
    const s = String(m);
    const time = s.slice(8, 10) + ':' + s.slice(10, 12);
    return withDate ? s.slice(0, 4) + '-' + s.slice(4, 6) + '-' + s.slice(6, 8) + ' ' + time : time;
  }

  const number = new Intl.NumberFormat('en-US');
  const fmt = (n) => (n === null || n === undefined ? '\u2013' : number.format(n));

  // --- API -----------------------------------------------------------------------------

  async function getJson(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
    try {
      const res = await fetch(path, {signal: ctl.signal, headers: {Accept: 'application/json'}});
      let body = null;
      try {
        body = await res.json();
      } catch (_) {
        // not JSON: reported below by status
      }
      if (!res.ok) throw new Error((body && body.error) || 'HTTP ' + res.status);
      if (body === null) throw new Error('the answer is not JSON');
      return body;
    } catch (err) {
      if (err.name === 'AbortError') throw new Error('no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s');
      if (err instanceof TypeError) throw new Error('cannot reach the server');  // fetch's network error
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  // --- controls ------------------------------------------------------------------------

  function fillSelect(select, items, current) {
    const values = items.map((i) => String(i.value));
    const same = select.options.length === items.length &&
        [...select.options].every((o, i) => o.value === values[i] && o.textContent === items[i].label);
    if (!same) {
      select.replaceChildren(...items.map((i) => new Option(i.label, i.value)));
    }
    select.value = values.includes(String(current)) ? String(current) : values[0];
  }

  function applyStatusToControls(status) {
    const filters = status && Array.isArray(status.filters) && status.filters.length
        ? status.filters : [{id: 0, name: 'all'}];
    fillSelect(el.filter, filters.map((f) => ({value: f.id, label: f.name ? f.name : 'filter ' + f.id})),
               el.filter.value);
    const windows = status && Array.isArray(status.topn_windows) && status.topn_windows.length
        ? status.topn_windows : [1];
    fillSelect(el.window, windows.map((w) => ({value: w, label: windowText(w)})), el.window.value);
  }

  function windowText(w) {
    if (w % 1440 === 0) return w / 1440 + ' day' + (w === 1440 ? '' : 's');
    if (w % 60 === 0) return w / 60 + ' h';
    return w + ' min';
  }

  // The selection survives a reload through the address's fragment.
  function saveSelection() {
    const p = new URLSearchParams({filter: el.filter.value, window: el.window.value, count: el.count.value,
                                   range: el.range.value});
    if (state.adChosen && state.ad) p.set('ad', state.ad);
    history.replaceState(null, '', '#' + p);
  }

  function loadSelection() {
    const p = new URLSearchParams(location.hash.slice(1));
    const pick = (select, v) => {
      if (v === null) return;
      if (![...select.options].some((o) => o.value === v)) select.add(new Option(v, v));
      select.value = v;
    };
    pick(el.filter, p.get('filter'));
    pick(el.window, p.get('window'));
    if ([...el.count.options].some((o) => o.value === p.get('count'))) el.count.value = p.get('count');
    if ([...el.range.options].some((o) => o.value === p.get('range'))) el.range.value = p.get('range');
    if (p.get('ad')) {
      state.ad = p.get('ad');
      state.adChosen = true;
      el.adInput.value = state.ad;
    }
  }

  // --- freshness -----------------------------------------------------------------------

  function setValue(id, value, text, cls = '') {
    const dd = $(id);
    dd.dataset.value = value === null || value === undefined ? '' : String(value);
    dd.textContent = text;
    dd.className = cls;
  }

  function renderFreshness(status, error) {
    if (error) {
      el.freshness.dataset.state = 'error';
      el.freshnessMessage.textContent = 'Status unavailable: ' + error.message;
      return;
    }
    el.freshness.dataset.state = 'ok';
    el.freshnessMessage.textContent = '';
    const closed = status.last_closed_minute;
    if (closed === null || closed === undefined) {
      setValue('fresh-closed', null, 'none yet', 'stale');
    } else {
      // Against this browser's clock: a minute is normally closed a little after it ends.
      const behind = Math.floor(Date.now() / 60000) - 1 - epochMinute(closed);
      const ago = behind > 1 ? ' (' + behind + ' min behind)' : '';
      setValue('fresh-closed', closed, minuteText(closed) + ' UTC' + ago, behind > 5 ? 'stale' : '');
    }
    setValue('fresh-lag', status.consumer_lag,
             status.consumer_lag === null || status.consumer_lag === undefined ? 'n/a' : fmt(status.consumer_lag));
    setValue('fresh-late', status.late_counted, fmt(status.late_counted));
    setValue('fresh-dropped', status.dropped_late, fmt(status.dropped_late));
    setValue('fresh-duplicates', status.duplicates, fmt(status.duplicates));
    setValue('fresh-rejected', status.rejected, fmt(status.rejected));
    const r = status.reconcile;
    $('fresh-reconcile-item').hidden = !r;
    if (r) {
      const at = new Date(r.checked_at_ms).toISOString().slice(0, 16).replace('T', ' ');
      const outcome = r.mismatches === 0 ? 'match' : fmt(r.mismatches) + ' mismatches';
      setValue('fresh-reconcile', r.mismatches,
               outcome + ' in ' + fmt(r.groups_checked) + ' groups, ' + minuteText(r.from) + '\u2013' +
                   minuteText(r.to, false) + ' (checked ' + at + ' UTC)',
               r.mismatches === 0 ? 'ok' : 'bad');
    }
  }

  // --- top-N table ---------------------------------------------------------------------

  function renderTopn(body, error) {
    if (error) {
      el.topn.dataset.state = 'error';
      el.topnMessage.textContent = 'Cannot load the most clicked ads: ' + error.message;
      el.topnTable.hidden = el.topnBody.rows.length === 0;
      return;
    }
    const closed = state.status ? state.status.last_closed_minute : undefined;
    el.topnCaption.dataset.minute = body.minute;
    el.topnCaption.dataset.window = body.window;
    el.topnCaption.dataset.filter = body.filter;
    const first = apiMinute(epochMinute(body.minute) - body.window + 1);
    // Before any minute closed, body.minute is only the wall clock's: nothing to name.
    el.topnCaption.textContent = closed === null ? '' : body.window === 1
        ? 'Minute ' + minuteText(body.minute) + ' UTC'
        : minuteText(first) + ' \u2013 ' + minuteText(body.minute, false) + ' UTC (' +
              windowText(body.window) + ')';

    const max = body.counts.length ? body.counts[0] : 0;
    el.topnBody.replaceChildren(...body.ad_ids.map((id, i) => topnRow(id, body.counts[i], i + 1, max)));
    markSelectedRow();
    el.topnTable.hidden = body.ad_ids.length === 0;
    if (body.ad_ids.length) {
      el.topn.dataset.state = 'ok';
      el.topnMessage.textContent = '';
    } else {
      el.topn.dataset.state = 'empty';
      el.topnMessage.textContent = closed === null
          ? 'No closed minute yet: counts appear once the first minute closes.'
          : 'No clicks in this window for this filter.';
    }
    // Until someone picks an ad, chart the most clicked one.
    if (!state.adChosen && body.ad_ids.length && state.ad !== body.ad_ids[0]) showAd(body.ad_ids[0], false);
  }

  function topnRow(id, count, rank, max) {
    const tr = document.createElement('tr');
    tr.dataset.adId = id;
    tr.dataset.count = count;
    tr.dataset.rank = rank;
    const td = (cls, child) => {
      const c = document.createElement('td');
      if (cls) c.className = cls;
      if (typeof child === 'string') c.textContent = child; else c.appendChild(child);
      tr.appendChild(c);
    };
    td('num rank', String(rank));
    const link = document.createElement('button');
    link.type = 'button';
    link.className = 'ad-link';
    link.textContent = id;
    link.title = 'Chart clicks per minute of ' + id;
    td('', link);
    td('num', fmt(count));
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = (max > 0 ? (100 * count) / max : 0).toFixed(1) + '%';
    bar.setAttribute('aria-hidden', 'true');
    td('share', bar);
    return tr;
  }

  function markSelectedRow() {
    for (const tr of el.topnBody.rows) tr.setAttribute('aria-selected', String(tr.dataset.adId === state.ad));
  }

  // --- per-ad chart --------------------------------------------------------------------

  function showAd(ad, chosen) {
    state.ad = ad;
    state.adChosen = state.adChosen || chosen;
    el.adInput.value = ad;
    markSelectedRow();
    saveSelection();
    refreshSeries(true);
  }

  // [from, to) in API minutes: the chosen range ending at the last closed minute; undefined
  // leaves the range to the API's default.
  function seriesRange() {
    const closed = state.status ? state.status.last_closed_minute : null;
    if (closed === null || closed === undefined) return undefined;
    const to = epochMinute(closed) + 1;
    return {from: apiMinute(to - Number(el.range.value)), to: apiMinute(to)};
  }

  async function refreshSeries(force) {
    if (!state.ad) {
      el.series.dataset.state = 'idle';
      return;
    }
    const params = new URLSearchParams({filter: el.filter.value});
    const range = seriesRange();
    if (range) {
      params.set('from', range.from);
      params.set('to', range.to);
    }
    const key = state.ad + '?' + params;
    if (!force && key === state.seriesKey && el.series.dataset.state === 'ok') return;
    const ad = state.ad;
    const seq = ++state.seriesSeq;
    if (force) {
      el.series.dataset.state = 'loading';
      el.seriesMessage.textContent = 'Loading ' + ad + '\u2026';
    }
    try {
      const body = await getJson('/v1/ads/' + encodeURIComponent(ad) + '/series?' + params);
      if (seq !== state.seriesSeq) return;  // a newer request is on its way
      state.seriesKey = key;
      renderSeries(body);
    } catch (err) {
      if (seq !== state.seriesSeq) return;
      state.seriesKey = '';
      el.series.dataset.state = 'error';
      el.seriesMessage.textContent = 'Cannot load clicks of ' + ad + ': ' + err.message;
      // A chart of this ad stays, dimmed; one of another ad goes.
      if (el.chart.dataset.adId !== ad) {
        el.chart.dataset.adId = '';
        el.seriesCaption.textContent = '';
        destroyChart();
      }
    }
  }

  // Every minute of [from, to), zero where the API listed none.
  function zeroFilled(body) {
    const from = epochMinute(body.from);
    const n = Math.max(0, epochMinute(body.to) - from);
    const xs = new Array(n);
    const ys = new Array(n).fill(0);
    for (let i = 0; i < n; i++) xs[i] = (from + i) * 60;
    body.minutes.forEach((m, i) => {
      const at = epochMinute(m) - from;
      if (at >= 0 && at < n) ys[at] = body.counts[i];
    });
    return [xs, ys];
  }

  function renderSeries(body) {
    const data = zeroFilled(body);
    const total = data[1].reduce((a, b) => a + b, 0);
    const filterName = el.filter.selectedOptions.length ? el.filter.selectedOptions[0].textContent : body.filter;
    el.seriesCaption.textContent = body.ad_id + ', filter ' + filterName + ': ' + fmt(total) + ' clicks, ' +
        minuteText(body.from) + ' \u2013 ' + minuteText(apiMinute(epochMinute(body.to) - 1), false) + ' UTC';
    el.chart.dataset.adId = body.ad_id;
    el.chart.dataset.from = body.from;
    el.chart.dataset.to = body.to;
    el.chart.dataset.points = data[0].length;
    el.chart.dataset.total = total;
    el.chart.setAttribute('aria-label', 'Clicks per minute of ' + body.ad_id + ', ' + fmt(total) + ' in total');
    el.series.dataset.state = total > 0 ? 'ok' : 'empty';
    el.seriesMessage.textContent = total > 0 ? '' : 'No clicks for ' + body.ad_id + ' in this range.';
    drawChart(data);
  }

  function chartWidth() {
    return Math.max(280, el.chart.clientWidth || el.series.clientWidth - 36);
  }

  function drawChart(data) {
    if (typeof uPlot === 'undefined') {
      el.series.dataset.state = 'error';
      el.seriesMessage.textContent = 'The charting library did not load.';
      return;
    }
    if (state.chart) {
      state.chart.setData(data);
      return;
    }
    const accent = '#1f5fa8';
    state.chart = new uPlot({
      width: chartWidth(),
      height: 300,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: {drag: {x: true, y: false}},
      // A minute's bar spans [minute, minute + 1): the x scale runs to the end of the last one.
      scales: {x: {time: true, range: (u, min, max) => [min, max + 60]},
               y: {range: (u, min, max) => [0, Math.max(1, max * 1.1)]}},
      axes: [
        {stroke: '#5f6b7a', grid: {stroke: '#eef1f5'}, ticks: {stroke: '#e3e8ef'}, values: timeTicks},
        {stroke: '#5f6b7a', grid: {stroke: '#eef1f5'}, ticks: {stroke: '#e3e8ef'}, size: countAxisSize,
         values: countTicks},
      ],
      series: [
        {label: 'minute (UTC)', value: '{YYYY}-{MM}-{DD} {HH}:{mm}'},
        {label: 'clicks', stroke: accent, width: 0, fill: 'rgba(31, 95, 168, 0.75)',
         paths: uPlot.paths.bars({align: 1, size: [0.8, Infinity, 1]}), points: {show: false},
         value: (u, v) => (v === null ? '\u2013' : fmt(v))},
      ],
    }, data, el.chart);
  }

  // Labels of the counts axis. Below 100,000 every digit ("75,000"); from there on a unit
  // ("250K", "1.5M", "12M"), with as many decimals as the tick needs to stay exact: ticks are
  // round numbers, so "2.5M" is 2,500,000, not a rounding. A tick that 3 decimals cannot
  // name exactly keeps every digit. The legend and the table always show every digit.
  const COMPACT_FROM = 100000;
  const UNITS = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  const compact = new Intl.NumberFormat('en-US', {maximumFractionDigits: 3});

  function compactCount(v) {
    const [unit, suffix] = UNITS.find(([size]) => v >= size) || [1, ''];
    const x = Number((v / unit).toFixed(3));
    return Math.round(x * unit) === v ? compact.format(x) + suffix : fmt(v);
  }

  function countTicks(u, splits) {
    const top = splits.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const label = top < COMPACT_FROM ? fmt : compactCount;
    return splits.map((v) => (Number.isInteger(v) ? label(v) : ''));
  }

  // The counts axis is as wide as its widest label plus the tick and the gap, so no label is
  // ever cut, whatever the labels are. Never narrower than 56 px: the x axis's first label (a
  // date centred on its tick) hangs over into it.
  const MIN_COUNT_AXIS = 56;
  const measure = document.createElement('canvas').getContext('2d');

  function countAxisSize(u, values, axisIdx) {
    const axis = u.axes[axisIdx];
    if (!values) return MIN_COUNT_AXIS;  // before the first ticks exist
    // uPlot draws with its font scaled to device pixels (font[0]): measure that, back in CSS px.
    measure.font = axis.font[0];
    const widest = values.reduce((w, v) => Math.max(w, measure.measureText(String(v ?? '')).width), 0) /
        (uPlot.pxRatio || 1);
    const size = Math.max(MIN_COUNT_AXIS,
                          Math.ceil(widest + (axis.ticks.show ? axis.ticks.size : 0) + axis.gap + 2));
    // What the axis shows, for tests and for anyone inspecting the page.
    const d = el.chart.dataset;
    d.yAxisSize = size;
    d.yAxisLabels = JSON.stringify(values);
    d.yAxisFont = axis.font[0].replace(/[0-9.]+px/, axis.font[2] + 'px');
    return size;
  }

  // 24-hour UTC times; the date under the first tick and under each midnight.
  function timeTicks(u, splits) {
    return splits.map((ts, i) => {
      const d = new Date(ts * 1000).toISOString();
      const time = d.slice(11, 16);
      return i === 0 || time === '00:00' ? time + '\n' + d.slice(0, 10) : time;
    });
  }

  function destroyChart() {
    if (state.chart) state.chart.destroy();
    state.chart = null;
  }

  new ResizeObserver(() => {
    if (state.chart && state.chart.width !== chartWidth()) state.chart.setSize({width: chartWidth(), height: 300});
  }).observe(el.chart);

  // --- refresh loop --------------------------------------------------------------------

  const settle = (promise) => promise.then((value) => ({value}), (error) => ({error}));

  async function refresh() {
    if (state.refreshing) {
      state.refreshAgain = true;
      return;
    }
    state.refreshing = true;
    try {
      // The table first, then the status: progress only moves forward, so the freshness line
      // is never older than the minute the table shows.
      const params = new URLSearchParams({count: el.count.value, window: el.window.value, filter: el.filter.value});
      const topn = await settle(getJson('/v1/ads/popular_ads?' + params));
      const status = await settle(getJson('/v1/status'));
      state.status = status.error ? null : status.value;
      if (state.status) applyStatusToControls(state.status);
      renderFreshness(state.status, status.error);
      renderTopn(topn.value, topn.error);
      await refreshSeries(false);
      saveSelection();
    } finally {
      state.refreshing = false;
    }
    if (state.refreshAgain) {
      state.refreshAgain = false;
      refresh();
    }
  }

  el.topnBody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr && tr.dataset.adId) showAd(tr.dataset.adId, true);
  });
  el.seriesForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const ad = el.adInput.value.trim();
    if (ad) showAd(ad, true);
  });
  el.range.addEventListener('change', () => refreshSeries(true));
  el.filter.addEventListener('change', refresh);
  el.topnForm.addEventListener('change', refresh);
  el.topnForm.addEventListener('submit', (e) => e.preventDefault());

  loadSelection();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
