// The dashboard page of `tessera ui`: a hash-routed view over the JSON API (/api/...), with
// metric curves and drift bars drawn by Vega-Lite (served by tessera ui from its compiled-in
// bundles). Every text from the store goes in as textContent, never as markup. The body's
// data-state is "loading", "ready" or "error"; each chart's element gets data-marks (the marks
// drawn) once rendered, which the browser test reads.
'use strict';

(function () {
  const view = document.getElementById('view');
  const problem = document.getElementById('problem');
  let generation = 0;  // a newer navigation makes an older one's results stale

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function link(href, text) { return el('a', { href }, text); }

  async function api(path) {
    const res = await fetch(path, { cache: 'no-store' });
    let body = null;
    try { body = await res.json(); } catch (e) { /* reported below */ }
    if (!res.ok || body === null) {
      throw new Error(body && body.error ? body.error : path + ': HTTP ' + res.status);
    }
    return body;
  }

  function number(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(5)));
  }

  function time(unix) {
    if (!unix) return '–';
    const d = new Date(unix * 1000);
    const pad = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function metricsText(metrics) {
    return Object.entries(metrics || {}).map(([k, v]) => k + '=' + number(v)).join(', ');
  }

  // A table; `headers` null for a key-value table without a header row.
  function table(headers, rows) {
    const head = headers ? el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))) : null;
    return el('table', {}, head,
        el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) =>
            c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c))))));
  }

  function num(v) { return el('td', { class: 'num' }, number(v)); }

  function fields(pairs) {
    return table(null, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
        .map(([k, v]) => [k, v]));
  }

  function aliases(list) {
    return el('span', {}, ...list.map((a) => el('span', { class: 'alias' }, '@' + a)));
  }

  // Draws a Vega-Lite spec as SVG into `container`; marks its data-marks with what was drawn.
  async function draw(container, spec) {
    const result = await vegaEmbed(container, spec, { mode: 'vega-lite', renderer: 'svg', actions: false });
    await result.view.runAsync();
    const marks = container.querySelectorAll(
        'svg g.mark-line path, svg g.mark-symbol path, svg g.mark-rect path, svg g.mark-rule line').length;
    container.dataset.marks = String(marks);
    return marks;
  }

  // --- pages ---------------------------------------------------------------------------------

  async function runsPage() {
    const { runs } = await api('/api/runs');
    view.append(el('h2', {}, 'Runs (' + runs.length + ')'));
    if (runs.length === 0) {
      view.append(el('p', { class: 'note' }, 'No runs yet: tessera train records one per training.'));
      return;
    }
    view.append(table(['run', 'kind', 'status', 'started', 'seconds', 'data', 'final metrics'],
        runs.map((r) => [link('#/runs/' + r.id, r.id.slice(0, 10)), r.kind, r.status, time(r.started),
          num(r.duration_seconds), el('span', { class: 'mono' }, r.data_fingerprint.slice(0, 10)),
          metricsText(r.metrics)])));
  }

  async function runPage(id) {
    const run = await api('/api/runs/' + encodeURIComponent(id));
    const { points } = await api('/api/runs/' + encodeURIComponent(run.id) + '/metrics');
    view.append(el('h2', {}, 'Run ' + run.id));
    view.append(fields([
      ['kind', run.kind], ['status', run.status], ['started', time(run.started)],
      ['duration (s)', number(run.duration_seconds)], ['host', run.host], ['tessera', run.tessera_version],
      ['command', el('code', {}, run.command)], ['data fingerprint', el('span', { class: 'mono' }, run.data_fingerprint)],
      ['parameters', el('code', {}, JSON.stringify(run.params))],
      ['tags', Object.entries(run.tags).map(([k, v]) => k + '=' + v).join(', ')],
      ['final metrics', metricsText(run.metrics)],
      ['artifacts', run.artifacts.map((a) => a.name + ' ' + a.sha256.slice(0, 12) + ' (' + a.size + ' bytes)').join(', ')],
    ]));
    view.append(el('h2', {}, 'Metrics per step'));
    const keys = Object.keys(points);
    if (keys.length === 0) {
      view.append(el('p', { class: 'note' }, 'This run logged no per-step metrics.'));
      return;
    }
    const charts = el('div', { class: 'charts' });
    view.append(charts);
    const drawing = [];
    for (const key of keys) {
      const values = points[key].filter((p) => Number.isFinite(p[1])).map((p) => ({ step: p[0], value: p[1] }));
      const container = el('div', { class: 'chart', id: 'chart-' + key, 'data-metric': key });
      charts.append(container);
      drawing.push(draw(container, {
        title: key, width: 420, height: 200, data: { values },
        mark: { type: 'line', point: values.length <= 60 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 'value', type: 'quantitative', title: key, scale: { zero: false } },
          tooltip: [{ field: 'step', type: 'quantitative' }, { field: 'value', type: 'quantitative' }],
        },
      }));
    }
    await Promise.all(drawing);
  }

  async function modelsPage() {
    const { models } = await api('/api/models');
    view.append(el('h2', {}, 'Registered models (' + models.length + ')'));
    if (models.length === 0) {
      view.append(el('p', { class: 'note' }, 'No models registered: tessera models register NAME --run RUN.'));
      return;
    }
    view.append(table(['model', 'version', 'aliases', 'run', 'created', 'description'],
        models.flatMap((m) => m.versions.map((v) => [
          link('#/models/' + encodeURIComponent(m.name), m.name),
          link('#/models/' + encodeURIComponent(m.name) + '/' + v.version, 'v' + v.version),
          aliases(v.aliases),
          v.run_id ? link('#/runs/' + v.run_id, v.run_id.slice(0, 10)) : '–',
          time(v.created), v.description]))));
  }

  async function modelPage(name) {
    const model = await api('/api/models/' + encodeURIComponent(name));
    view.append(el('h2', {}, 'Model ' + model.name));
    view.append(el('p', {}, 'Aliases: ',
        ...Object.entries(model.aliases).map(([a, v]) => el('span', { class: 'alias' }, '@' + a + ' → v' + v))));
    view.append(table(['version', 'aliases', 'run', 'kind', 'status', 'data', 'final metrics'],
        model.versions.map((v) => [
          link('#/models/' + encodeURIComponent(model.name) + '/' + v.version, 'v' + v.version), aliases(v.aliases),
          v.run ? link('#/runs/' + v.run.id, v.run.id.slice(0, 10)) : (v.run_id ? v.run_id.slice(0, 10) + ' (not in store)' : '–'),
          v.run ? v.run.kind : '', v.run ? v.run.status : '',
          v.run ? el('span', { class: 'mono' }, v.run.data_fingerprint.slice(0, 10)) : '',
          v.run ? metricsText(v.run.metrics) : ''])));
  }

  async function lineagePage(name, version) {
    const l = await api('/api/models/' + encodeURIComponent(name) + '/versions/' + encodeURIComponent(version));
    const v = l.version;
    view.append(el('h2', {}, 'Lineage of ' + l.ref));
    view.append(fields([
      ['model', link('#/models/' + encodeURIComponent(v.name), v.name)], ['version', String(v.version)],
      ['aliases', aliases(v.aliases)], ['artifact (SHA-256)', el('span', { class: 'mono' }, v.artifact)],
      ['registered', time(v.created)], ['description', v.description],
    ]));
    view.append(el('h2', {}, 'Produced by'));
    if (!l.run) {
      view.append(el('p', { class: 'note' }, v.run_id ? 'Run ' + v.run_id + ' is not in this store.'
                                                       : 'No run recorded: the file was registered without tracking.'));
      return;
    }
    const r = l.run;
    view.append(fields([
      ['run', link('#/runs/' + r.id, r.id)], ['kind', r.kind], ['status', r.status], ['started', time(r.started)],
      ['command', el('code', {}, r.command)], ['data fingerprint', el('span', { class: 'mono' }, r.data_fingerprint)],
      ['parameters', el('code', {}, JSON.stringify(r.params))], ['final metrics', metricsText(r.metrics)],
    ]));
    view.append(el('h2', {}, 'Other versions trained on the same data'));
    if (l.same_data.length === 0) view.append(el('p', { class: 'note' }, 'None.'));
    else view.append(el('ul', {}, ...l.same_data.map((ref) => {
      const [, n, ver] = ref.match(/^models:\/(.*)\/(\d+)$/);
      return el('li', {}, link('#/models/' + encodeURIComponent(n) + '/' + ver, ref));
    })));
  }

  async function driftPage() {
    const d = await api('/api/drift');
    view.append(el('h2', {}, 'Drift of the served model'));
    if (!d.configured) {
      view.append(el('p', { class: 'note' }, d.message));
      return;
    }
    const s = d.drift;
    view.append(fields([
      ['server', d.serve_url], ['model', s.model_name + (s.model_version ? ' v' + s.model_version : '')],
      ['artifact', el('span', { class: 'mono' }, s.artifact)],
      ['window', s.rows + ' of the last ' + s.window + ' rows received'],
      ['verdicts', 'drift at PSI ≥ ' + s.thresholds.drift + ', warn at PSI ≥ ' + s.thresholds.warn],
    ]));
    if (!s.enabled) {
      view.append(el('p', { class: 'note' }, 'The model file has no training reference distribution: no drift is measured.'));
      return;
    }
    if (s.rows === 0) {
      view.append(el('p', { class: 'note' }, 'No rows received yet.'));
      return;
    }
    const container = el('div', { class: 'chart', id: 'chart-drift' });
    view.append(container);
    view.append(table(['feature', 'PSI', 'verdict'], s.features.map((f) =>
      [f.name, num(f.psi), el('span', { class: 'verdict-' + f.verdict }, f.verdict)])));
    const values = s.features.map((f) => ({ feature: f.name, psi: f.psi, verdict: f.verdict }));
    await draw(container, {
      title: 'PSI per feature (recent rows against training)', width: 520, height: { step: 18 },
      layer: [
        { data: { values }, mark: 'bar',
          encoding: {
            y: { field: 'feature', type: 'nominal', sort: '-x', title: null },
            x: { field: 'psi', type: 'quantitative', title: 'PSI' },
            color: { field: 'verdict', type: 'nominal',
                     scale: { domain: ['ok', 'warn', 'drift'], range: ['#4a6fa5', '#e8a33d', '#c8372d'] } },
            tooltip: [{ field: 'feature' }, { field: 'psi', type: 'quantitative', format: '.4f' }, { field: 'verdict' }],
          } },
        { data: { values: [{ t: s.thresholds.warn }, { t: s.thresholds.drift }] },
          mark: { type: 'rule', strokeDash: [4, 3], color: '#777' }, encoding: { x: { field: 't', type: 'quantitative' } } },
      ],
    });
  }

  // --- routing -------------------------------------------------------------------------------

  function route(hash) {
    const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'runs' && parts.length === 2 && parts[1]) return () => runPage(parts[1]);
    if (parts[0] === 'models' && parts.length === 2 && parts[1]) return () => modelPage(parts[1]);
    if (parts[0] === 'models' && parts.length === 3) return () => lineagePage(parts[1], parts[2]);
    if (parts[0] === 'models') return modelsPage;
    if (parts[0] === 'drift') return driftPage;
    return runsPage;
  }

  async function show() {
    const mine = ++generation;
    document.body.dataset.state = 'loading';
    problem.hidden = true;
    problem.textContent = '';
    view.replaceChildren();
    try {
      await route(location.hash)();
      if (mine === generation) document.body.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      problem.textContent = e.message;
      problem.hidden = false;
      document.body.dataset.state = 'error';
    }
  }

  window.addEventListener('hashchange', show);
  show();
})();
