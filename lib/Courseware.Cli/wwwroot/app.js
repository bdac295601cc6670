// Courseware tracking UI: vanilla JS over the MLflow REST API of this server.
// Every user string reaches the page as a DOM text node (el() below); nothing is assigned to innerHTML.
'use strict';

const API = '/ajax-api/2.0/mlflow/';
const PAGE_SIZE = 100;
const view = document.getElementById('view');
const crumbs = document.getElementById('crumbs');

// ---------------------------------------------------------------- helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

async function api(method, endpoint, args, base = API) {
  let url = base + endpoint;
  const init = { method, headers: {} };
  if (method === 'GET' && args) url += '?' + new URLSearchParams(args).toString();
  else if (args) { init.body = JSON.stringify(args); init.headers['Content-Type'] = 'application/json'; }
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.error_code || String(response.status), body.message || response.statusText);
  return body;
}

function fmtTime(ms) {
  if (ms === undefined || ms === null) return '';
  return new Date(Number(ms)).toISOString().replace('T', ' ').slice(0, 19);
}

function fmtDuration(info) {
  if (info.end_time === undefined) return info.status === 'RUNNING' ? 'running' : '';
  const s = (Number(info.end_time) - Number(info.start_time)) / 1000;
  return s < 120 ? s.toFixed(1) + ' s' : (s / 60).toFixed(1) + ' min';
}

function fmtValue(v) {
  if (typeof v === 'string') return v; // "NaN", "Infinity"
  if (v === undefined || v === null) return '';
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(4) : String(Math.round(v * 1e6) / 1e6);
}

function toNumber(v) {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

// A search-grammar field name, backquoted when the key is not a plain identifier.
function field(kind, key) {
  return /^[A-Za-z_][\w.]*$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key.replaceAll('`', '``')}\``;
}

function pairs(list) {
  const map = new Map();
  for (const p of list || []) map.set(p.key, p.value);
  return map;
}

function setCrumbs(...items) {
  crumbs.replaceChildren(...items.map(([text, href]) => href ? el('a', { href }, text) : el('span', {}, text)));
}

function showError(target, error) {
  target.replaceChildren(el('div', { className: 'error', role: 'alert' },
    error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)));
}

function table(headers, rows, attrs) {
  return el('table', attrs || {},
    el('thead', {}, el('tr', {}, headers.map(h => h instanceof Node ? h : el('th', {}, h)))),
    el('tbody', {}, rows));
}

function kvTable(map, id) {
  const keys = [...map.keys()].sort();
  if (keys.length === 0) return el('p', { className: 'muted', id }, 'none');
  return table(['key', 'value'], keys.map(k => el('tr', {}, el('td', {}, k), el('td', {}, map.get(k)))), { id });
}

function hashParams() {
  const q = location.hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : location.hash.slice(q + 1));
}

// ---------------------------------------------------------------- experiments

async function showExperiments() {
  setCrumbs(['Experiments']);
  const body = await api('GET', 'experiments/search', { max_results: 1000 });
  const rows = (body.experiments || []).map(e => el('tr', {},
    el('td', {}, el('a', { href: `#/experiments/${encodeURIComponent(e.experiment_id)}` }, e.name)),
    el('td', {}, e.experiment_id),
    el('td', {}, fmtTime(e.creation_time)),
    el('td', {}, e.artifact_location)));
  view.replaceChildren(el('h1', {}, 'Experiments'),
    table(['name', 'id', 'created (UTC)', 'artifact location'], rows, { id: 'experiments-table' }));
}

// ---------------------------------------------------------------- runs table

const runsState = { experimentId: null, filter: '', order: null, tokens: [null], page: 0, columns: null, selected: new Set(), totalKey: null, total: null };

