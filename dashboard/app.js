// SPDX-License-Identifier: Apache-2.0
/* EVE controller dashboard: a client of the admin REST API (/api/v1, the
 * same API evectl uses), nothing else. No framework; the DOM is built with
 * textContent only (API data is never parsed as HTML). */
'use strict';

const API = '/api/v1';
const POLL_MS = 3000;
const PAGE = 50;
const S = {
  token: sessionStorage.getItem('eve.token') || '',
  user: sessionStorage.getItem('eve.user') || '',
  role: sessionStorage.getItem('eve.role') || '',
  session: sessionStorage.getItem('eve.session') === '1', /* a login session (POST /logout ends it) */
  timer: null,     /* the current page's poll */
  streams: [],     /* AbortControllers of open follow streams */
  fleet: { q: '', state: '', label: '', cursors: [''] },
};

/* ------------------------------------------------------------ helpers */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const $ = (id) => document.getElementById(id);
const main = () => $('main');
const canChange = () => S.role !== 'viewer';

/* The message evectl prints for the same answer (cli/api.c, evectl.c). */
class ApiError extends Error {
  constructor(status, msg) {
    super(status === 404 ? `not found: ${msg}` : msg);
    this.status = status;
  }
}

async function apiErr(resp) {
  let msg = `the server answered HTTP ${resp.status}`;
  try {
    const j = await resp.json();
    if (j && typeof j.error === 'string') msg = `${j.error} (HTTP ${resp.status})`;
  } catch (e) { /* not JSON */ }
  return new ApiError(resp.status, msg);
}

async function api(method, path, body) {
  const h = { Authorization: `Bearer ${S.token}` };
  const opt = { method, headers: h };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const resp = await fetch(API + path, opt);
  if (resp.status === 401 && S.role) {
    logout('Your session ended (HTTP 401): sign in again.');
    throw new ApiError(401, 'missing or unknown token (HTTP 401)');
  }
  if (!resp.ok) throw await apiErr(resp);
  if (resp.status === 204) return null;
  const t = await resp.text();
  return t ? JSON.parse(t) : null;
}

function say(msg, ok) {
  const s = $('status');
  s.textContent = msg;
  s.className = ok ? 'status info' : 'status';
  s.hidden = !msg;
}
const fail = (e) => say(e && e.message ? e.message : String(e));

/* Run an action; show the API's refusal verbatim. */
async function act(fn, okMsg) {
  try {
    await fn();
    if (okMsg) say(okMsg, true);
    refresh();
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}

const enc = encodeURIComponent;
function ago(t) {
  if (!t) return 'never';
  const s = Math.round((Date.now() - Date.parse(t)) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return t;
}
function bytes(n) {
  if (n === null || n === undefined || isNaN(n)) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  n = Number(n);
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
const stateEl = (s) => el('span', { class: `state state-${s}`, text: s || '-' });
const labelsEl = (l) => Object.entries(l || {}).map(([k, v]) => el('span', { class: 'label', text: `${k}=${v}` }));
function table(cols, rows, empty) {
  if (!rows.length) return el('p', { class: 'muted', text: empty || 'Nothing yet.' });
  return el('div', { class: 'tablewrap' }, el('table', {},
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', class: c.cls, text: c.h })))),
    el('tbody', {}, rows.map((r) => el('tr', {}, cols.map((c) => el('td', { class: c.cls }, c.f(r))))))));
}
function field(label, input, cls) {
  return el('label', { class: cls }, label, input);
}
function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter((p) => p[1] !== undefined).flatMap(([k, v]) =>
    [el('dt', { text: k }), el('dd', {}, v === null || v === '' ? '-' : v)]));
}
function formData(form) {
  const o = {};
  for (const [k, v] of new FormData(form).entries()) o[k] = typeof v === 'string' ? v.trim() : v;
  return o;
}
function btn(text, fn, cls, label) {
  return el('button', { type: 'button', class: cls, 'aria-label': label, onclick: fn, text });
}

/* ------------------------------------------------------------ session */

function logout(msg) {
  if (S.token && S.session) fetch(`${API}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${S.token}` } }).catch(() => {});
  S.token = S.user = S.role = '';
  S.session = false;
  sessionStorage.clear();
  stopLive();
  showLogin();
  if (msg) say(msg);
}

/* whoami decides the role; 404 (no roles on this controller) = an admin token. */
async function identify() {
  const resp = await fetch(`${API}/whoami`, { headers: { Authorization: `Bearer ${S.token}` } });
  if (resp.status === 404) {
    await api('GET', '/status'); /* the token must work */
    S.role = 'admin';
    S.user = S.user || 'token';
  } else if (!resp.ok) {
    throw await apiErr(resp);
  } else {
    const w = await resp.json();
    S.role = w.role || 'viewer';
    S.user = w.user || S.user || 'token';
  }
  sessionStorage.setItem('eve.token', S.token);
  sessionStorage.setItem('eve.user', S.user);
  sessionStorage.setItem('eve.role', S.role);
}

