// Settings: typed forms over the config file — the general sections, one form per
// [[source]] and [[directory]] kind (schema.js) — each switched on or off (`enabled`),
// moved, removed — and the rules (rules.js). Every field's
// problem from the core's check shows next to it; nothing is written while any is left.
// Secrets are write-only and go straight to the keyring. Also: Test connection per source,
// Test lookup, contacts import with progress, autostart, "Run setup again".
import { call, progressChannel } from './ipc.js';
import { h, fill, showNotice, errorText } from './dom.js';
import { SECTIONS, SOURCE_KINDS, DIRECTORY_KINDS, PRESETS, fieldsOf } from './schema.js';
import { field, advanced, errorSlot, showProblems } from './forms.js';
import { rulesSection } from './rules.js';
import { setManager } from './card.js';

let model = null;
let ctx = null;
let checkTimer = null;
let onRunSetup = () => {};

const $ = (id) => document.getElementById(id);

export function initSettings({ runSetup }) {
  onRunSetup = runSetup;
  $('settings-form').addEventListener('submit', save);
  $('lookup-form').addEventListener('submit', testLookup);
  $('import-file').addEventListener('change', importFile);
  $('run-setup').addEventListener('click', () => onRunSetup());
  const autostart = $('autostart');
  autostart.addEventListener('change', () => call('autostart_set', { on: autostart.checked })
    .catch((e) => { autostart.checked = !autostart.checked; showNotice(errorText(e)); }));
  const pause = $('pause-auto-open');
  pause.addEventListener('change', () => call('set_switch', { name: 'pause_auto_open', on: pause.checked })
    .catch((e) => showNotice(errorText(e))));
}

/** (Re)reads the config file into the form. */
export async function loadSettings() {
  try {
    const file = await call('settings_read');
    $('settings-path').textContent = file.path;
    model = file.settings;
    setManager(model.rules && model.rules.manager);
    ctx = {
      locked: new Set((model.policy && model.policy.locked) || []),
      secretSet: new Map(), pending: new Map(),
      secretName: (entry) => `${entry.name || entry.preset || entry.kind}-${entry.kind === 'http' ? 'token' : 'password'}`,
      changed: (path) => { if (path.endsWith('.preset')) render(); scheduleCheck(); },
    };
    render();
    await refreshSecrets();
    showProblems($('settings-sections'), file.problems);
  } catch (error) {
    fill($('settings-sections'), h('p', { class: 'error' }, errorText(error)));
  }
  call('autostart_get').then((on) => { $('autostart').checked = on; }).catch(() => {});
}

export function showSwitches(status) {
  $('pause-auto-open').checked = status.pause_auto_open;
}

/** The fields of one object: the basic ones, then the advanced ones folded. */
export function fieldsFor(obj, specs, prefix) {
  const node = (spec) => field(obj, spec, `${prefix}.${spec.key}`, ctx);
  return [specs.filter((s) => !s.advanced).map(node), advanced(specs.filter((s) => s.advanced).map(node))];
}

function entryTitle(kinds, entry) {
  const spec = kinds[entry.kind];
  const preset = entry.kind === 'http' && PRESETS[entry.preset] ? PRESETS[entry.preset].title : null;
  return `${entry.name || preset || (spec ? spec.title : entry.kind)}`;
}

function entryList(section, list, kinds, extra) {
  const move = (i, by) => { const [item] = list.splice(i, 1); list.splice(i + by, 0, item); render(); scheduleCheck(); };
  return list.map((entry, i) => {
    const prefix = `${section}.${i}`;
    const on = entry.enabled !== false;
    return h('div', { class: on ? 'entry' : 'entry off', id: `entry-${section}-${i}` },
      h('div', { class: 'entry-head' },
        h('strong', {}, `${i + 1}. ${entryTitle(kinds, entry)}`, on ? null : h('span', { class: 'muted small' }, ' (off)')),
        h('label', { class: 'toggle', title: 'Off: kept in the file, not used' },
          h('input', { type: 'checkbox', id: `enabled-${section}-${i}`, checked: on, disabled: ctx.locked.has(section),
            onchange: (e) => {
              // `enabled = false` in the file; on is the default, so the key goes.
              if (e.target.checked) delete entry.enabled; else entry.enabled = false;
              render(); scheduleCheck();
              const again = $(`enabled-${section}-${i}`);
              if (again) again.focus();
            } }), ' Enabled'),
        h('button', { type: 'button', disabled: i === 0, 'aria-label': `Move ${entryTitle(kinds, entry)} up`, onclick: () => move(i, -1) }, '↑'),
        h('button', { type: 'button', disabled: i === list.length - 1, 'aria-label': `Move ${entryTitle(kinds, entry)} down`, onclick: () => move(i, 1) }, '↓'),
        h('button', { type: 'button', class: 'danger', onclick: () => { list.splice(i, 1); render(); scheduleCheck(); } }, 'Remove')),
      errorSlot(prefix),
      fieldsFor(entry, fieldsOf(kinds, entry), prefix),
      extra ? extra(entry, i) : null);
  });
}