async function showRuns(experimentId) {
  const params = hashParams();
  if (runsState.experimentId !== experimentId) {
    Object.assign(runsState, { experimentId, filter: '', order: null, tokens: [null], page: 0, columns: null, selected: new Set(), totalKey: null, total: null });
  }
  if (params.has('filter')) runsState.filter = params.get('filter');
  if (params.has('order')) runsState.order = params.get('order');
  const experiment = (await api('GET', 'experiments/get', { experiment_id: experimentId })).experiment;
  setCrumbs(['Experiments', '#/'], [experiment.name]);

  const filterBox = el('input', { id: 'filter', type: 'search', value: runsState.filter, spellcheck: 'false',
    placeholder: "metrics.acc > 0.9 and params.optimizer = 'adam'",
    onkeydown: e => { if (e.key === 'Enter') apply(); } });
  const errors = el('div', { id: 'error' });
  const columnsBox = el('details', {}, el('summary', {}, 'Columns'));
  const tableHolder = el('div', { id: 'runs' });
  const pager = el('div', { className: 'toolbar' });
  const compare = el('button', { id: 'compare', title: 'Tick runs in the first column, then compare them', onclick: () => {
    if (runsState.selected.size > 0) location.hash = `#/compare?runs=${[...runsState.selected].join(',')}`;
  } }, 'Compare selected');

  function apply() {
    runsState.filter = filterBox.value;
    runsState.tokens = [null];
    runsState.page = 0;
    load();
  }

  async function load() {
    errors.replaceChildren();
    let body;
    // The total is counted once per filter (paging and sorting keep it); a store that cannot count gives none.
    const totalKey = experimentId + '\n' + runsState.filter;
    const total = runsState.totalKey === totalKey ? Promise.resolve(runsState.total)
      : api('GET', 'runs/count', { experiment_id: experimentId, filter: runsState.filter }, '/ajax-api/2.0/courseware/')
        .then(b => b.count ?? null, () => null);
    try {
      body = await api('POST', 'runs/search', {
        experiment_ids: [experimentId], filter: runsState.filter, max_results: PAGE_SIZE,
        order_by: runsState.order ? [runsState.order] : [], page_token: runsState.tokens[runsState.page] || undefined,
      });
      Object.assign(runsState, { totalKey, total: await total });
    } catch (e) {
      showError(errors, e);
      tableHolder.replaceChildren();
      return;
    }
    const runs = body.runs || [];
    runsState.tokens[runsState.page + 1] = body.next_page_token || null;
    // Keep the filter and order in the address, so the view can be bookmarked or shared.
    const state = new URLSearchParams();
    if (runsState.filter) state.set('filter', runsState.filter);
    if (runsState.order) state.set('order', runsState.order);
    history.replaceState(null, '', `#/experiments/${encodeURIComponent(experimentId)}${state.size ? '?' + state : ''}`);
    renderTable(runs);
    renderPager(runs.length, !!body.next_page_token);
  }

  function renderColumns(metricKeys, paramKeys) {
    if (runsState.columns === null) {
      // Default: the first few metrics and params seen.
      runsState.columns = new Set([...metricKeys.slice(0, 6).map(k => 'm:' + k), ...paramKeys.slice(0, 6).map(k => 'p:' + k)]);
    }
    const box = el('div', { className: 'columns', id: 'column-chooser' });
    for (const [prefix, label, keys] of [['m:', 'metrics.', metricKeys], ['p:', 'params.', paramKeys]]) {
      for (const key of keys) {
        const id = prefix + key;
        box.append(el('label', {}, el('input', { type: 'checkbox', checked: runsState.columns.has(id), 'data-column': id,
          onchange: e => { e.target.checked ? runsState.columns.add(id) : runsState.columns.delete(id); load(); } }), label + key));
      }
    }
    columnsBox.replaceChildren(el('summary', {}, `Columns (${runsState.columns.size} shown)`), box);
  }

  function header(text, orderField) {
    const sorted = runsState.order && runsState.order.startsWith(orderField + ' ')
      ? (runsState.order.endsWith(' ASC') ? 'sorted-asc' : 'sorted-desc') : '';
    return el('th', { className: 'sortable ' + sorted, 'data-order': orderField, title: 'Sort by ' + orderField,
      onclick: () => {
        runsState.order = orderField + (sorted === 'sorted-desc' ? ' ASC' : ' DESC');
        runsState.tokens = [null];
        runsState.page = 0;
        load();
      } }, text);
  }

  function renderTable(runs) {
    const metricKeys = [...new Set(runs.flatMap(r => (r.data.metrics || []).map(m => m.key)))].sort();
    const paramKeys = [...new Set(runs.flatMap(r => (r.data.params || []).map(p => p.key)))].sort();
    for (const c of runsState.columns || []) {
      const [kind, key] = [c.slice(0, 2), c.slice(2)];
      if (kind === 'm:' && !metricKeys.includes(key)) metricKeys.push(key);
      if (kind === 'p:' && !paramKeys.includes(key)) paramKeys.push(key);
    }
    renderColumns(metricKeys, paramKeys);
    const metricCols = metricKeys.filter(k => runsState.columns.has('m:' + k));
    const paramCols = paramKeys.filter(k => runsState.columns.has('p:' + k));
    const headers = [el('th', {}, ''), header('run', 'attributes.run_name'), header('status', 'attributes.status'),
      header('started (UTC)', 'attributes.start_time'), el('th', {}, 'duration'),
      ...metricCols.map(k => header('metrics.' + k, field('metrics', k))),
      ...paramCols.map(k => header('params.' + k, field('params', k)))];
    const rows = runs.map(r => {
      const metrics = new Map((r.data.metrics || []).map(m => [m.key, m.value]));
      const ps = pairs(r.data.params);
      const id = r.info.run_id;
      return el('tr', { 'data-run-id': id },
        el('td', {}, el('input', { type: 'checkbox', checked: runsState.selected.has(id), 'aria-label': 'select run',
          onchange: e => { e.target.checked ? runsState.selected.add(id) : runsState.selected.delete(id); } })),
        el('td', {}, el('a', { href: `#/runs/${encodeURIComponent(id)}`, className: 'run-link' }, r.info.run_name)),
        el('td', {}, r.info.status),
        el('td', {}, fmtTime(r.info.start_time)),
        el('td', { className: 'num' }, fmtDuration(r.info)),
        ...metricCols.map(k => el('td', { className: 'num' }, fmtValue(metrics.get(k)))),
        ...paramCols.map(k => el('td', {}, ps.get(k) ?? '')));
    });
    tableHolder.replaceChildren(runs.length === 0 ? el('p', { className: 'muted', id: 'no-runs' }, 'No runs match.')
      : table(headers, rows, { id: 'runs-table' }));
  }

  function renderPager(count, hasNext) {
    const first = runsState.page * PAGE_SIZE;
    pager.replaceChildren(
      el('button', { id: 'prev', disabled: runsState.page === 0, onclick: () => { runsState.page--; load(); } }, '◀ Prev'),
      el('span', { id: 'page-info' }, count === 0 ? 'no runs' : `runs ${first + 1}–${first + count}`
        + (runsState.total === null || runsState.total === undefined ? '' : ` of ${Number(runsState.total).toLocaleString('en-US')}`)),
      el('button', { id: 'next', disabled: !hasNext, onclick: () => { runsState.page++; load(); } }, 'Next ▶'),
      compare);
  }

  view.replaceChildren(el('h1', {}, experiment.name),
    el('div', { className: 'toolbar' }, filterBox, el('button', { id: 'apply', onclick: apply }, 'Search'),
      el('span', { className: 'muted' }, 'MLflow search grammar, plus OR and parentheses')),
    errors, columnsBox, pager, tableHolder);
  await load();
}

