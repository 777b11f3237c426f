// Typed form fields bound to the settings model: one labelled input per schema field
// (schema.js), an error slot under each one addressed by the field path the core's check
// reports (`directory.1.base_url`), write-only secrets, and keys an administrator locked
// shown read-only. An empty optional field is removed from the model (saved as absent).
import { h } from './dom.js';

/** obj's value at a dotted path. */
export const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

/** Sets (or, for `undefined`, removes) obj's value at a dotted path. */
export function set(obj, path, value) {
  const keys = path.split('.');
  const last = keys.pop();
  let o = obj;
  for (const k of keys) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  if (value === undefined) delete o[last]; else o[last] = value;
}

/** The DOM id of the field at `path`. */
export const fieldId = (path) => `f-${path.replace(/[^a-z0-9_]+/gi, '-')}`;

/** An error slot for `path` (a field, an entry, a section). */
export const errorSlot = (path) => h('p', { class: 'field-error', id: `err-${fieldId(path)}`, role: 'alert' });

function isLocked(ctx, path) {
  const [section, key] = path.split('.');
  return ctx.locked.has(section) || ctx.locked.has(`${section}.${key}`);
}

/**
 * One field of `obj` (`spec` from schema.js); `path` is its full path for errors.
 * ctx: { locked: Set, secretSet: Map(name → bool), pending: Map(name → value), secretName(obj), changed() }.
 */
export function field(obj, spec, path, ctx) {
  const id = fieldId(path);
  const value = get(obj, spec.key);
  const locked = isLocked(ctx, path);
  const described = [`err-${id}`, spec.help && `help-${id}`].filter(Boolean).join(' ');
  const changed = (v) => { set(obj, spec.key, v); ctx.changed(path); };
  const common = { id, 'aria-describedby': described, disabled: locked, 'data-path': path };
  let input;
  if (spec.type === 'bool') {
    input = h('input', { ...common, type: 'checkbox', checked: Boolean(value), onchange: (e) => changed(e.target.checked) });
    return h('div', { class: 'field check' }, h('label', { for: id }, input, ` ${spec.label}`),
      locked ? h('p', { class: 'help' }, 'Set by your administrator') : null,
      spec.help ? h('p', { class: 'help', id: `help-${id}` }, spec.help) : null, errorSlot(path));
  }
  if (spec.type === 'select') {
    const labels = spec.labels || {};
    // `boolean` selects (yes / no / either) hold true/false in the model.
    const current = value === undefined || value === null ? '' : String(value);
    const parse = (v) => (v === '' ? undefined : spec.boolean ? v === 'true' : v);
    input = h('select', { ...common, onchange: (e) => changed(parse(e.target.value)) },
      spec.choices.map((c) => h('option', { value: c, selected: current === c }, labels[c] || c || '—')));
  } else if (spec.type === 'secret') {
    return secretField(obj, spec, path, ctx, common);
  } else {
    const shown = spec.type === 'list' ? (value || []).join(', ') : (value ?? '');
    input = h('input', {
      ...common, value: shown, placeholder: spec.placeholder || '', autocomplete: 'off', spellcheck: 'false',
      type: spec.type === 'number' ? 'number' : spec.type === 'url' ? 'url' : 'text',
      required: spec.required, step: spec.type === 'number' ? 'any' : null,
      onchange: (e) => {
        const raw = e.target.value.trim();
        if (spec.type === 'number') changed(raw === '' ? undefined : Number(raw));
        else if (spec.type === 'list') changed(raw === '' ? undefined : raw.split(',').map((s) => s.trim()).filter(Boolean));
        // A required text stays (so the check names what is wrong); an optional one goes.
        else changed(raw === '' && !spec.required ? undefined : raw);
      },
    });
  }
  return h('div', { class: 'field' },
    h('label', { for: id, class: 'label' }, spec.label, spec.required ? h('span', { 'aria-hidden': 'true' }, ' *') : null),
    input,
    locked ? h('p', { class: 'help' }, 'Set by your administrator') : null,
    spec.help ? h('p', { class: 'help', id: `help-${id}` }, spec.help) : null,
    errorSlot(path));
}

/** A write-only secret: the key names a keyring entry; what is typed goes to the keyring. */
function secretField(obj, spec, path, ctx, common) {
  // An optional secret names its keyring entry only once a value is typed.
  const had = get(obj, spec.key);
  if (!had && spec.required) set(obj, spec.key, ctx.secretName(obj));
  const name = get(obj, spec.key) || ctx.secretName(obj);
  const stored = ctx.secretSet.get(name);
  const state = h('span', { class: stored ? 'muted small' : 'error small', id: `state-${common.id}`, 'data-secret': name },
    ctx.pending.has(name) ? 'will be stored in the keyring on save' : stored ? 'stored in the keyring' : 'not set');
  const input = h('input', {
    ...common, type: 'password', autocomplete: 'new-password', placeholder: stored ? '•••••• (type to replace)' : '',
    'aria-describedby': `${common['aria-describedby']} state-${common.id}`,
    oninput: (e) => {
      if (e.target.value) {
        ctx.pending.set(name, e.target.value);
        if (!get(obj, spec.key)) { set(obj, spec.key, name); ctx.changed(path); }
      } else {
        ctx.pending.delete(name);
        if (!had && !spec.required) { set(obj, spec.key, undefined); ctx.changed(path); }
      }
      state.textContent = e.target.value ? 'will be stored in the keyring on save' : stored ? 'stored in the keyring' : 'not set';
    },
  });
  return h('div', { class: 'field' },
    h('label', { for: common.id, class: 'label' }, spec.label),
    input, h('p', { class: 'help' }, state, h('span', { class: 'muted small' }, ` · keyring entry “${name}”`)),
    spec.help ? h('p', { class: 'help', id: `help-${common.id}` }, spec.help) : null,
    errorSlot(path));
}

/** A fold for the advanced fields (closed unless one of them has an error). */
export function advanced(nodes) {
  if (!nodes.length) return null;
  return h('details', { class: 'advanced' }, h('summary', {}, 'Advanced'), nodes);
}

/**
 * Shows each problem ({field, message}) in the slot of its field, or of the nearest
 * enclosing entry/section; returns the problems no slot took. Opens folds that hold one.
 */
export function showProblems(root, problems) {
  root.querySelectorAll('.field-error').forEach((slot) => { slot.textContent = ''; });
  root.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
  const left = [];
  for (const problem of problems) {
    const parts = problem.field.split('.');
    let slot = null;
    for (let n = parts.length; n > 0 && !slot; n -= 1) {
      slot = root.querySelector(`#err-${CSS.escape(fieldId(parts.slice(0, n).join('.')))}`);
    }
    if (!slot) { left.push(problem); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${problem.message}` : problem.message;
    const input = root.querySelector(`#${CSS.escape(slot.id.slice(4))}`);
    if (input) input.setAttribute('aria-invalid', 'true');
    const fold = slot.closest('details');
    if (fold) fold.open = true;
  }
  return left;
}