function showLogin() {
  $('nav').hidden = $('who').hidden = $('logout').hidden = true;
  const m = main();
  m.replaceChildren();
  const pw = el('form', { id: 'login-password', 'aria-labelledby': 'lp-h' },
    el('h2', { id: 'lp-h', text: 'Sign in with a user' }),
    field('User', el('input', { name: 'user', id: 'login-user', autocomplete: 'username', required: true })),
    field('Password', el('input', { name: 'password', id: 'login-pass', type: 'password', autocomplete: 'current-password', required: true })),
    el('button', { type: 'submit', text: 'Sign in' }));
  const tk = el('form', { id: 'login-token', 'aria-labelledby': 'lt-h' },
    el('h2', { id: 'lt-h', text: 'Or with an API token' }),
    field('Token', el('input', { name: 'token', id: 'login-tok', type: 'password', autocomplete: 'off', required: true })),
    el('button', { type: 'submit', text: 'Use token' }));
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = formData(pw);
    try {
      const resp = await fetch(`${API}/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: f.user, password: f.password }) });
      if (resp.status === 404) throw new ApiError(0, 'this controller has no user logins yet: use an API token');
      if (!resp.ok) throw await apiErr(resp);
      const j = await resp.json();
      S.token = j.token; S.user = j.user || f.user; S.role = j.role || '';
      S.session = true;
      sessionStorage.setItem('eve.session', '1');
      await identify();
      start();
    } catch (e) { fail(e); }
  });
  tk.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    S.token = formData(tk).token;
    S.user = '';
    try {
      await identify();
      start();
    } catch (e) { S.token = ''; fail(e); }
  });
  m.append(el('h1', { text: 'Sign in' }), el('div', { class: 'login' }, pw, tk));
  $('login-user').focus();
}

function start() {
  say('');
  $('nav').hidden = $('who').hidden = $('logout').hidden = false;
  $('who').textContent = `${S.user} (${S.role})`;
  document.body.dataset.role = S.role;
  fetch(`${API}/audit?limit=1`, { headers: { Authorization: `Bearer ${S.token}` } })
    .then((r) => { $('nav-audit').hidden = r.status !== 200; }).catch(() => {});
  if (!location.hash || location.hash === '#/') location.hash = '#/fleet';
  else route();
}

/* ------------------------------------------------------------ routing, live updates */

let current = null; /* {render} of the shown page */

function stopLive() {
  clearInterval(S.timer);
  S.timer = null;
  for (const c of S.streams) c.abort();
  S.streams = [];
}

function refresh() {
  if (!current || !current.update) return;
  current.update().catch((e) => {
    fail(e);
    if (e.status === 403 || e.status === 404) clearInterval(S.timer); /* polling will not help */
  });
}

function route() {
  if (!S.token) return showLogin();
  stopLive();
  say('');
  const parts = location.hash.replace(/^#\//, '').split('/').map(decodeURIComponent);
  const pages = { fleet: pageFleet, device: pageDevice, apps: pageApps, app: pageApp, images: pageImages,
    networks: pageNetworks, rollouts: pageRollouts, audit: pageAudit, console: pageConsole, vnc: pageVnc };
  const fn = pages[parts[0]] || pageFleet;
  for (const a of document.querySelectorAll('#nav a')) {
    const on = a.dataset.page === parts[0] || (parts[0] === 'device' && a.dataset.page === 'fleet') ||
      (['app', 'console', 'vnc'].includes(parts[0]) && a.dataset.page === 'apps');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  main().replaceChildren();
  current = fn(main(), parts.slice(1));
  refresh();
  if (current && current.update) S.timer = setInterval(refresh, POLL_MS);
}

/* Follow an NDJSON log stream (…/logs?follow=1): the last lines first, then
 * live lines as the controller stores them. */
function followLogs(box, path, appName) {
  const ctl = new AbortController();
  S.streams.push(ctl);
  const add = (it) => {
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    const src = [appName ? appName(it.app) : '', it.source].filter(Boolean).join(' ');
    box.append(el('div', { class: 'line', text: `${it.time} ${src} ${it.severity || ''}: ${it.msg}` }));
    while (box.childNodes.length > 1000) box.firstChild.remove();
    if (atEnd) box.scrollTop = box.scrollHeight;
  };
  (async () => {
    const tail = await api('GET', `${path}?limit=50`);
    const items = (tail.items || []).slice().sort((a, b) => a.id - b.id);
    items.forEach(add);
    const after = items.length ? `&after=${items[items.length - 1].id}` : '';
    const resp = await fetch(`${API}${path}?follow=1${after}`, { headers: { Authorization: `Bearer ${S.token}` }, signal: ctl.signal });
    if (!resp.ok) throw await apiErr(resp);
    const rd = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await rd.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) add(JSON.parse(line));
      }
    }
  })().catch((e) => { if (e.name !== 'AbortError') box.append(el('div', { class: 'line', text: `[stream ended: ${e.message}]` })); });
}

/* ------------------------------------------------------------ charts */

/* A line chart of [t, v] points (and an optional second series) as SVG. */
function chart(title, series, fmt) {
  const W = 300, H = 90;
  const all = series.flat();
  const fig = el('figure', { class: 'chart' });
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  let last = '-';
  if (all.length > 1) {
    const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
    const vmax = Math.max(...all.map((p) => p[1]), 1e-9);
    series.forEach((s, i) => {
      const pl = document.createElementNS(ns, 'polyline');
      pl.setAttribute('points', s.map((p) => `${((p[0] - t0) / Math.max(t1 - t0, 1) * W).toFixed(1)},${(H - 2 - p[1] / vmax * (H - 6)).toFixed(1)}`).join(' '));
      if (i) pl.setAttribute('class', 'second');
      svg.append(pl);
    });
    last = series.map((s) => (s.length ? fmt(s[s.length - 1][1]) : '-')).join(' / ');
  }
  svg.setAttribute('aria-label', `${title}: latest ${last}`);
  fig.append(svg, el('figcaption', { text: `${title}: ${last}` }));
  return fig;
}

function num(v) { return typeof v === 'string' ? Number(v) : (v || 0); }
function netSum(dm, k) { return (dm.network || []).filter((n) => n.iName !== 'lo').reduce((a, n) => a + num(n[k]), 0); }
function cpuNs(c) { return c ? (num(c.total_ns) || num(c.total) * 1e9) : 0; }

function metricCharts(items, ncpu) {
  const pts = items.slice().sort((a, b) => a.id - b.id).map((m) => ({ t: Date.parse(m.time) / 1000, dm: (m.metrics || {}).dm || {} }));
  const cpu = [], mem = [], disk = [], rx = [], tx = [];
  pts.forEach((p, i) => {
    const m = p.dm.memory || {};
    mem.push([p.t, num(m.usedMem)]);
    const d = (p.dm.disk || [])[0] || {};
    disk.push([p.t, num(d.used)]);
    if (i) {
      const q = pts[i - 1], dt = p.t - q.t;
      if (dt > 0) {
        const c = (cpuNs(p.dm.cpuMetric) - cpuNs(q.dm.cpuMetric)) / 1e9 / dt / (ncpu || 1) * 100;
        if (c >= 0) cpu.push([p.t, c]);
        const r = (netSum(p.dm, 'rxBytes') - netSum(q.dm, 'rxBytes')) / dt, x = (netSum(p.dm, 'txBytes') - netSum(q.dm, 'txBytes')) / dt;
        if (r >= 0) rx.push([p.t, r]);
        if (x >= 0) tx.push([p.t, x]);
      }
    }
  });
  return el('div', { class: 'charts', id: 'charts' },
    chart('CPU %', [cpu], (v) => `${v.toFixed(1)} %`),
    chart('Memory used', [mem], (v) => `${v.toFixed(0)} MiB`),
    chart('Disk used', [disk], (v) => `${v.toFixed(0)} MiB`),
    chart('Network rx / tx', [rx, tx], (v) => `${bytes(v)}/s`));
}

/* ------------------------------------------------------------ fleet */

function pageFleet(m) {
  const F = S.fleet;
  const list = el('div', { id: 'fleet-list' });
  const pager = el('div', { class: 'pager' });
  const q = el('input', { id: 'fleet-q', type: 'search', value: F.q, placeholder: 'name, serial or label' });
  const st = el('select', { id: 'fleet-state' }, ['', 'online', 'offline', 'never'].map((s) => el('option', { value: s, text: s || 'any', selected: s === F.state })));
  const lb = el('input', { id: 'fleet-label', value: F.label, placeholder: 'key=value' });
  const form = el('form', { class: 'toolbar', role: 'search' },
    field('Search', q), field('State', st), field('Label', lb), el('button', { type: 'submit', text: 'Filter' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Object.assign(F, { q: q.value.trim(), state: st.value, label: lb.value.trim(), cursors: [''] });
    refresh();
  });
  m.append(el('h1', { text: 'Fleet' }), form, list, pager);
  const cols = [
    { h: 'Device', f: (d) => el('a', { href: `#/device/${enc(d.id)}`, text: d.name || d.id }) },
    { h: 'State', f: (d) => stateEl(d.state) },
    { h: 'Last seen', f: (d) => ago(d.last_seen) },
    { h: 'OS', f: (d) => d.os_version || '-', cls: 'hide-narrow' },
    { h: 'Update', f: (d) => (d.os_update && d.os_update.state) || '-', cls: 'hide-narrow' },
    { h: 'Apps', f: (d) => `${d.apps_running}/${d.apps_total}` },
    { h: 'Labels', f: (d) => labelsEl(d.labels), cls: 'hide-narrow' },
    { h: 'Attestation', f: (d) => (d.attestation || '-').replace('ATTESTATION_STATE_', ''), cls: 'hide-narrow' },
  ];
  return {
    update: async () => {
      const p = new URLSearchParams({ limit: PAGE });
      if (F.q) p.set('q', F.q);
      if (F.state) p.set('state', F.state);
      if (F.label) p.set('label', F.label);
      const cur = F.cursors[F.cursors.length - 1];
      if (cur) p.set('after', cur);
      const j = await api('GET', `/devices?${p}`);
      list.replaceChildren(table(cols, j.items, 'No device matches.'));
      /* bench/dashboard measures the time to this first render */
      if (!performance.getEntriesByName('eve-fleet').length) performance.mark('eve-fleet');
      const total = j.total !== undefined ? ` of ${j.total}` : '';
      pager.replaceChildren(
        btn('Previous page', () => { F.cursors.pop(); refresh(); }, 'secondary'),
        el('span', { text: `page ${F.cursors.length}: ${j.items.length} devices${total}` }),
        btn('Next page', () => { F.cursors.push(j.next); refresh(); }, 'secondary'));
      pager.firstChild.disabled = F.cursors.length < 2;
      pager.lastChild.disabled = !j.next;
    },
  };
}

/* ------------------------------------------------------------ device */

function pageDevice(m, [id]) {
  const head = el('h1', { text: 'Device' });
  const info = el('section', { 'aria-label': 'Device information' });
  const hw = el('section', { 'aria-label': 'Hardware' });
  const charts = el('section', { 'aria-label': 'Metrics' });
  const apps = el('section', { 'aria-label': 'Apps on the device' });
  const logs = el('div', { class: 'logs', id: 'device-logs', tabindex: 0, role: 'log', 'aria-label': 'Device logs, live' });
  const actions = el('div', { class: 'actions' });
  m.append(head, actions, info, el('h2', { text: 'Hardware and partitions' }), hw,
    el('h2', { text: 'Metrics' }), charts, el('h2', { text: 'Apps' }), apps, el('h2', { text: 'Logs (live)' }), logs);
  let ncpu = 1;
  const appNames = {}; /* instance / app id -> app name, for the log lines */
  if (canChange()) {
    actions.append(btn('Reboot', () => {
      if (confirm('Reboot this device? Its apps stop until it is back.')) act(() => api('POST', `/devices/${enc(id)}/reboot`), 'reboot requested');
    }, 'danger'));
  }
  followLogs(logs, `/devices/${enc(id)}/logs`, (a) => (a ? appNames[a] || a : ''));
  return {
    update: async () => {
      const d = await api('GET', `/devices/${enc(id)}`);
      head.textContent = `Device ${d.name}`;
      const os = d.os_update || {};
      info.replaceChildren(kv([['Name', d.name], ['ID', d.id], ['Serial', d.serial], ['State', stateEl(d.state)],
        ['Last seen', ago(d.last_seen)], ['OS version', d.os_version], ['OS update', [os.state, os.requested_version, os.error].filter(Boolean).join(' ') || '-'],
        ['Config version', String(d.config_version)], ['Labels', el('span', {}, labelsEl(d.labels))],
        ['Attestation', ((d.info || {}).attestation_info || {}).state || '-']]));
      for (const a of d.apps || []) appNames[a.id] = appNames[a.app_id] = a.app;
      const di = (d.info && (d.info.dinfo || d.info)) || {};
      ncpu = num(di.ncpu) || 1;
      const parts = (di.swList || []).map((p) => `${p.partitionLabel || '?'}: ${p.shortVersion || '-'} ${p.status || ''} ${p.activated ? '(active)' : ''}`);
      hw.replaceChildren(kv([['Machine', [di.manufacturer, di.productName].filter(Boolean).join(' ') || '-'],
        ['Architecture', di.machineArch || di.cpuArch || '-'], ['CPUs', String(di.ncpu || '-')],
        ['Memory', di.memory ? `${di.memory} MiB` : '-'], ['Storage', di.storage ? `${di.storage} MiB` : '-'],
        ['Partitions', parts.length ? el('span', {}, parts.map((p) => el('div', { text: p }))) : '-']]));
      const met = await api('GET', `/devices/${enc(id)}/metrics?limit=60`);
      charts.replaceChildren(metricCharts(met.items || [], ncpu));
      apps.replaceChildren(table([
        { h: 'App', f: (a) => el('a', { href: `#/app/${enc(a.app)}`, text: a.app }) },
        { h: 'State', f: (a) => stateEl(a.state) },
        { h: 'IPs', f: (a) => (a.ips || []).join(', ') || '-' },
        { h: 'Error', f: (a) => a.error || '' },
      ], d.apps || [], 'No app on this device.'));
    },
  };
}

/* ------------------------------------------------------------ apps */

function appActions(name, inst) {
  if (!canChange()) return '';
  const verbs = ['start', 'stop', 'restart', 'purge'];
  return el('span', { class: 'actions' },
    verbs.map((v) => btn(v, () => act(() => api('POST', `/apps/${enc(name)}/${v}`), `${v} sent to app ${name}`), 'secondary', `${v} ${name}`)),
    btn('delete', () => { if (confirm(`Delete app ${name}?`)) act(() => api('DELETE', `/apps/${enc(name)}`), `app ${name} deleted`); }, 'danger', `delete ${name}`));
}

function parseLines(text, sep, what) {
  const o = {};
  for (const line of (text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean)) {
    const i = line.indexOf(sep);
    if (i < 1) throw new ApiError(0, `${what}: "${line}" is not KEY${sep}VALUE`);
    o[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return o;
}

function deployForm(images) {
  const img = el('select', { name: 'image', id: 'deploy-image', required: true },
    images.map((i) => el('option', { value: i.name, text: `${i.name} (${i.format}${i.state === 'pending' ? ', not uploaded' : ''})` })));
  const f = el('form', { class: 'grid', id: 'deploy-form', 'aria-labelledby': 'deploy-h' },
    field('Name', el('input', { name: 'name', id: 'deploy-name', required: true, pattern: '[A-Za-z0-9._\\-]+' })),
    field('Image', img),
    field('Device (name or id)', el('input', { name: 'device', id: 'deploy-device', list: 'device-names' })),
    field('or selector (k=v, …)', el('input', { name: 'selector', id: 'deploy-selector' })),
    field('CPUs', el('input', { name: 'cpus', type: 'number', min: 1, value: 1 })),
    field('Memory (MiB)', el('input', { name: 'memory_mb', id: 'deploy-memory', type: 'number', min: 1, value: 256 })),
    field('Disk (MiB, 0 = image size)', el('input', { name: 'disk_mb', type: 'number', min: 0, value: 0 })),
    field('Networks (comma separated)', el('input', { name: 'networks', id: 'deploy-networks' })),
    field('Ports (host:app, …)', el('input', { name: 'ports', id: 'deploy-ports', placeholder: '8080:80' })),
    field('Volumes (name:/mount, …; VM disks: name)', el('input', { name: 'volumes', id: 'deploy-volumes', placeholder: 'data:/data' })),
    field('Environment (KEY=VALUE per line)', el('textarea', { name: 'env', id: 'deploy-env', rows: 3 }), 'wide'),
    el('details', { class: 'wide' }, el('summary', { text: 'VM options' }),
      field('Kernel (path in the image)', el('input', { name: 'kernel' })),
      field('Ramdisk', el('input', { name: 'ramdisk' })),
      field('Kernel command line', el('input', { name: 'cmdline' })),
      field('VNC console', el('input', { name: 'vnc', type: 'checkbox' })),
      field('Firmware (bios or uefi)', el('input', { name: 'boot', id: 'deploy-boot', pattern: 'bios|uefi' })),
      field('Pin vCPUs to host CPUs (e.g. 0,1)', el('input', { name: 'cpus_pinned', id: 'deploy-cpus-pinned' })),
      field('Cloud-init user data', el('textarea', { name: 'user_data', rows: 3 }))),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'deploy-submit', text: 'Deploy' })));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = formData(f);
    act(async () => {
      const spec = { name: d.name, image: d.image, cpus: Number(d.cpus) || 1, memory_mb: Number(d.memory_mb) || 256 };
      if (Number(d.disk_mb)) spec.disk_mb = Number(d.disk_mb);
      if (d.device) spec.device = d.device;
      if (d.selector) spec.selector = parseLines(d.selector, '=', 'selector');
      if (d.networks) spec.networks = d.networks.split(',').map((s) => s.trim()).filter(Boolean);
      if (d.ports) spec.ports = Object.entries(parseLines(d.ports, ':', 'ports')).map(([h, a]) => ({ host: Number(h), app: Number(a) }));
      if (d.volumes) {
        spec.volumes = d.volumes.split(',').map((s) => s.trim()).filter(Boolean).map((v) => {
          const i = v.indexOf(':');
          return i < 0 ? { name: v } : { name: v.slice(0, i).trim(), mount: v.slice(i + 1).trim() };
        });
      }
      if (d.env) spec.env = parseLines(d.env.replace(/,/g, '\n'), '=', 'env');
      for (const k of ['kernel', 'ramdisk', 'cmdline', 'user_data', 'boot', 'cpus_pinned']) if (d[k]) spec[k] = d[k];
      if (d.vnc) spec.vnc = true;
      await api('POST', '/apps', spec);
      f.reset();
    }, `app ${d.name} deployed`);
  });
  return f;
}

