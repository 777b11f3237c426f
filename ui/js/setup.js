// First-run setup: three skippable steps on the same settings draft as the Settings page —
// where calls come from (a typed source form with Test connection, or the exact hook line
// for a softphone that runs a command), who the callers are (import, demo contacts, a CRM
// from its preset with the token straight to the keyring, Test lookup), and Try it (a test
// call that pops the real notification). Nothing is written until a step saves.
// Setup edits the entry of the kind picked if the settings have one (run twice, or Back and
// Next again, it never adds a second), preselects what was picked, and takes back an entry
// it added when the agent picks something else.
import { call } from './ipc.js';
import { h, fill, errorText } from './dom.js';
import { SOURCE_KINDS, DIRECTORY_KINDS, PRESETS, fieldsOf } from './schema.js';
import { loadSettings, draft, fieldsFor, saveModel, testConnectionButton, lookupInto, importInto } from './settings.js';

const $ = (id) => document.getElementById(id);
let step = 0;
let onDone = () => {};
// The entries this visit of a step added to the draft (taken back if another is picked).
let added = [];

/** The index in `list` of the first entry `same` accepts, or of `entry` added at the end. */
function place(list, entry, same) {
  const found = list.findIndex(same);
  if (found >= 0) return found;
  list.push(entry);
  added.push(entry);
  return list.length - 1;
}

/** Removes from `list` what this visit added. */
function takeBack(list) {
  for (const entry of added) {
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }
  added = [];
}

const HOOKS = [
  ['MicroSIP (Settings → cmdIncomingCall; it adds the number)', 'screenpop event ringing --from'],
  ['Zoiper (Run on incoming call; use its number/name placeholders)', 'screenpop event ringing --from "%NUMBER%" --name "%NAME%"'],
  ['Linphone or any softphone with a call script', 'screenpop event ringing --from "$NUMBER" --name "$NAME" --call-id "$CALL_ID"'],
  ['Asterisk dialplan', 'same => n,System(screenpop event ringing --from "${CALLERID(num)}" --name "${CALLERID(name)}" --call-id "${UNIQUEID}")'],
];

export function initSetup({ done }) {
  onDone = done;
  $('setup-back').addEventListener('click', () => go(step - 1));
  $('setup-next').addEventListener('click', () => next());
  $('setup-skip').addEventListener('click', () => go(step + 1));
}

/** Starts setup at step 1 with the current settings as the draft. */
export async function startSetup() {
  await loadSettings();
  go(0);
}

function go(n) {
  if (n > 2) { onDone(); return; }
  step = Math.max(0, n);
  added = [];
  $('setup-back').hidden = step === 0;
  $('setup-next').textContent = step === 2 ? 'Finish' : 'Save and continue';
  document.querySelectorAll('#setup-steps li').forEach((li, i) => li.setAttribute('aria-current', i === step ? 'step' : 'false'));
  $('setup-result').textContent = '';
  fill($('setup-body'), [sourceStep, callerStep, tryStep][step]());
  const first = $('setup-body').querySelector('input, select, button');
  if (first) first.focus();
}

async function next() {
  const result = $('setup-result');
  if (step < 2) {
    result.textContent = 'Saving…';
    if (!(await saveModel(result, $('setup-body')))) return;
    await loadSettings();
  }
  go(step + 1);
}

function sourceStep() {
  const { model } = draft();
  const body = h('div', { id: 'setup-source-form' });
  const choose = (kind) => {
    takeBack(model.source);
    if (kind === 'hook') {
      fill(body, h('p', { class: 'help' }, 'Put this line in your softphone’s “run a command on incoming call” setting:'),
        HOOKS.map(([where, line]) => h('div', { class: 'hook' }, h('p', { class: 'small' }, where),
          h('div', { class: 'row' }, h('code', {}, line),
            h('button', { type: 'button', onclick: (e) => navigator.clipboard.writeText(line)
              .then(() => { e.target.textContent = 'Copied'; }, () => { e.target.textContent = 'Select and copy'; }) }, 'Copy')))));
      return;
    }
    const i = place(model.source, SOURCE_KINDS[kind].blank(), (s) => s.kind === kind);
    const entry = model.source[i];
    fill(body, h('p', { class: 'help' }, SOURCE_KINDS[kind].blurb), fieldsFor(entry, fieldsOf(SOURCE_KINDS, entry), `source.${i}`),
      testConnectionButton(entry, i));
  };
  // What the settings already have is what is picked (setup run again, or Back).
  const had = model.source.find((s) => SOURCE_KINDS[s.kind]);
  const choices = [...Object.entries(SOURCE_KINDS).map(([k, s]) => [k, s.title]), ['hook', 'My softphone can run a command']];
  const group = h('div', { class: 'choices', role: 'radiogroup', 'aria-label': 'Call source' }, choices.map(([k, title]) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'setup-source', value: k, id: `setup-source-${k}`, checked: had && had.kind === k, onchange: () => choose(k) }), ` ${title}`)));
  if (had) choose(had.kind);
  return [h('h2', {}, 'Where do your calls come from?'), group, body];
}