export function testConnectionButton(entry, i) {
  const result = h('p', { class: 'small', id: `test-source-${i}-result`, role: 'status' });
  return h('div', { class: 'row' },
    h('button', { type: 'button', id: `test-source-${i}`, onclick: async (e) => {
      e.currentTarget.disabled = true;
      result.textContent = 'Connecting…';
      try {
        const probe = await call('test_connection', { source: entry });
        result.textContent = probe.message;
        result.className = probe.ok ? 'small ok' : 'small error';
      } catch (error) {
        result.textContent = errorText(error);
        result.className = 'small error';
      } finally { e.target.disabled = false; }
    } }, 'Test connection'), result);
}

/** **Connect** (OAuth sign-in in the browser) for a saved CRM entry that signs in. */
function connectButton(entry, i) {
  if (entry.kind !== 'http' || !(entry.oauth || (PRESETS[entry.preset] && PRESETS[entry.preset].oauth))) return null;
  const result = h('p', { class: 'small', id: `connect-directory-${i}-result`, role: 'status' });
  const name = entry.name || entry.preset;
  return h('div', { class: 'row' },
    h('button', { type: 'button', id: `connect-directory-${i}`, onclick: async (e) => {
      e.currentTarget.disabled = true;
      result.textContent = 'Sign in in your browser (save first if you just added this CRM)…';
      try {
        const c = await call('connect', { directory: name });
        result.textContent = `Connected: the tokens are in the keyring (“${c.entry}”)${c.refresh_token ? '' : '; you will have to sign in again when they expire'}.`;
      } catch (error) { result.textContent = errorText(error); } finally { e.target.disabled = false; }
    } }, 'Connect'), result);
}

function addPicker(label, options, add) {
  const select = h('select', { 'aria-label': label },
    h('option', { value: '' }, label), options.map(([value, text]) => h('option', { value }, text)));
  select.addEventListener('change', () => { if (select.value) { add(select.value); select.value = ''; } });
  return h('div', { class: 'row' }, select);
}

/** Rebuilds the form from the model (the settings view's own). */
function render() {
  if (!$('view-settings') || $('view-settings').hidden) return;
  model.source = model.source || [];
  model.directory = model.directory || [];
  const general = SECTIONS.map(([key, title, specs]) => h('fieldset', { id: `section-${key}` },
    h('legend', {}, title), errorSlot(key), fieldsFor(model[key], specs, key)));
  const sources = h('fieldset', { id: 'section-source' }, h('legend', {}, 'Where calls come from'),
    model.source.length ? null : h('p', { class: 'help' }, 'Only the local webhook (softphone hooks, `screenpop event`).'),
    entryList('source', model.source, SOURCE_KINDS, testConnectionButton),
    addPicker('Add a call source…', Object.entries(SOURCE_KINDS).map(([k, s]) => [k, s.title]),
      (kind) => { model.source.push(SOURCE_KINDS[kind].blank()); render(); }));
  const directories = h('fieldset', { id: 'section-directory' }, h('legend', {}, 'Who the callers are (asked in this order)'),
    model.directory.length ? null : h('p', { class: 'help' }, 'None listed: the local contacts are used.'),
    entryList('directory', model.directory, DIRECTORY_KINDS, connectButton),
    addPicker('Add a directory or CRM…', [
      ...Object.entries(PRESETS).map(([k, p]) => [`http:${k}`, p.title]),
      ['http:', 'Any JSON API'], ['ldap', 'LDAP'], ['carddav', 'CardDAV'], ['local', 'Local contacts'],
    ], (choice) => {
      const [kind, preset] = choice.split(':');
      model.directory.push(kind === 'http' ? DIRECTORY_KINDS.http.blank(preset) : DIRECTORY_KINDS[kind].blank());
      if (kind === 'http' && !preset) { delete model.directory[model.directory.length - 1].preset; }
      render();
    }));
  fill($('settings-sections'), general[0], sources, directories, rulesSection(model, ctx, fieldsFor), general.slice(1));
}

/** The settings being edited and the field context (setup edits the same draft). */
export function draft() { return { model, ctx }; }

/** Clears the settings form (setup draws the same fields; ids must stay unique). */
export function unrender() { fill($('settings-sections')); }

/** Re-renders the form (after a change that alters which fields exist, like a preset). */
export function rerender() { render(); }