function pageApps(m) {
  const list = el('div', { id: 'apps-list' });
  const formBox = el('section', { id: 'deploy' });
  m.append(el('h1', { text: 'Apps' }), list);
  if (canChange()) {
    m.append(el('h2', { id: 'deploy-h', text: 'Deploy an app (container or VM)' }), formBox,
      el('datalist', { id: 'device-names' }));
    Promise.all([api('GET', '/images'), api('GET', '/devices?limit=200')]).then(([im, dv]) => {
      formBox.replaceChildren(deployForm(im.items || []));
      $('device-names').replaceChildren(...(dv.items || []).map((d) => el('option', { value: d.name })));
    }).catch(fail);
  }
  return {
    update: async () => {
      const j = await api('GET', '/apps');
      list.replaceChildren(table([
        { h: 'App', f: (a) => el('a', { href: `#/app/${enc(a.name)}`, text: a.name }) },
        { h: 'Image', f: (a) => a.image, cls: 'hide-narrow' },
        { h: 'Instances', f: (a) => (a.instances || []).map((i) => el('div', {}, `${i.device_name}: `, stateEl(i.state), i.error ? ` ${i.error}` : '')) },
        { h: 'Actions', f: (a) => appActions(a.name) },
      ], j.items || [], 'No app deployed.'));
    },
  };
}

