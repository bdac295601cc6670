// Sweep pages of the tracking UI: #/sweeps (every sweep) and #/sweeps/<id> (one sweep's dashboard).
// Uses app.js's helpers (el, table, setCrumbs, plot, fmtValue, fmtTime): every user string is a DOM text node.
// The data comes from /ajax-api/2.0/courseware/sweeps/ (Server/SweepApi.cs), computed by the library.
'use strict';

const SWEEP_API = '/ajax-api/2.0/courseware/sweeps/';

async function sweepApi(endpoint, args) {
  const response = await fetch(SWEEP_API + endpoint + (args ? '?' + new URLSearchParams(args).toString() : ''));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.error_code || String(response.status), body.message || response.statusText);
  return body;
}

function metricText(metric) {
  if (!metric) return 'none';
  return `${metric.name} (${metric.goal}${metric.target === null || metric.target === undefined ? '' : ', target ' + fmtValue(metric.target)})`;
}

function runLink(runId, text, className) {
  return el('a', { href: `#/runs/${encodeURIComponent(runId)}`, className }, text);
}

function configValue(v) {
  return typeof v === 'number' ? fmtValue(v) : typeof v === 'string' ? v : JSON.stringify(v);
}

async function showSweeps(parts) {
  if (parts.length === 0) return showSweepList();
  if (parts.length === 1) return showSweep(parts[0]);
  view.replaceChildren(el('p', {}, 'Unknown page.'));
}

async function showSweepList() {
  setCrumbs(['Experiments', '#/'], ['Sweeps']);
  const sweeps = (await sweepApi('list')).sweeps || [];
  view.replaceChildren(el('h1', {}, 'Sweeps'), sweeps.length === 0
    ? el('p', { className: 'muted', id: 'no-sweeps' }, 'No sweeps yet: courseware sweep create sweep.yaml, or Sweep.Create in a notebook.')
    : table(['sweep', 'state', 'method', 'metric', 'trials', 'warm start', 'created (UTC)'], sweeps.map(s => el('tr', { 'data-sweep-id': s.sweep_id },
      el('td', {}, el('a', { href: `#/sweeps/${encodeURIComponent(s.sweep_id)}`, className: 'sweep-link' }, s.name)),
      el('td', { className: 'state-' + s.state }, s.state + (s.completion ? ` (${s.completion})` : '')),
      el('td', {}, s.method),
      el('td', {}, metricText(s.metric)),
      el('td', { className: 'num' }, s.trials),
      el('td', { className: 'num' }, s.warm_start_runs ? `${s.warm_start_runs} runs` : ''),
      el('td', {}, fmtTime(s.start_time)))), { id: 'sweeps-table' }));
}

async function showSweep(sweepId) {
  const body = await sweepApi('get', { sweep_id: sweepId });
  const s = body.sweep;
  setCrumbs(['Experiments', '#/'], ['Sweeps', '#/sweeps'], [s.name]);
  const params = (body.parameters || []).map(p => p.name);
  const trials = body.trials || [];

  const info = [['state', el('span', { id: 'sweep-state', className: 'state-' + s.state }, s.state + (s.completion ? ` (${s.completion})` : ''))],
    ['method', s.method], ['metric', metricText(s.metric)], ['trials', String(s.trials) + (s.run_cap ? ` of run_cap ${s.run_cap}` : '')],
    ['seed', String(s.seed)], ['sweep run', runLink(s.sweep_id, s.sweep_id)],
    ['experiment', el('a', { href: `#/experiments/${encodeURIComponent(s.experiment_id)}` }, s.experiment_id)], ['created (UTC)', fmtTime(s.start_time)]]
    .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)));

  const best = body.best;
  const bestBox = !s.metric ? null : el('div', { id: 'sweep-best' }, el('h2', {}, 'Best run so far'), best
    ? table(['run', s.metric.name, ...Object.keys(best.config)], [el('tr', {}, el('td', {}, runLink(best.run_id, best.name, 'best-link')),
      el('td', { className: 'num' }, fmtValue(best.value)), Object.values(best.config).map(v => el('td', {}, configValue(v))))])
    : el('p', { className: 'muted' }, `No trial has a value of ${s.metric.name} yet.`));

  const rows = trials.map(t => el('tr', { 'data-run-id': t.run_id, className: 'trial-' + t.state },
    el('td', { className: 'num' }, t.number + (t.attempt ? ` (retry ${t.attempt})` : '')),
    el('td', {}, runLink(t.run_id, t.name, 'trial-link')),
    el('td', {}, t.state),
    el('td', { className: 'num' }, fmtValue(t.value)),
    el('td', { className: 'num' }, t.steps),
    params.map(p => el('td', {}, p in t.config ? configValue(t.config[p]) : '')),
    el('td', {}, t.stop_reason || t.note || '')));

  const parallel = el('div', { className: 'chart', id: 'sweep-parallel' });
  const bestSoFar = el('div', { className: 'chart', id: 'sweep-best-so-far' });
  const versus = el('div', { className: 'grid', id: 'sweep-versus' });
  const scored = (body.best_so_far || []).length;
  view.replaceChildren(...[
    el('h1', { id: 'sweep-name' }, s.name),
    // A running sweep changes under the page: reload its data on demand (the page keeps no state of its own).
    s.state === 'running' ? el('div', { className: 'toolbar' }, el('button', { id: 'sweep-refresh', onclick: () => route() }, 'Refresh')) : null,
    table([], info, { id: 'sweep-info' }),
    bestBox,
    warmStartSection(body.warm_start),
    el('h2', {}, `Trials (${trials.length})`),
    trials.length === 0 ? el('p', { className: 'muted', id: 'no-trials' }, 'No trial yet: start an agent (courseware agent <sweep id> -- <command>).')
      : table(['#', 'run', 'state', s.metric ? s.metric.name : 'metric', 'steps', ...params, 'stopped because / chosen by'], rows, { id: 'trials-table' }),
    s.metric && scored > 0 ? [el('h2', {}, 'Parallel coordinates'), parallel, el('h2', {}, `${s.metric.name} over trials`), bestSoFar,
      el('h2', {}, `${s.metric.name} vs each parameter`), versus] : null,
    importanceSection(body.importance),
    el('h2', {}, 'Sweep file'), el('pre', { className: 'note', id: 'sweep-yaml' }, s.yaml)].flat().filter(Boolean));

  if (s.metric && scored > 0) {
    drawParallel(parallel, body.parallel, s.metric);
    drawBestSoFar(bestSoFar, body.best_so_far, s.metric);
    for (const p of body.parameters) {
      const div = el('div', { className: 'chart', 'data-parameter': p.name });
      versus.append(div);
      drawVersus(div, p, trials, s.metric);
    }
  }
}

