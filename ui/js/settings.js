// Settings: the config file as a form. Sections and [[directory]]/[[source]] entries are drawn
// from the data itself, so a new connector's fields appear without new UI code; known fields
// get labels, help and choices. Also: Test lookup (with the explain steps), secrets straight to
// the keyring, contacts import with progress, autostart.
import { call, progressChannel } from './ipc.js';
import { h, fill, showNotice, errorText } from './dom.js';

const SECTION_TITLES = {
  notify: 'Notifications', phone: 'Phone numbers', lookup: 'Lookup', webhook: 'Webhook (local events)',
  directory: 'Directories (asked in this order)', source: 'Call sources',
};
const FIELDS = {
  'notify.pop_on': { label: 'Greet when the call', choices: ['ringing', 'answered', 'manual'] },
  'notify.auto_open': { label: 'Open the profile by itself for known callers' },
  'notify.enabled': { label: 'Show notifications (off = do not disturb at start)' },
  'notify.missed': { label: 'Leave a notification for missed calls' },
  'notify.sticky_vip': { label: 'Keep a VIP’s greeting on screen until the call ends' },
  'phone.default_region': { label: 'Home region (ISO code, e.g. US, DE)' },
  'phone.match_last_digits': { label: 'Match on the last N digits when formats differ' },
  'lookup.budget_ms': { label: 'Lookup budget (ms) before showing “Looking up…”' },
  'lookup.cache_ttl_s': { label: 'Keep a CRM answer for (s)' },
  'lookup.miss_ttl_s': { label: 'Keep a “not found” for (s)' },
  'webhook.enabled': { label: 'Accept events on 127.0.0.1' },
  'webhook.port': { label: 'Port' },
  'webhook.token_secret': { label: 'Keyring entry holding the bearer token' },
  name: { label: 'Name' },
  create_contact_url: { label: 'Create-contact page ({number}, {e164})', type: 'string' },
  enabled: { label: 'Enabled' },
};
const ORDER = ['notify', 'directory', 'source', 'lookup', 'phone', 'webhook'];

let model = null;

const humanize = (key) => key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function initSettings() {
  document.getElementById('settings-form').addEventListener('submit', save);
  document.getElementById('lookup-form').addEventListener('submit', testLookup);
  document.getElementById('secret-form').addEventListener('submit', storeSecret);
  document.getElementById('import-file').addEventListener('change', importFile);
  const autostart = document.getElementById('autostart');
  autostart.addEventListener('change', () => call('autostart_set', { on: autostart.checked })
    .catch((e) => { autostart.checked = !autostart.checked; showNotice(errorText(e)); }));
  const pause = document.getElementById('pause-auto-open');
  pause.addEventListener('change', () => call('set_switch', { name: 'pause_auto_open', on: pause.checked })
    .catch((e) => showNotice(errorText(e))));
}

/** (Re)reads the config file into the form. */
export async function loadSettings() {
  try {
    const file = await call('settings_read');
    document.getElementById('settings-path').textContent = file.path;
    model = file.settings;
    render();
    await refreshSecrets();
  } catch (error) {
    fill(document.getElementById('settings-sections'), h('p', { class: 'error' }, errorText(error)));
  }
  call('autostart_get').then((on) => { document.getElementById('autostart').checked = on; }).catch(() => {});
}

export function showSwitches(status) {
  document.getElementById('pause-auto-open').checked = status.pause_auto_open;
}

