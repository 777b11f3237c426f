// The call log: newest first, paged from the core (FTS5 search, Missed filter), loaded page by
// page as the list scrolls, so a million rows cost only what is on screen. Each row offers
// Call back and Open profile; times are relative and refresh every minute.
import { call } from './ipc.js';
import { h, fill, relativeTime, clock, showNotice, errorText } from './dom.js';

const PAGE = 50;
const list = () => document.getElementById('log-list');
let query = { search: '', missed_only: false };
let loaded = 0;
let exhausted = false;
let loading = null;
let generation = 0;

export function initCallLog() {
  const search = document.getElementById('log-search');
  let debounce;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { query.search = search.value.trim(); reload(); }, 150);
  });
  document.getElementById('log-missed').addEventListener('change', (e) => {
    query.missed_only = e.target.checked;
    reload();
  });
  document.getElementById('log-more').addEventListener('click', () => loadMore());
  const sentinel = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  });
  sentinel.observe(document.getElementById('log-more'));
  setInterval(refreshTimes, 5_000); // "12 s ago" stays true
  return reload();
}

/** Starts the list over (new search, filter, or the page came back). */
export function reload() {
  generation += 1;
  loaded = 0;
  exhausted = false;
  loading = null;
  fill(list());
  return loadMore();
}

/** A call was just logged: put it on top if it matches what is shown. */
export function prepend(record) {
  if (query.missed_only && !record.missed) return;
  if (query.search) { reload(); return; } // the core decides what matches
  if (list().querySelector(`[data-id="${CSS.escape(String(record.id))}"]`)) return;
  list().prepend(callRow(record));
  loaded += 1;
  updateEmpty();
}

function loadMore() {
  if (exhausted || loading) return loading;
  const mine = generation;
  loading = call('call_log', { page: { ...query, search: query.search || null, limit: PAGE, offset: loaded } })
    .then((records) => {
      if (mine !== generation) return;
      list().append(...records.map(callRow));
      loaded += records.length;
      exhausted = records.length < PAGE;
    })
    .catch((error) => showNotice(`Call log: ${errorText(error)}`))
    .finally(() => {
      if (mine === generation) loading = null;
      updateEmpty();
    });
  return loading;
}

function updateEmpty() {
  const empty = document.getElementById('log-empty');
  empty.hidden = list().children.length > 0;
  empty.textContent = query.search || query.missed_only ? 'No calls match.' : 'No calls yet.';
  document.getElementById('log-more').hidden = exhausted;
}

async function run(button, command, args) {
  button.disabled = true;
  try { await call(command, args); } catch (error) { showNotice(errorText(error)); } finally { button.disabled = false; }
}

function callRow(record) {
  const name = record.name || record.remote_name || record.number_display;
  const direction = record.direction === 'outbound' ? '↗' : (record.missed ? '↙ missed' : '↙');
  const detail = [record.number_display];
  if (record.note) detail.push(record.note);
  if (record.duration_s > 0) detail.push(clock(record.duration_s));
  const number = record.number_e164 || record.number;
  return h('li', { class: `call${record.missed ? ' missed' : ''}`, dataset: { id: record.id } },
    h('span', { class: 'call-name' }, name, record.vip ? h('span', { class: 'badge' }, 'VIP') : null),
    h('time', { class: 'call-when', datetime: record.started_at, title: new Date(record.started_at).toLocaleString() },
      `${direction} · ${relativeTime(record.started_at)}`),
    h('span', { class: 'call-detail' }, detail.join(' · ')),
    h('span', { class: 'call-actions' },
      number ? h('button', { type: 'button', class: 'call-back', 'aria-label': `Call back ${name}`,
        onclick: (e) => run(e.currentTarget, 'dial', { number }) }, 'Call back') : null,
      record.profile_url ? h('button', { type: 'button', class: 'open-profile', 'aria-label': `Open profile of ${name}`,
        onclick: (e) => run(e.currentTarget, 'open_url', { url: record.profile_url }) }, 'Open profile') : null,
      record.matches > 1 ? h('button', { type: 'button', class: 'pick',
        onclick: (e) => pickCustomer(e.currentTarget, record) }, `Pick customer (${record.matches})`) : null),
  );
}

/** Several directory entries matched: let the agent say which one this call was. */
async function pickCustomer(button, record) {
  const row = button.closest('li');
  try {
    const { outcome } = await call('test_lookup', { number: record.number });
    const choose = async (customer) => {
      await call('assign_customer', { row: record.id, customer });
      row.replaceWith(callRow({ ...record, name: customer.name, note: customer.note, vip: customer.vip,
        profile_url: customer.url, customer_id: customer.id, matches: 1 }));
    };
    row.append(h('span', { class: 'call-actions' }, outcome.matches.map((c) =>
      h('button', { type: 'button', onclick: () => choose(c).catch((e) => showNotice(errorText(e))) },
        [c.name, c.company].filter(Boolean).join(' · ')))));
    button.remove();
  } catch (error) {
    showNotice(errorText(error));
  }
}

function refreshTimes() {
  for (const time of list().querySelectorAll('time.call-when')) {
    const arrow = time.textContent.split(' · ')[0];
    time.textContent = `${arrow} · ${relativeTime(time.getAttribute('datetime'))}`;
  }
}