function importanceSection(importance) {
  if (!importance) return null;
  return [el('h2', {}, 'Parameter importance'),
    el('p', { className: 'muted' }, 'Random-forest importance (share of the metric\'s variance its splits remove) and correlation (straight-line effects only).'),
    table(['parameter', 'importance (random forest)', 'correlation'], importance.map(f => el('tr', {},
      el('td', {}, f.feature), el('td', { className: 'num' }, fmtValue(f.importance)), el('td', { className: 'num' }, f.correlation === null ? 'n/a' : fmtValue(f.correlation)))),
    { id: 'sweep-importance' })];
}

// The metric against one parameter: finished and early-stopped trials as separate series, log axis for log-scale parameters.
function drawVersus(div, parameter, trials, metric) {
  const scored = trials.filter(t => (t.state === 'finished' || t.state === 'stopped') && t.value !== null && parameter.name in t.config);
  const traces = ['finished', 'stopped'].map(state => scored.filter(t => t.state === state)).filter(g => g.length > 0).map(g => ({
    x: g.map(t => t.config[parameter.name]), y: g.map(t => t.value), text: g.map(t => t.name), name: g[0].state, type: 'scatter', mode: 'markers',
  }));
  plot(div, traces, { showlegend: true,
    xaxis: { title: { text: parameter.name }, type: parameter.log ? 'log' : (traces.some(t => t.x.some(v => typeof v !== 'number')) ? 'category' : '-') },
    yaxis: { title: { text: metric.name } } });
}

function warmStartSection(warm) {
  if (!warm) return null;
  const source = warm.experiment + (warm.filter ? ` where ${warm.filter}` : '');
  return el('div', { id: 'warm-start' }, el('h2', {}, 'Warm start'),
    el('p', {}, `${warm.used.length} earlier run(s) from ${source} seeded the search; ${warm.skipped.length} skipped.`),
    warm.used.length === 0 ? null : el('details', {}, el('summary', {}, 'Runs used'),
      table(['run', 'value', 'configuration'], warm.used.map(r => el('tr', {}, el('td', {}, runLink(r.run_id, r.name)),
        el('td', { className: 'num' }, fmtValue(r.value)),
        el('td', {}, Object.entries(r.config).map(([k, v]) => `${k}: ${configValue(v)}`).join(', ')))), { id: 'warm-start-used' })),
    warm.skipped.length === 0 ? null : table(['skipped run', 'why'], warm.skipped.map(r => el('tr', {},
      el('td', {}, runLink(r.run_id, r.name)), el('td', {}, r.reason))), { id: 'warm-start-skipped' }));
}

function drawParallel(div, parallel, metric) {
  const axes = parallel.axes;
  const dims = axes.map(a => a.tick_labels
    ? { label: a.label, values: a.values, tickvals: a.tick_labels.map((_, i) => i), ticktext: a.tick_labels }
    : { label: a.label, values: a.values });
  const color = axes[axes.length - 1].values;
  plot(div, [{ type: 'parcoords', dimensions: dims,
    line: { color, colorscale: 'Viridis', reversescale: metric.goal === 'minimize', showscale: true, colorbar: { title: { text: metric.name } } } }],
  { margin: { t: 70, r: 40, b: 30, l: 60 } });
}

function drawBestSoFar(div, points, metric) {
  const x = points.map(p => p.number);
  plot(div, [
    { x, y: points.map(p => p.value), text: points.map(p => `${p.name} (${p.state})`), name: 'trial', type: 'scatter', mode: 'markers' },
    { x, y: points.map(p => p.best), name: 'best so far', type: 'scatter', mode: 'lines', line: { shape: 'hv' } },
  ], { xaxis: { title: { text: 'trial' } }, yaxis: { title: { text: metric.name } }, showlegend: true });
  // A click on a trial's point opens its run.
  div.on('plotly_click', e => {
    const point = e.points[0];
    if (point && point.curveNumber === 0) location.hash = `#/runs/${encodeURIComponent(points[point.pointIndex].run_id)}`;
  });
}

// A link to the sweeps list beside the home link (plain DOM: app.js, which defines el(), runs after this file).
const sweepsNav = document.createElement('a');
sweepsNav.href = '#/sweeps';
sweepsNav.id = 'sweeps-nav';
sweepsNav.textContent = 'Sweeps';
document.getElementById('home').after(sweepsNav);