function pageApp(m, [name]) {
  const head = el('h1', { text: `App ${name}` });
  const info = el('section', { 'aria-label': 'App' });
  const inst = el('section', { 'aria-label': 'Instances' });
  const logs = el('div', { class: 'logs', id: 'app-logs', tabindex: 0, role: 'log', 'aria-label': 'Console and logs, live' });
  const remote = canChange() ? el('p', { class: 'actions' },
    el('a', { href: `#/console/${enc(name)}`, id: 'open-console', text: 'Open the serial console' }), ' ',
    el('a', { href: `#/vnc/${enc(name)}`, id: 'open-vnc', text: 'Open the VNC display' })) : '';
  m.append(head, el('div', { id: 'app-actions' }, appActions(name)), remote, info, el('h2', { text: 'Instances' }), inst,
    el('h2', { text: 'Console and logs (live)' }), logs);
  followLogs(logs, `/apps/${enc(name)}/logs`, () => '');
  return {
    update: async () => {
      const a = await api('GET', `/apps/${enc(name)}`);
      info.replaceChildren(kv([['Image', a.image], ['Target', a.device ? ((a.instances || [])[0] || {}).device_name || a.device : el('span', {}, labelsEl(a.selector))], ['Activate', String(a.activate)],
        ['CPUs', String(a.cpus)], ['Memory', `${a.memory_mb} MiB`], ['Networks', (a.networks || []).join(', ')],
        ['Ports', (a.ports || []).map((p) => `${p.host}:${p.app}`).join(', ')],
        ['Environment', Object.entries(a.env || {}).map(([k, v]) => `${k}=${v}`).join(' ')], ['Version', String(a.version)]]));
      inst.replaceChildren(table([
        { h: 'Device', f: (i) => el('a', { href: `#/device/${enc(i.device)}`, text: i.device_name }) },
        { h: 'State', f: (i) => el('span', { id: `state-${i.device_name}` }, stateEl(i.state)) },
        { h: 'Download', f: (i) => (i.download && i.download.state ? `${i.download.state} ${i.download.progress || 0} %` : '-'), cls: 'hide-narrow' },
        { h: 'IPs', f: (i) => (i.ips || []).join(', ') || '-' },
        { h: 'Error', f: (i) => i.error || '' },
        { h: 'Updated', f: (i) => ago(i.updated), cls: 'hide-narrow' },
      ], a.instances || [], 'No instance yet.'));
    },
  };
}

