// The greeting card: the current call, live-updated as it rings, is answered, ends, or a late
// CRM answer lands. Newest live call first; the last ended call stays until the next one.
import { call } from './ipc.js';
import { h, fill, clock, dialable, showNotice, errorText } from './dom.js';

const calls = new Map(); // key → CallView
let shown = null; // the view on the card
let onCreateContact = () => {};

const keyOf = (view) => `${view.key.source}\u0000${view.key.call_id}`;

export function initCard({ createContact }) {
  onCreateContact = createContact;
  setInterval(tick, 1000);
}

/** A CallView from the shell (snapshot or event). */
export function updateCall(view) {
  if (view.state === 'ended') calls.delete(keyOf(view));
  else calls.set(keyOf(view), view);
  const live = [...calls.values()].sort((a, b) => b.started_at.localeCompare(a.started_at));
  if (live.length) shown = live[0];
  else if (!shown || keyOf(shown) === keyOf(view)) shown = view; // keep the ended call up
  render();
}

function customerOf(view) {
  const lookup = view.lookup || {};
  return lookup.state === 'done' && lookup.matches.length ? lookup.matches[0] : null;
}

function stateLine(view) {
  const dir = view.direction === 'outbound' ? 'Outgoing' : 'Incoming';
  if (view.state === 'ringing') return `${dir} · ringing`;
  if (view.state === 'answered') return `${dir} · on call`;
  return view.missed ? 'Missed call' : 'Call ended';
}

function elapsed(view) {
  const start = new Date(view.answered_at || view.started_at).getTime();
  const end = view.ended_at ? new Date(view.ended_at).getTime() : Date.now();
  return clock((end - start) / 1000);
}

async function run(button, command, args) {
  button.disabled = true;
  try {
    await call(command, args);
  } catch (error) {
    showNotice(errorText(error));
  } finally {
    button.disabled = false;
  }
}

function actions(view, customer) {
  const number = dialable(view.remote);
  const live = view.state !== 'ended';
  const callId = view.key.call_id;
  const buttons = [];
  if (customer && customer.url) {
    buttons.push(h('button', { type: 'button', id: 'card-open-profile', class: 'primary',
      onclick: (e) => run(e.currentTarget, 'open_url', { url: customer.url }) }, 'Open profile'));
  }
  if (!customer && view.lookup && view.lookup.state === 'done' && number) {
    buttons.push(h('button', { type: 'button', id: 'card-create-contact', class: customer ? '' : 'primary',
      onclick: () => onCreateContact({ number, name: view.remote_name, url: view.lookup.create_contact_url }) },
    'Create contact'));
  }
  if (live && view.state === 'ringing' && view.direction === 'inbound') {
    buttons.push(h('button', { type: 'button', id: 'card-answer',
      onclick: (e) => run(e.currentTarget, 'answer', { call_id: callId }) }, 'Answer'));
  }
  if (live) {
    buttons.push(h('button', { type: 'button', id: 'card-hangup', class: 'danger',
      onclick: (e) => run(e.currentTarget, 'hangup', { call_id: callId }) }, 'Hang up'));
    buttons.push(h('button', { type: 'button', id: 'card-transfer',
      onclick: () => toggleTransfer(callId) }, 'Transfer to manager'));
  } else if (number) {
    buttons.push(h('button', { type: 'button', id: 'card-call-back',
      onclick: (e) => run(e.currentTarget, 'dial', { number }) }, 'Call back'));
  }
  return buttons;
}

// The built-in VIP rule's manager (`[rules] manager`), from the snapshot and after each save.
let manager = '';

/** Sets the number "Transfer to manager" offers (`[rules] manager`). */
export function setManager(number) { manager = number || ''; }

function toggleTransfer(callId) {
  const existing = document.getElementById('card-transfer-form');
  if (existing) { existing.remove(); return; }
  const target = h('input', { id: 'card-transfer-target', 'aria-label': 'Transfer to (number or extension)',
    value: manager, placeholder: 'Manager number or extension ([rules] manager in Settings)' });
  const form = h('form', { id: 'card-transfer-form', class: 'transfer', onsubmit: async (event) => {
    event.preventDefault();
    await run(form.querySelector('button'), 'transfer', { call_id: callId, target: target.value.trim() });
  } }, target, h('button', { type: 'submit' }, 'Transfer'));
  document.getElementById('card').append(form);
  target.focus();
}

function render() {
  const card = document.getElementById('card');
  const view = shown;
  if (!view) {
    card.className = 'card idle';
    fill(card, h('p', { class: 'card-idle' }, 'No call right now. The next caller shows up here.'));
    return;
  }
  const customer = customerOf(view);
  const pending = view.lookup && view.lookup.state === 'pending';
  const name = customer ? customer.name : (view.remote_name && view.remote_name.trim()) || view.remote.display || view.number;
  const extra = view.lookup && view.lookup.state === 'done' ? view.lookup.matches.length - 1 : 0;
  card.className = ['card', view.state === 'ringing' && 'ringing', customer && customer.vip && 'vip'].filter(Boolean).join(' ');
  const meta = [view.remote.display || view.number];
  if (customer && customer.directory) meta.push(`from ${customer.directory}`);
  if (view.line) meta.push(`line ${view.line}`);
  meta.push(`via ${view.key.source}`);
  const others = calls.size > 1 ? `${calls.size - 1} more call(s) in progress` : null;
  fill(card,
    h('div', { class: 'card-top' }, h('span', { id: 'card-state' }, stateLine(view)), h('span', { id: 'card-timer' }, elapsed(view))),
    h('h2', { class: 'card-name', id: 'card-name' }, name,
      customer && customer.vip ? h('span', { class: 'badge', id: 'card-vip' }, '★ VIP') : null),
    customer && customer.company ? h('p', { class: 'card-company', id: 'card-company' }, customer.company) : null,
    extra > 0 ? h('p', { class: 'card-company' }, `+${extra} more match${extra > 1 ? 'es' : ''}`) : null,
    pending ? h('p', { class: 'card-note', id: 'card-note' }, 'Looking up…') : null,
    !pending && customer && customer.note ? h('p', { class: 'card-note', id: 'card-note' }, customer.note) : null,
    !pending && !customer ? h('p', { class: 'card-note', id: 'card-note' }, view.direction === 'inbound' ? 'New caller' : 'Outgoing call') : null,
    h('p', { class: 'card-meta', id: 'card-number' }, meta.join(' · ')),
    h('div', { class: 'card-actions' }, actions(view, customer)),
    others ? h('p', { class: 'card-others' }, others) : null,
  );
}

function tick() {
  const timer = document.getElementById('card-timer');
  if (timer && shown && shown.state !== 'ended') timer.textContent = elapsed(shown);
}