// ---------------------------------------------------------------- run page

async function metricHistory(runId, key) {
  return (await api('GET', 'metrics/get-history', { run_id: runId, metric_key: key })).metrics || [];
}

// One request for a metric of many runs (MLflow's get-history-bulk-interval, up to 100 runs): at most 2,500 points
// per run, and over that each step bucket's lowest and highest point, so spikes stay visible.
async function sampledHistories(runIds, key) {
  const byRun = new Map(runIds.map(id => [id, []]));
  for (let i = 0; i < runIds.length; i += 100) {
    const args = [...runIds.slice(i, i + 100).map(id => ['run_ids', id]), ['metric_key', key], ['max_results', '2500']];
    for (const m of (await api('GET', 'metrics/get-history-bulk-interval', args)).metrics || []) byRun.get(m.run_id)?.push(m);
  }
  return byRun;
}

function plot(div, traces, layout) {
  // Every point is plotted (no sampling); WebGL keeps long histories fast. Zoom and pan are plotly's own.
  window.Plotly.newPlot(div, traces, Object.assign({ margin: { t: 30, r: 10, b: 40, l: 60 }, hovermode: 'closest' }, layout),
    { responsive: true, displaylogo: false });
}

function historyTrace(points, name) {
  const sorted = points.slice().sort((a, b) => Number(a.step) - Number(b.step) || Number(a.timestamp) - Number(b.timestamp));
  return {
    x: sorted.map(p => Number(p.step)), y: sorted.map(p => toNumber(p.value)), name,
    // SVG up to 20k points (no line simplification: a one-step spike must stay visible), WebGL beyond.
    type: sorted.length > 20000 ? 'scattergl' : 'scatter', mode: sorted.length > 200 ? 'lines' : 'lines+markers',
    line: { simplify: false },
  };
}