/* ------------------------------------------------------------ remote consoles */

/* A console session of kind on app, and a WebSocket to it: the session
 * (POST .../console-sessions), a one-time ticket (browsers cannot send a
 * token on a WebSocket), then wss://<this origin>/edgeview/v1/ws/<ticket>.
 * The first text frame is "OK" (the device's side is up) or "ERR why";
 * then binary frames both ways (docs/console.md). Leaving the page ends
 * the session. */
async function openRemote(app, kind, status) {
  status.textContent = `Opening a ${kind} session…`;
  const sess = await api('POST', `/apps/${enc(app)}/console-sessions`, { kind });
  const end = () => api('DELETE', `/console-sessions/${enc(sess.id)}`).catch(() => {});
  const tk = await api('POST', `/console-sessions/${enc(sess.id)}/ticket`);
  const ws = new WebSocket(`wss://${location.host}${tk.url}`, ['binary']);
  ws.binaryType = 'arraybuffer';
  S.streams.push({ abort: () => { ws.close(); end(); } });
  status.textContent = `Session ${sess.id}: waiting for the device…`;
  return { ws, sess, end };
}

/* Load a classic script (the xterm.js bundle) once. */
function loadScript(src) {
  return new Promise((ok, ko) => {
    if (document.querySelector(`script[src="${src}"]`) && window.Terminal) return ok();
    const s = el('script', { src });
    s.addEventListener('load', () => ok());
    s.addEventListener('error', () => ko(new Error(`${src}: not served (install node-xterm and libjs-xterm)`)));
    document.head.append(s);
  });
}

