// Courseware tracking UI: model registry pages (#/models, #/models/<name>, #/models/<name>/versions/<n>).
// Loaded before app.js, whose helpers (el, api, table, kvTable, setCrumbs, fmtTime, pairs, view) it calls at run time.
// Every user string reaches the page as a text node; the model card's Markdown is parsed here into DOM nodes, never HTML.
'use strict';

const REGISTRY_EXTRA = '/api/2.0/courseware/registry/';

function modelHref(name) { return `#/models/${encodeURIComponent(name)}`; }

function versionHref(name, version) { return `${modelHref(name)}/versions/${encodeURIComponent(version)}`; }

// Routed from app.js: parts after 'models'.
async function showRegistry(parts) {
  if (parts.length === 0) await showModels();
  else if (parts.length === 1) await showModel(parts[0]);
  else if (parts.length === 3 && parts[1] === 'versions') await showVersion(parts[0], parts[2]);
  else view.replaceChildren(el('p', {}, 'Unknown page.'));
}

// ---------------------------------------------------------------- models list

async function showModels() {
  setCrumbs(['Models']);
  const params = hashParams();
  const filter = params.get('filter') || '';
  const token = params.get('page') || '';
  const args = { max_results: 100 };
  if (filter) args.filter = filter;
  if (token) args.page_token = token;
  const input = el('input', { id: 'model-filter', type: 'search', value: filter, placeholder: "name LIKE 'pen%' AND tags.team = 'birds'" });
  const go = () => { location.hash = '#/models' + (input.value ? '?filter=' + encodeURIComponent(input.value) : ''); };
  input.addEventListener('keydown', e => { if (e.key === 'Enter') go(); });
  const results = el('div', { id: 'models-results' });
  view.replaceChildren(el('h1', {}, 'Registered models'), el('div', { className: 'toolbar' }, input, el('button', { onclick: go }, 'Search')), results);
  let body;
  try {
    body = await api('GET', 'registered-models/search', args);
  } catch (e) {
    showError(results, e);
    return;
  }
  const models = body.registered_models || [];
  const rows = models.map(m => el('tr', {},
    el('td', {}, el('a', { href: modelHref(m.name), className: 'model-link' }, m.name)),
    el('td', { className: 'num' }, Math.max(0, ...(m.latest_versions || []).map(v => Number(v.version))) || ''),
    el('td', {}, (m.aliases || []).map(a => `${a.alias} → v${a.version}`).join(', ')),
    el('td', {}, (m.tags || []).map(t => `${t.key}=${t.value}`).join(', ')),
    el('td', {}, m.description || ''),
    el('td', {}, fmtTime(m.last_updated_timestamp))));
  results.replaceChildren(
    models.length === 0 ? el('p', { className: 'muted', id: 'no-models' }, 'No registered models.') :
      table(['name', 'latest', 'aliases', 'tags', 'description', 'updated (UTC)'], rows, { id: 'models-table' }),
    body.next_page_token ? el('a', { id: 'models-next', href: '#/models?' + new URLSearchParams({ ...(filter ? { filter } : {}), page: body.next_page_token }) }, 'Next page') : null);
}

// ---------------------------------------------------------------- one model