function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(async () => {
    try { showProblems($('settings-sections'), await call('config_check', { settings: model })); } catch { /* shown on save */ }
  }, 250);
}

async function refreshSecrets() {
  const names = new Set();
  for (const entry of [...model.source, ...model.directory]) if (typeof entry.secret === 'string' && entry.secret) names.add(entry.secret);
  for (const [name, set] of await call('secret_status', { names: [...names] })) ctx.secretSet.set(name, set);
  render();
}

/** Writes the form: checked first (nothing written while a field is wrong), secrets to the keyring, then the file. */
export async function saveModel(result, root = $('settings-sections')) {
  const problems = await call('config_check', { settings: model });
  const left = showProblems(root, problems);
  if (problems.length) {
    result.textContent = `Not saved: ${problems.length} field${problems.length > 1 ? 's' : ''} to fix${left.length ? ` (${left.map((p) => `${p.field}: ${p.message}`).join('; ')})` : ''}.`;
    return false;
  }
  for (const [name, value] of ctx.pending) {
    await call('secret_set', { name, value });
    ctx.secretSet.set(name, true);
    // Write-only: the typed value leaves the page once it is in the keyring.
    document.querySelectorAll('[data-secret]').forEach((state) => {
      if (state.dataset.secret !== name) return;
      state.textContent = 'stored in the keyring';
      state.className = 'muted small';
      const input = document.getElementById(state.id.slice('state-'.length));
      if (input) { input.value = ''; input.placeholder = '•••••• (type to replace)'; }
    });
  }
  ctx.pending.clear();
  try {
    const status = await call('settings_write', { settings: model });
    result.textContent = status.state === 'offline' ? `Saved, but: ${status.cause}` : 'Saved and applied.';
    setManager(model.rules && model.rules.manager);
    return true;
  } catch (error) {
    if (error.fields) showProblems(root, error.fields);
    result.textContent = `Not saved: ${errorText(error)}`;
    return false;
  }
}

async function save(event) {
  event.preventDefault();
  const result = $('settings-result');
  const button = $('settings-save');
  button.disabled = true;
  result.textContent = 'Saving…';
  try {
    if (await saveModel(result)) await loadSettings();
  } catch (error) {
    result.textContent = `Not saved: ${errorText(error)}`;
  } finally {
    button.disabled = false;
  }
}

/** "bob: found Lisa — 3.1 ms" */
export function stepText(step) {
  const r = step.result;
  const what = {
    hit: () => `found ${r.detail}`, miss: () => 'no match', failed: () => `failed: ${r.detail}`,
    cached_hit: () => `cached: found ${r.detail.count}${r.detail.stale ? ' (stale, refreshing)' : ''}`,
    cached_miss: () => `cached: no match${r.detail.stale ? ' (stale, refreshing)' : ''}`,
  }[r.kind];
  return `${step.directory}: ${what ? what() : r.kind} — ${step.took_ms.toFixed(1)} ms`;
}

/** Looks `number` up; fills `steps` (a list) and `answer`. */
export async function lookupInto(number, steps, answer) {
  fill(steps);
  answer.textContent = 'Looking up…';
  try {
    const { number: n, outcome } = await call('test_lookup', { number });
    fill(steps, outcome.steps.map((s) => h('li', {}, stepText(s))));
    const who = outcome.matches.map((c) => [c.name, c.company, c.note].filter(Boolean).join(' · '));
    answer.textContent = who.length ? `${n.display} → ${who.join('; ')} (from ${outcome.directory})` : `${n.display} → nobody (${n.e164 || n.digits})`;
  } catch (error) {
    answer.textContent = errorText(error);
  }
}

function testLookup(event) {
  event.preventDefault();
  lookupInto($('lookup-number').value, $('lookup-steps'), $('lookup-answer'));
}

/** Imports the picked file with progress; lists the bad rows with their line numbers. */
export async function importInto(file, bar, result) {
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
    const shown = report.skipped.slice(0, 20).map((s) => h('li', {}, `line ${s.line}: ${s.reason}`));
    const more = report.skipped.length > shown.length ? h('li', {}, `… and ${report.skipped.length - shown.length} more`) : null;
    fill(result, `Imported ${report.imported} contacts, skipped ${report.skipped.length}.`,
      shown.length ? h('ul', { class: 'small bad-rows' }, shown, more) : null);
  } catch (error) {
    result.textContent = `Import failed: ${errorText(error)}`;
  } finally {
    bar.hidden = true;
  }
}

async function importFile(event) {
  const file = event.target.files[0];
  if (file) await importInto(file, $('import-progress'), $('import-result'));
  event.target.value = '';
}