function pageConsole(m, [name]) {
  const status = el('p', { id: 'console-status', role: 'status', 'aria-live': 'polite' });
  const box = el('div', { id: 'terminal', class: 'terminal', 'aria-label': `Serial console of ${name}` });
  m.append(el('h1', { text: `Console of ${name}` }),
    el('p', {}, el('a', { href: `#/app/${enc(name)}`, text: `Back to app ${name}` }),
      ' (leaving this page ends the session)'), status, box);
  if (!document.querySelector('link[href="/ui/vendor/xterm/xterm.css"]'))
    document.head.append(el('link', { rel: 'stylesheet', href: '/ui/vendor/xterm/xterm.css' }));
  (async () => {
    await loadScript('/ui/vendor/xterm/xterm.js');
    const term = new window.Terminal({ cols: 100, rows: 30, cursorBlink: true });
    term.open(box);
    window.eveTranscript = '';
    const { ws, sess } = await openRemote(name, 'console', status);
    const dec = new TextDecoder(), encd = new TextEncoder();
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') {
        status.textContent = e.data === 'OK' ? `Connected (session ${sess.id}): type into the console.` : e.data;
        if (e.data === 'OK') term.focus();
        return;
      }
      const t = dec.decode(new Uint8Array(e.data), { stream: true });
      term.write(t);
      window.eveTranscript = (window.eveTranscript + t).slice(-65536); /* what the console printed */
    });
    ws.addEventListener('close', () => { status.textContent = `Session ${sess.id} ended.`; });
    term.on('data', (d) => { if (ws.readyState === WebSocket.OPEN) ws.send(encd.encode(d)); });
    window.eveTerm = term; /* for the browser test and the curious */
  })().catch(fail);
  return null;
}

function pageVnc(m, [name]) {
  const status = el('p', { id: 'vnc-status', role: 'status', 'aria-live': 'polite' });
  const screen = el('div', { id: 'vnc-screen', class: 'vnc', 'aria-label': `VNC display of ${name}` });
  m.append(el('h1', { text: `VNC display of ${name}` }),
    el('p', {}, el('a', { href: `#/app/${enc(name)}`, text: `Back to app ${name}` }),
      ' (leaving this page ends the session)'), status, screen);
  (async () => {
    /* noVNC takes the WebSocket once the device's side is up */
    const { default: RFB } = await import('/ui/vendor/novnc/core/rfb.js');
    const { ws, sess } = await openRemote(name, 'vnc', status);
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') return;
      if (e.data !== 'OK') { status.textContent = e.data; return; }
      status.textContent = `Connected (session ${sess.id}).`;
      const rfb = new RFB(screen, ws);
      rfb.scaleViewport = true;
      rfb.addEventListener('connect', () => { status.textContent = `VNC connected (session ${sess.id}).`; screen.dataset.connected = '1'; });
      rfb.addEventListener('disconnect', () => { status.textContent = `Session ${sess.id} ended.`; });
    }, { once: true });
  })().catch(fail);
  return null;
}