async function showModel(name) {
  setCrumbs(['Models', '#/models'], [name]);
  const [model, versions, log] = await Promise.all([
    api('GET', 'registered-models/get', { name }),
    api('GET', 'model-versions/list', { name }, REGISTRY_EXTRA),
    api('GET', 'registered-models/audit-log', { name }, REGISTRY_EXTRA)]);
  const m = model.registered_model;
  const aliases = (m.aliases || []).map(a => el('tr', {}, el('td', {}, a.alias), el('td', {}, el('a', { href: versionHref(name, a.version) }, `v${a.version}`))));
  const versionRows = (versions.model_versions || []).map(v => el('tr', { 'data-version': v.version },
    el('td', {}, el('a', { href: versionHref(name, v.version), className: 'version-link' }, `v${v.version}`)),
    el('td', {}, (v.aliases || []).join(', ')),
    el('td', {}, v.courseware ? v.courseware.flavor : ''),
    el('td', {}, v.status),
    el('td', {}, v.run_id ? el('a', { href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id) : ''),
    el('td', {}, fmtTime(v.creation_timestamp)),
    el('td', {}, v.description || '')));
  view.replaceChildren(
    el('h1', { id: 'model-name' }, m.name),
    el('p', { id: 'model-description' }, m.description || ''),
    el('h2', {}, 'Aliases'),
    aliases.length === 0 ? el('p', { className: 'muted', id: 'aliases' }, 'none') : table(['alias', 'version'], aliases, { id: 'aliases' }),
    el('h2', {}, 'Versions'),
    versionRows.length === 0 ? el('p', { className: 'muted' }, 'none') :
      table(['version', 'aliases', 'flavour', 'status', 'run', 'created (UTC)', 'description'], versionRows, { id: 'versions-table' }),
    el('h2', {}, 'Tags'), kvTable(pairs(m.tags), 'model-tags'),
    el('h2', {}, 'Audit log'), auditTable(log.entries || [], 'audit-log'));
}

function auditTable(entries, id) {
  if (entries.length === 0) return el('p', { className: 'muted', id }, 'none');
  return table(['#', 'time (UTC)', 'action', 'alias', 'from', 'to', 'by', 'reason'], entries.map(e => el('tr', {},
    el('td', { className: 'num' }, e.sequence), el('td', {}, fmtTime(e.time)), el('td', {}, e.action), el('td', {}, e.alias || ''),
    el('td', {}, e.old_version ? `v${e.old_version}` : ''), el('td', {}, e.new_version ? `v${e.new_version}` : ''),
    el('td', {}, e.actor), el('td', {}, e.reason))), { id });
}

// ---------------------------------------------------------------- one version

async function showVersion(name, version) {
  setCrumbs(['Models', '#/models'], [name, modelHref(name)], [`v${version}`]);
  const [got, card, log] = await Promise.all([
    api('GET', 'model-versions/get', { name, version }),
    api('GET', 'model-versions/model-card', { name, version }, REGISTRY_EXTRA),
    api('GET', 'registered-models/audit-log', { name }, REGISTRY_EXTRA)]);
  const v = got.model_version;
  const extra = v.courseware || {};
  const lineage = extra.lineage || {};
  const signature = extra.signature || { inputs: [], outputs: [] };
  const spec = s => `${s.name}: ${s.type}${s.shape ? '[' + s.shape.join(', ') + ']' : ''}`;
  const infoRows = [['source', v.source], ['status', v.status], ['flavour', extra.flavor], ['aliases', (v.aliases || []).join(', ')],
    ['inputs', signature.inputs.map(spec).join('; ')], ['outputs', signature.outputs.map(spec).join('; ')],
    ['created (UTC)', fmtTime(v.creation_timestamp)], ['description', v.description || '']]
    .map(([k, val]) => el('tr', {}, el('th', {}, k), el('td', {}, val)));
  const runCell = lineage.runId ? el('a', { href: `#/runs/${encodeURIComponent(lineage.runId)}`, id: 'lineage-run' }, lineage.runId) : '(none)';
  const datasets = lineage.datasets || [];
  // As LineageView: entries that moved an alias (AuditEntry.IsAliasChange) to or from this version.
  const changes = (log.entries || []).filter(e => ['set_alias', 'delete_alias', 'promote', 'rollback'].includes(e.action)
    && (String(e.new_version) === String(version) || String(e.old_version) === String(version)));
  view.replaceChildren(
    el('h1', { id: 'version-title' }, `${name} v${version}`),
    table([], infoRows, { id: 'version-info' }),
    el('h2', {}, 'Tags'), kvTable(pairs(v.tags), 'version-tags'),
    el('h2', {}, 'Lineage'),
    el('div', { id: 'lineage' },
      el('h3', {}, '1. Data'),
      datasets.length === 0 ? el('p', { className: 'muted' }, 'no data sets recorded') :
        table(['data set', 'SHA-256', 'path'], datasets.map(d => el('tr', {}, el('td', {}, d.name), el('td', { className: 'hash' }, d.sha256), el('td', {}, d.path))), { id: 'datasets' }),
      el('h3', {}, '2. Run'),
      table(['run', 'experiment', 'code commit'], [el('tr', {}, el('td', {}, runCell), el('td', {}, lineage.experimentId || ''), el('td', {}, lineage.codeCommit || '(not recorded)'))]),
      kvTable(new Map(Object.entries(lineage.params || {})), 'lineage-params'),
      kvTable(new Map(Object.entries(lineage.metrics || {}).map(([k, x]) => [k, fmtValue(x)])), 'lineage-metrics'),
      el('h3', {}, '3. Alias changes'), auditTable(changes, 'alias-changes')),
    el('h2', {}, 'Model card'),
    card.markdown ? el('div', { id: 'model-card', className: 'card' }, renderMarkdown(card.markdown)) : el('p', { className: 'muted', id: 'model-card' }, 'No model card saved for this version.'));
}

// ---------------------------------------------------------------- Markdown → DOM

// Headings, paragraphs, pipe tables, lists, fenced code, **bold**, *emphasis*, `code` and http(s) links; anything
// else stays literal text. The result is built from el() and text nodes only.
function renderMarkdown(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i++; continue; }
    let m;
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      blocks.push(el('h' + Math.min(6, m[1].length + 2), {}, inline(m[2])));
      i++;
    } else if (/^```/.test(line)) {
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      i++;
      blocks.push(el('pre', {}, el('code', {}, code.join('\n'))));
    } else if (/^\s*\|/.test(line)) {
      const rows = [];
      for (; i < lines.length && /^\s*\|/.test(lines[i]); i++) rows.push(lines[i]);
      blocks.push(markdownTable(rows));
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items = [];
      for (; i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]); i++) items.push(el('li', {}, inline(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ''))));
      blocks.push(el(ordered ? 'ol' : 'ul', {}, items));
    } else {
      const para = [];
      for (; i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|```|\s*\||\s*([-*]|\d+\.)\s)/.test(lines[i]); i++) para.push(lines[i]);
      blocks.push(el('p', {}, inline(para.join(' '))));
    }
  }
  return blocks;
}

function markdownTable(rows) {
  const cells = r => r.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map(c => c.trim());
  const body = rows.slice(1).filter(r => !/^\s*\|[\s:|-]+\|?\s*$/.test(r));
  return el('table', {}, el('thead', {}, el('tr', {}, cells(rows[0]).map(c => el('th', {}, inline(c))))),
    el('tbody', {}, body.map(r => el('tr', {}, cells(r).map(c => el('td', {}, inline(c)))))));
}

function inline(text) {
  const out = [];
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  let m;
  while ((m = pattern.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    if (m[1]) out.push(el('code', {}, t.slice(1, -1)));
    else if (m[2]) out.push(el('strong', {}, t.slice(2, -2)));
    else if (m[3]) out.push(el('em', {}, t.slice(1, -1)));
    else {
      const [, label, url] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(t);
      // Only web links become anchors: javascript:, data: and the like stay text.
      out.push(/^https?:\/\//i.test(url) ? el('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, label) : t);
    }
    last = pattern.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