async function showRun(runId) {
  const run = (await api('GET', 'runs/get', { run_id: runId })).run;
  const info = run.info;
  const experiment = (await api('GET', 'experiments/get', { experiment_id: info.experiment_id })).experiment;
  setCrumbs(['Experiments', '#/'], [experiment.name, `#/experiments/${encodeURIComponent(info.experiment_id)}`], [info.run_name]);
  const tags = pairs(run.data.tags);
  const metrics = (run.data.metrics || []).slice().sort((a, b) => a.key < b.key ? -1 : 1);
  const parent = tags.get('mlflow.parentRunId');

  const infoRows = [['run id', info.run_id], ['status', info.status], ['user', info.user_id], ['started (UTC)', fmtTime(info.start_time)],
    ['ended (UTC)', fmtTime(info.end_time)], ['duration', fmtDuration(info)], ['artifact uri', info.artifact_uri]]
    .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)));
  if (parent) infoRows.push(el('tr', {}, el('th', {}, 'parent run'), el('td', {}, el('a', { href: `#/runs/${encodeURIComponent(parent)}` }, parent))));

  const children = el('div', { id: 'child-runs' });
  const charts = el('div', { className: 'grid', id: 'charts' });
  const artifacts = el('div', { id: 'artifacts' });
  const note = tags.get('mlflow.note.content');
  view.replaceChildren(...[
    el('h1', { id: 'run-name' }, info.run_name),
    table([], infoRows, { id: 'run-info' }),
    note ? el('pre', { className: 'note' }, note) : null,
    children,
    el('h2', {}, 'Parameters'), kvTable(pairs(run.data.params), 'params'),
    el('h2', {}, 'Metrics (latest)'),
    metrics.length === 0 ? el('p', { className: 'muted' }, 'none') :
      table(['key', 'value', 'step', 'time (UTC)'], metrics.map(m => el('tr', {}, el('td', {}, m.key),
        el('td', { className: 'num' }, fmtValue(m.value)), el('td', { className: 'num' }, m.step), el('td', {}, fmtTime(m.timestamp)))), { id: 'metrics' }),
    el('h2', {}, 'Metric charts'), charts,
    el('h2', {}, 'Tags'), kvTable(tags, 'tags'),
    el('h2', {}, 'Artifacts'), artifacts].filter(Boolean));

  metrics.forEach(async (m, i) => {
    const div = el('div', { className: 'chart', id: `chart-${i}`, 'data-metric': m.key });
    charts.append(div);
    const points = await metricHistory(runId, m.key);
    plot(div, [historyTrace(points, m.key)], { title: { text: m.key }, xaxis: { title: { text: 'step' } } });
  });
  await Promise.all([listArtifacts(runId, '', artifacts), listChildren(info, children)]);
}

// Nested runs (e.g. cross-validation folds) point at their parent with the mlflow.parentRunId tag.
async function listChildren(info, target) {
  const body = await api('POST', 'runs/search', { experiment_ids: [info.experiment_id], max_results: 1000,
    filter: `${field('tags', 'mlflow.parentRunId')} = '${info.run_id}'`, order_by: ['attributes.start_time ASC'] });
  const runs = body.runs || [];
  if (runs.length === 0) return;
  target.replaceChildren(el('h2', {}, `Child runs (${runs.length})`), el('ul', {}, runs.map(r =>
    el('li', {}, el('a', { href: `#/runs/${encodeURIComponent(r.info.run_id)}` }, r.info.run_name), ' ', el('span', { className: 'muted' }, r.info.status)))));
}

async function listArtifacts(runId, path, target) {
  const body = await api('GET', 'artifacts/list', path ? { run_id: runId, path } : { run_id: runId });
  const files = body.files || [];
  if (files.length === 0 && !path) { target.replaceChildren(el('p', { className: 'muted' }, 'none')); return; }
  const list = el('ul', {});
  for (const f of files) {
    if (f.is_dir) {
      const sub = el('div', {});
      const item = el('li', {}, el('details', { ontoggle: e => { if (e.target.open && !sub.hasChildNodes()) listArtifacts(runId, f.path, sub); } },
        el('summary', {}, f.path.split('/').pop() + '/'), sub));
      list.append(item);
    } else {
      const href = '/get-artifact?' + new URLSearchParams({ run_id: runId, path: f.path }).toString();
      list.append(el('li', {}, el('a', { href, className: 'artifact' }, f.path.split('/').pop()), el('span', { className: 'muted' }, ` ${f.file_size} bytes`)));
    }
  }
  target.replaceChildren(list);
}