/* ------------------------------------------------------------ images */

/* SHA-256, incremental (FIPS 180-4): the upload hashes a file slice by
 * slice instead of holding it in memory. */
const SHA_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

class Sha256 {
  constructor() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.buf = new Uint8Array(64);
    this.n = 0;
    this.len = 0;
    this.w = new Uint32Array(64);
  }

  block(p, o) {
    const w = this.w, H = this.h;
    for (let t = 0; t < 16; t++) w[t] = (p[o + 4 * t] << 24) | (p[o + 4 * t + 1] << 16) | (p[o + 4 * t + 2] << 8) | p[o + 4 * t + 3];
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15], b = w[t - 2];
      w[t] = w[t - 16] + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[t - 7] + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA_K[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }

  update(data) {
    let i = 0;
    this.len += data.length;
    if (this.n) {
      i = Math.min(64 - this.n, data.length);
      this.buf.set(data.subarray(0, i), this.n);
      this.n += i;
      if (this.n < 64) return;
      this.block(this.buf, 0);
      this.n = 0;
    }
    for (; i + 64 <= data.length; i += 64) this.block(data, i);
    this.buf.set(data.subarray(i), 0);
    this.n = data.length - i;
  }

  hex() {
    const bits = this.len * 8, b = this.buf;
    b[this.n++] = 0x80;
    if (this.n > 56) { b.fill(0, this.n); this.block(b, 0); this.n = 0; }
    b.fill(0, this.n, 56);
    const hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    for (let i = 0; i < 4; i++) { b[56 + i] = (hi >>> (24 - 8 * i)) & 255; b[60 + i] = (lo >>> (24 - 8 * i)) & 255; }
    this.block(b, 0);
    return [...this.h].map((x) => x.toString(16).padStart(8, '0')).join('');
  }
}

/* SHA-256 of a file, read in 4 MiB slices (the progress bar shows it). */
async function sha256File(file, prog, label) {
  const s = new Sha256(), CH = 4 << 20;
  prog.max = Math.max(file.size, 1);
  for (let off = 0; off < file.size; off += CH) {
    s.update(new Uint8Array(await file.slice(off, off + CH).arrayBuffer()));
    prog.value = Math.min(off + CH, file.size);
    label.textContent = `hashing ${Math.floor(prog.value * 100 / prog.max)} %`;
  }
  return s.hex();
}

function upload(name, file, prog, label) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', `${API}/images/${enc(name)}/data`);
    x.setRequestHeader('Authorization', `Bearer ${S.token}`);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      prog.max = e.total;
      prog.value = e.loaded;
      label.textContent = `${bytes(e.loaded)} of ${bytes(e.total)} (${Math.floor(e.loaded * 100 / e.total)} %)`;
    };
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) return resolve();
      let msg = `the server answered HTTP ${x.status}`;
      try { msg = `${JSON.parse(x.responseText).error} (HTTP ${x.status})`; } catch (e) { /* keep */ }
      reject(new ApiError(x.status, msg));
    };
    x.onerror = () => reject(new ApiError(0, 'upload failed: connection error'));
    x.send(file);
  });
}

function pageImages(m) {
  const list = el('div', { id: 'images-list' });
  m.append(el('h1', { text: 'Images' }), list);
  if (canChange()) {
    const prog = el('progress', { id: 'upload-progress', max: 1, value: 0, 'aria-label': 'Upload progress' });
    const plabel = el('span', { id: 'upload-label', 'aria-live': 'polite' });
    const f = el('form', { class: 'grid', id: 'upload-form', 'aria-labelledby': 'upload-h' },
      field('File', el('input', { type: 'file', name: 'file', id: 'upload-file', required: true })),
      field('Name', el('input', { name: 'name', id: 'upload-name', required: true })),
      field('Format', el('select', { name: 'format', id: 'upload-format' }, ['oci', 'raw', 'qcow2', 'iso', 'baseos'].map((v) => el('option', { value: v, text: v })))),
      field('Version (base OS images)', el('input', { name: 'version' })),
      el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'upload-submit', text: 'Upload' }), prog, plabel));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const d = formData(f);
      const file = $('upload-file').files[0];
      act(async () => {
        const sha = await sha256File(file, prog, plabel);
        prog.value = 0;
        const spec = { name: d.name, format: d.format, sha256: sha, size: file.size };
        if (d.version) spec.version = d.version;
        await api('POST', '/images', spec);
        await upload(d.name, file, prog, plabel);
        plabel.textContent += ' done';
        f.reset();
      }, `image ${d.name} uploaded`);
    });
    m.append(el('h2', { id: 'upload-h', text: 'Upload an image' }), f);
  }
  return {
    update: async () => {
      const j = await api('GET', '/images');
      list.replaceChildren(table([
        { h: 'Name', f: (i) => i.name }, { h: 'Format', f: (i) => i.format }, { h: 'State', f: (i) => stateEl(i.state) },
        { h: 'Size', f: (i) => bytes(i.size) }, { h: 'SHA-256', f: (i) => (i.sha256 || '').slice(0, 12), cls: 'hide-narrow' },
        { h: 'Created', f: (i) => i.created || '-', cls: 'hide-narrow' },
        { h: 'Actions', f: (i) => (canChange() ? btn('delete', () => { if (confirm(`Delete image ${i.name}?`)) act(() => api('DELETE', `/images/${enc(i.name)}`), `image ${i.name} deleted`); }, 'danger', `delete ${i.name}`) : '') },
      ], j.items || [], 'No image.'));
    },
  };
}