function callerStep() {
  const { model } = draft();
  const crm = h('div', { id: 'setup-crm-form' });
  const bar = h('progress', { id: 'setup-import-progress', max: 1, value: 0, hidden: true });
  const imported = h('div', { id: 'setup-import-result', class: 'small', role: 'status' });
  const file = h('input', { type: 'file', id: 'setup-import-file', accept: '.csv,.vcf,.vcard,text/csv,text/vcard',
    onchange: async (e) => { if (e.target.files[0]) await importInto(e.target.files[0], bar, imported); e.target.value = ''; } });
  const demo = h('button', { type: 'button', id: 'setup-demo', onclick: async () => {
    try { const r = await call('load_demo_contacts'); imported.textContent = `Loaded ${r.imported} demo contacts (try 555-1234).`; } catch (error) { imported.textContent = errorText(error); }
  } }, 'Load the demo contacts');
  const pick = (choice) => {
    takeBack(model.directory);
    if (!choice) { fill(crm); return; }
    const [kind, preset] = choice.split(':');
    const blank = kind === 'http' ? DIRECTORY_KINDS.http.blank(preset) : DIRECTORY_KINDS[kind].blank();
    if (kind === 'http' && !preset) delete blank.preset;
    // A CRM new to the list comes after the local contacts (added first if missing).
    const same = (d) => choiceOf(d) === choice;
    if (!model.directory.some(same)) place(model.directory, { kind: 'local' }, (d) => d.kind === 'local');
    const i = place(model.directory, blank, same);
    const entry = model.directory[i];
    const specs = fieldsOf(DIRECTORY_KINDS, entry).filter((s) => !s.advanced && s.key !== 'preset');
    const number = h('input', { id: 'setup-lookup-number', type: 'tel', placeholder: 'A customer’s number', 'aria-label': 'Number to look up' });
    const steps = h('ol', { class: 'steps', id: 'setup-lookup-steps' });
    const answer = h('p', { class: 'small', id: 'setup-lookup-answer', role: 'status' });
    const test = h('button', { type: 'button', id: 'setup-test-lookup', onclick: async () => {
      answer.textContent = 'Saving…';
      if (!(await saveModel(answer, $('setup-body')))) return;
      await lookupInto(number.value, steps, answer);
    } }, 'Save and test lookup');
    fill(crm, fieldsFor(entry, specs, `directory.${i}`), h('div', { class: 'row' }, h('label', { class: 'grow' }, number), test), steps, answer);
  };
  const crms = [['', 'No CRM'], ...Object.entries(PRESETS).map(([k, p]) => [`http:${k}`, p.title]),
    ['ldap', 'LDAP'], ['carddav', 'CardDAV'], ['http:', 'Any JSON API']];
  const had = model.directory.map(choiceOf).find((c) => c && crms.some(([v]) => v === c));
  const select = h('select', { id: 'setup-crm', onchange: (e) => pick(e.target.value) },
    crms.map(([v, t]) => h('option', { value: v, selected: v === had }, t)));
  if (had) pick(had);
  return [h('h2', {}, 'Who are your callers?'),
    h('div', { class: 'panel' }, h('h3', {}, 'Contacts on this desk'), h('div', { class: 'row wrap' }, h('label', {}, h('span', { class: 'label' }, 'Import CSV or vCard'), file), demo), bar, imported),
    h('div', { class: 'panel' }, h('h3', {}, 'Connect a CRM'),
      h('label', { for: 'setup-crm' }, h('span', { class: 'label' }, 'CRM')),
      select, crm)];
}

/** The setup choice a directory entry is (`http:hubspot`, `http:` for any JSON API, `ldap`…). */
function choiceOf(d) {
  if (d.kind === 'http') return `http:${d.preset || ''}`;
  return d.kind === 'local' ? null : d.kind;
}

function tryStep() {
  const number = h('input', { id: 'setup-test-number', type: 'tel', value: '555-1234', 'aria-label': 'Ring from this number' });
  const result = h('p', { class: 'small', id: 'setup-test-call-result', role: 'status' });
  return [h('h2', {}, 'Try it'),
    h('p', { class: 'help' }, 'Ring this app from a number: the notification and the greeting card show who it is. The test call ends by itself after a few seconds.'),
    h('div', { class: 'row' }, h('label', { class: 'grow' }, number),
      h('button', { type: 'button', id: 'setup-test-call', class: 'primary', onclick: async () => {
        result.textContent = 'Ringing…';
        try { await call('send_test_call', { number: number.value }); result.textContent = 'Rung: look for the notification.'; } catch (error) { result.textContent = errorText(error); }
      } }, 'Send a test call')),
    result];
}