// ---------------------------------------------------------------- compare

async function showCompare() {
  const ids = (hashParams().get('runs') || '').split(',').filter(Boolean);
  const runs = await Promise.all(ids.map(async id => (await api('GET', 'runs/get', { run_id: id })).run));
  setCrumbs(['Experiments', '#/'], ['Compare ' + runs.length + ' runs']);
  const paramMaps = runs.map(r => pairs(r.data.params));
  const metricMaps = runs.map(r => new Map((r.data.metrics || []).map(m => [m.key, m.value])));
  const paramKeys = [...new Set(paramMaps.flatMap(m => [...m.keys()]))].sort();
  const metricKeys = [...new Set(metricMaps.flatMap(m => [...m.keys()]))].sort();

  const header = ['', ...runs.map(r => el('th', {}, el('a', { href: `#/runs/${encodeURIComponent(r.info.run_id)}` }, r.info.run_name)))];
  const rowFor = (label, values) => {
    const differs = new Set(values.map(v => String(v ?? ''))).size > 1;
    return el('tr', {}, el('th', {}, label), values.map(v => el('td', { className: differs ? 'differs' : '' }, v === undefined ? '' : fmtValue(v))));
  };
  const rows = [...paramKeys.map(k => rowFor('params.' + k, paramMaps.map(m => m.get(k)))),
    ...metricKeys.map(k => rowFor('metrics.' + k, metricMaps.map(m => m.get(k))))];

  const curves = el('div', { className: 'grid', id: 'curves' });
  const parallel = el('div', { className: 'chart', id: 'parallel' });
  view.replaceChildren(el('h1', {}, `Comparing ${runs.length} runs`), table(header, rows, { id: 'compare-table' }),
    el('h2', {}, 'Parallel coordinates'), parallel, el('h2', {}, 'Metric curves'), curves);

  // Parallel coordinates: numeric params as numbers, other params as categories, then every metric.
  const dims = [];
  for (const k of paramKeys) {
    const values = paramMaps.map(m => m.get(k));
    const numeric = values.every(v => v !== undefined && v.trim() !== '' && !isNaN(Number(v)));
    if (numeric) dims.push({ label: k, values: values.map(Number) });
    else {
      const cats = [...new Set(values.map(v => v ?? '(none)'))].sort();
      dims.push({ label: k, values: values.map(v => cats.indexOf(v ?? '(none)')), tickvals: cats.map((_, i) => i), ticktext: cats });
    }
  }
  for (const k of metricKeys) dims.push({ label: k, values: metricMaps.map(m => toNumber(m.get(k))) });
  if (dims.length > 0 && runs.length > 0) {
    const colorBy = metricKeys.length > 0 ? metricMaps.map(m => toNumber(m.get(metricKeys[0]))) : runs.map((_, i) => i);
    plot(parallel, [{ type: 'parcoords', dimensions: dims,
      line: { color: colorBy, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: metricKeys[0] || 'run' } } } }],
      { margin: { t: 70, r: 40, b: 30, l: 60 } });
  }

  for (const key of metricKeys) {
    const div = el('div', { className: 'chart', 'data-metric': key });
    curves.append(div);
    const withKey = runs.filter((_, i) => metricMaps[i].has(key));
    const sampled = await sampledHistories(withKey.map(r => r.info.run_id), key);
    const traces = withKey.map(r => historyTrace(sampled.get(r.info.run_id) || [], r.info.run_name));
    plot(div, traces, { title: { text: key }, xaxis: { title: { text: 'step' } }, showlegend: true });
  }
}

// ---------------------------------------------------------------- routing

async function route() {
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 0) await showExperiments();
    else if (parts[0] === 'experiments' && parts.length === 2) await showRuns(parts[1]);
    else if (parts[0] === 'runs' && parts.length === 2) await showRun(parts[1]);
    else if (parts[0] === 'compare') await showCompare();
    else if (parts[0] === 'sweeps') await showSweeps(parts.slice(1)); // sweeps.js
    else if (parts[0] === 'models') await showRegistry(parts.slice(1));
    else view.replaceChildren(el('p', {}, 'Unknown page.'));
  } catch (e) {
    showError(view, e);
  }
  document.body.setAttribute('data-ready', path);
}

window.addEventListener('hashchange', route);
route();