/* ------------------------------------------------------------ networks */

function pageNetworks(m) {
  const list = el('div', { id: 'networks-list' });
  m.append(el('h1', { text: 'Networks' }), list);
  if (canChange()) {
    const f = el('form', { class: 'grid', id: 'network-form', 'aria-labelledby': 'net-h' },
      field('Name', el('input', { name: 'name', required: true })),
      field('Device', el('input', { name: 'device', required: true })),
      field('Type', el('select', { name: 'type' }, el('option', { value: 'local', text: 'local (NAT)' }), el('option', { value: 'switch', text: 'switch' }))),
      field('Subnet', el('input', { name: 'subnet', placeholder: '10.1.0.0/24' })),
      field('Port', el('input', { name: 'port', placeholder: 'eth0' })),
      el('div', { class: 'actions' }, el('button', { type: 'submit', text: 'Create' })));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const d = formData(f);
      const spec = {};
      for (const k of ['name', 'device', 'type', 'subnet', 'port']) if (d[k]) spec[k] = d[k];
      act(async () => { await api('POST', '/networks', spec); f.reset(); }, `network ${d.name} created`);
    });
    m.append(el('h2', { id: 'net-h', text: 'Create a network instance' }), f);
  }
  return {
    update: async () => {
      const [j, dv] = await Promise.all([api('GET', '/networks'), api('GET', '/devices?limit=1000')]);
      const names = Object.fromEntries((dv.items || []).map((d) => [d.id, d.name]));
      list.replaceChildren(table([
        { h: 'Name', f: (n) => n.name }, { h: 'Device', f: (n) => names[n.device] || n.device },
        { h: 'Type', f: (n) => n.type }, { h: 'Subnet', f: (n) => n.subnet || '-' }, { h: 'Port', f: (n) => n.port || '-', cls: 'hide-narrow' },
        { h: 'State', f: (n) => (n.info && (n.info.state || n.info.activated)) ? String(n.info.state || 'activated') : '-' },
        { h: 'Actions', f: (n) => (canChange() ? btn('delete', () => { if (confirm(`Delete network ${n.name}?`)) act(() => api('DELETE', `/networks/${enc(n.id)}`), `network ${n.name} deleted`); }, 'danger', `delete ${n.name}`) : '') },
      ], j.items || [], 'No network instance.'));
    },
  };
}

/* ------------------------------------------------------------ rollouts */

function pageRollouts(m) {
  const list = el('div', { id: 'rollouts-list' });
  m.append(el('h1', { text: 'Rollouts' }), list,
    el('p', { class: 'muted', text: 'Create rollouts with evectl rollout create (docs/rollouts.md).' }));
  return {
    update: async () => {
      const j = await api('GET', '/rollouts');
      list.replaceChildren(table([
        { h: 'Name', f: (r) => r.name }, { h: 'Kind', f: (r) => r.kind }, { h: 'Target', f: (r) => r.app || r.image || '-' },
        { h: 'State', f: (r) => el('span', {}, stateEl(r.state), r.reason ? ` ${r.reason}` : '') },
        { h: 'Phase', f: (r) => `${r.phase}/${r.nphases}` },
        { h: 'Devices', f: (r) => { const c = r.devices_count || {}; return `${c.healthy || 0} healthy, ${c.updating || 0} updating, ${c.failed || 0} failed of ${c.total || 0}`; } },
        { h: 'Actions', f: (r) => (canChange() ? el('span', { class: 'actions' }, ['pause', 'resume', 'abort', 'rollback'].map((v) =>
          btn(v, () => act(() => api('POST', `/rollouts/${enc(r.name)}/${v}`), `${v}: ${r.name}`), 'secondary', `${v} ${r.name}`))) : '') },
      ], j.items || [], 'No rollout.'));
    },
  };
}

/* ------------------------------------------------------------ audit (with users and roles) */

function pageAudit(m) {
  const list = el('div', { id: 'audit-list' });
  m.append(el('h1', { text: 'Audit' }), list);
  return {
    update: async () => {
      const j = await api('GET', '/audit?limit=100');
      const items = j.items || [];
      const keys = items.length ? Object.keys(items[0]).filter((k) => typeof items[0][k] !== 'object') : [];
      list.replaceChildren(table(keys.map((k) => ({ h: k, f: (r) => String(r[k] ?? '') })), items, 'No audit record.'));
    },
  };
}

/* ------------------------------------------------------------ start */

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  $('logout').addEventListener('click', () => logout(''));
  if (S.token && S.role) start();
  else showLogin();
});