function field(path, key, value, set) {
  const spec = FIELDS[path] || FIELDS[key] || {};
  const id = `set-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  const label = spec.label || humanize(key);
  if (typeof value === 'boolean') {
    return h('label', { class: 'field check' },
      h('input', { type: 'checkbox', id, checked: value, onchange: (e) => set(e.target.checked) }), label);
  }
  let input;
  if (spec.choices) {
    input = h('select', { id, onchange: (e) => set(e.target.value) },
      spec.choices.map((c) => h('option', { value: c, selected: c === value }, humanize(c))));
  } else if (typeof value === 'number') {
    input = h('input', { type: 'number', id, value, onchange: (e) => set(Number(e.target.value)) });
  } else {
    input = h('input', { id, value: value ?? '', autocomplete: 'off', spellcheck: 'false',
      onchange: (e) => set(e.target.value.trim() === '' && value === null ? null : e.target.value) });
  }
  return h('label', { class: 'field', for: id }, h('span', { class: 'label' }, label), input);
}

function objectFields(prefix, object) {
  return Object.entries(object).filter(([key]) => key !== 'kind').map(([key, value]) => {
    if (value !== null && typeof value === 'object') return null;
    return field(`${prefix}.${key}`, key, value, (v) => { object[key] = v; });
  });
}

function entries(section, list) {
  const move = (i, by) => { const [item] = list.splice(i, 1); list.splice(i + by, 0, item); render(); };
  const rows = list.map((entry, i) => h('div', { class: 'entry' },
    h('div', { class: 'entry-head' },
      h('strong', {}, `${i + 1}. ${entry.name || entry.kind}`, h('span', { class: 'muted small' }, ` (${entry.kind})`)),
      h('button', { type: 'button', disabled: i === 0, 'aria-label': 'Move up', onclick: () => move(i, -1) }, '↑'),
      h('button', { type: 'button', disabled: i === list.length - 1, 'aria-label': 'Move down', onclick: () => move(i, 1) }, '↓'),
      h('button', { type: 'button', class: 'danger', 'aria-label': 'Remove', onclick: () => { list.splice(i, 1); render(); } }, 'Remove')),
    objectFields(`${section}.${i}`, entry)));
  if (section === 'directory') {
    rows.push(h('button', { type: 'button', class: 'ghost', onclick: () => {
      list.push({ kind: 'local', name: `local-${list.length + 1}`, create_contact_url: null }); render();
    } }, 'Add a local directory'));
    if (!list.length) rows.unshift(h('p', { class: 'help' }, 'None listed: the local contacts are used.'));
  } else if (!list.length) {
    rows.push(h('p', { class: 'help' }, 'Only the webhook. Softphone and PBX sources appear here when configured.'));
  }
  return rows;
}

function render() {
  const keys = [...ORDER.filter((k) => k in model), ...Object.keys(model).filter((k) => !ORDER.includes(k))];
  fill(document.getElementById('settings-sections'), keys.map((key) => {
    const value = model[key];
    const body = Array.isArray(value) ? entries(key, value) : objectFields(key, value);
    return h('fieldset', {}, h('legend', {}, SECTION_TITLES[key] || humanize(key)), body);
  }));
}

async function save(event) {
  event.preventDefault();
  const result = document.getElementById('settings-result');
  const button = document.getElementById('settings-save');
  button.disabled = true;
  result.textContent = 'Saving…';
  try {
    const status = await call('settings_write', { settings: model });
    result.textContent = status.state === 'offline' ? `Saved, but: ${status.cause}` : 'Saved and applied.';
    await loadSettings();
  } catch (error) {
    result.textContent = '';
    showNotice(`Not saved: ${errorText(error)}`);
  } finally {
    button.disabled = false;
  }
}

function stepText(step) {
  const r = step.result;
  const what = {
    hit: () => `found ${r.detail}`, miss: () => 'no match', failed: () => `failed: ${r.detail}`,
    cached_hit: () => `cached: found ${r.detail.count}${r.detail.stale ? ' (stale, refreshing)' : ''}`,
    cached_miss: () => `cached: no match${r.detail.stale ? ' (stale, refreshing)' : ''}`,
  }[r.kind];
  return `${step.directory}: ${what ? what() : r.kind} — ${step.took_ms.toFixed(1)} ms`;
}

async function testLookup(event) {
  event.preventDefault();
  const steps = document.getElementById('lookup-steps');
  const answer = document.getElementById('lookup-answer');
  fill(steps);
  answer.textContent = 'Looking up…';
  try {
    const { number, outcome } = await call('test_lookup', { number: document.getElementById('lookup-number').value });
    fill(steps, outcome.steps.map((s) => h('li', {}, stepText(s))));
    const who = outcome.matches.map((c) => [c.name, c.company, c.note].filter(Boolean).join(' · '));
    answer.textContent = who.length
      ? `${number.display} → ${who.join('; ')} (from ${outcome.directory})`
      : `${number.display} → nobody (${number.e164 || number.digits})`;
  } catch (error) {
    answer.textContent = errorText(error);
  }
}

function secretNames() {
  const names = new Set();
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (/secret$/.test(key) && typeof v === 'string' && v) names.add(v); else walk(v);
      }
    }
  };
  walk(model);
  return [...names];
}

async function refreshSecrets() {
  const status = await call('secret_status', { names: secretNames() });
  fill(document.getElementById('secret-list'), status.map(([name, set]) => h('li', {},
    h('span', {}, name), h('span', { class: set ? 'muted small' : 'error small' }, set ? 'set' : 'not set'),
    h('button', { type: 'button', onclick: () => {
      document.getElementById('secret-name').value = name;
      document.getElementById('secret-value').focus();
    } }, set ? 'Replace' : 'Set'))));
}

async function storeSecret(event) {
  event.preventDefault();
  const name = document.getElementById('secret-name');
  const value = document.getElementById('secret-value');
  try {
    await call('secret_set', { name: name.value.trim(), value: value.value });
    value.value = '';
    await refreshSecrets();
  } catch (error) {
    showNotice(errorText(error));
  }
}

async function importFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  const bar = document.getElementById('import-progress');
  const result = document.getElementById('import-result');
  bar.hidden = false;
  bar.value = 0;
  result.textContent = `Reading ${file.name}…`;
  const progress = progressChannel((p) => {
    bar.max = Math.max(1, p.total);
    bar.value = p.done;
    result.textContent = p.phase === 'reading' ? `Reading ${file.name}…` : `Saving ${p.done} of ${p.total} contacts…`;
  });
  try {
    const report = await call('import_contacts', { file_name: file.name, text: await file.text(), progress });
    const skipped = report.skipped.slice(0, 5).map((s) => h('li', {}, `line ${s.line}: ${s.reason}`));
    fill(result, `Imported ${report.imported} contacts, skipped ${report.skipped.length}.`,
      skipped.length ? h('ul', { class: 'small' }, skipped) : null);
  } catch (error) {
    result.textContent = `Import failed: ${errorText(error)}`;
  } finally {
    bar.hidden = true;
    event.target.value = '';
  }
}
