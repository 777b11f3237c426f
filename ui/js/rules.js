// The rules editor: the built-in VIP rule's manager (`[rules] manager`), first-or-all
// matching, and the [[rule]] list — conditions (vip, unknown, prefix, pattern, hours,
// directory, direction) and actions (transfer, urgent, silent, auto-open, tag) — in order,
// with "Test rules" showing which rules fire for a number and why (`rules test`).
import { call } from './ipc.js';
import { h, fill, errorText } from './dom.js';
import { errorSlot } from './forms.js';

const yesNo = (key, label) => ({ key, label, type: 'select', choices: ['', 'true', 'false'], labels: { '': 'either', true: 'yes', false: 'no' }, boolean: true });

const GENERAL = [
  { key: 'manager', label: 'Manager (VIP calls transfer here)', type: 'text', placeholder: 'number, extension or sip: URI',
    help: 'Used by the built-in VIP rule and the greeting card’s “Transfer to manager”.' },
  { key: 'match', label: 'Which rules apply', type: 'select', choices: ['first', 'all'], labels: { first: 'the first that matches', all: 'every one that matches' } },
];

const RULE = [
  { key: 'name', label: 'Name', type: 'text', placeholder: 'rule N' },
  { key: 'enabled', label: 'Enabled', type: 'bool' },
  yesNo('when.vip', 'When the caller is a VIP'),
  yesNo('when.unknown', 'When no directory knows the caller'),
  { key: 'when.prefix', label: 'When the number starts with', type: 'text', placeholder: '+49' },
  { key: 'when.pattern', label: 'When the number matches', type: 'text', placeholder: '+4930*', advanced: true },
  { key: 'when.hours', label: 'During', type: 'text', placeholder: 'Mo-Fr 09:00-17:00', advanced: true },
  { key: 'when.directory', label: 'When found in directory', type: 'text', placeholder: 'any', advanced: true },
  { key: 'when.direction', label: 'Calls', type: 'select', choices: ['', 'inbound', 'outbound', 'any'], labels: { '': 'inbound' }, advanced: true },
  { key: 'transfer', label: 'Transfer to', type: 'text', placeholder: 'number, extension or sip: URI' },
  { key: 'urgent', label: 'Urgent (critical, sticky notification)', type: 'bool' },
  { key: 'silent', label: 'Silent (no notification; still logged)', type: 'bool' },
  { key: 'auto_open', label: 'Open the profile by itself', type: 'bool' },
  { key: 'tag', label: 'Tag in the call log', type: 'text', advanced: true },
];

export function rulesSection(model, ctx, fieldsFor) {
  model.rules = model.rules || { match: 'first' };
  model.rule = model.rule || [];
  const list = model.rule;
  const redraw = () => fill(rows, rowsOf());
  const move = (i, by) => { const [r] = list.splice(i, 1); list.splice(i + by, 0, r); redraw(); ctx.changed('rule'); };
  const rowsOf = () => list.map((rule, i) => {
    const nodes = fieldsFor(rule, RULE, `rule.${i}`);
    return h('div', { class: 'entry', id: `entry-rule-${i}` },
      h('div', { class: 'entry-head' }, h('strong', {}, `${i + 1}. ${rule.name || `rule ${i + 1}`}`),
        h('button', { type: 'button', disabled: i === 0, 'aria-label': 'Move rule up', onclick: () => move(i, -1) }, '↑'),
        h('button', { type: 'button', disabled: i === list.length - 1, 'aria-label': 'Move rule down', onclick: () => move(i, 1) }, '↓'),
        h('button', { type: 'button', class: 'danger', onclick: () => { list.splice(i, 1); redraw(); ctx.changed('rule'); } }, 'Remove')),
      errorSlot(`rule.${i}`), nodes);
  });
  const rows = h('div', {}, rowsOf());
  const number = h('input', { id: 'rules-test-number', type: 'tel', placeholder: 'Number, e.g. 555-1234', 'aria-label': 'Number to test the rules with' });
  const verdicts = h('ol', { class: 'steps', id: 'rules-test-verdicts' });
  const decision = h('p', { class: 'small', id: 'rules-test-decision', role: 'status' });
  const test = h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    decision.textContent = 'Testing…';
    try {
      const r = await call('test_rules', { number: number.value, settings: model });
      fill(verdicts, r.rules.map((v) => h('li', {}, `${v.rule}: ${v.fires ? 'fires' : v.matched ? 'matches, does not fire' : 'does not match'}`
        + `${v.actions.length ? ` → ${v.actions.join(', ')}` : ''}${v.note ? ` (${v.note})` : ''}`
        + ` — ${v.checks.map((c) => `${c.condition} ${c.holds ? '✓' : '✗'} ${c.why}`).join('; ')}`)));
      decision.textContent = `${r.customer ? r.customer.name : 'Unknown caller'}: ${r.decision || 'no rule fires'}`;
    } catch (error) { decision.textContent = errorText(error); }
  } }, h('label', { class: 'grow' }, number), h('button', { type: 'submit' }, 'Test rules'));
  return h('fieldset', { id: 'section-rules' }, h('legend', {}, 'Rules'), errorSlot('rules'),
    fieldsFor(model.rules, GENERAL, 'rules'),
    h('p', { class: 'help' }, list.length ? 'In order:' : 'No rules listed: the built-in VIP rule transfers VIP callers to the manager, urgently.'),
    rows,
    h('button', { type: 'button', class: 'ghost', onclick: () => { list.push({ name: `rule ${list.length + 1}`, enabled: true, when: {} }); redraw(); } }, 'Add a rule'),
    test, verdicts, decision);
}
