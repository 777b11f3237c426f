// The contacts page: the local directory searched as you type (name, company, note or any
// part of a number) in a virtual list: the list is as tall as all the matches, but only the
// rows in (and just around) the window exist in the page, each fetched by the page of 100
// it belongs to when it first comes into view — 100,000 contacts never load at once and
// scrolling stays smooth. Add, edit, delete; import with progress and the bad rows; export
// all of them as CSV or vCard (to Downloads). Arrow keys move between rows.
import { call } from './ipc.js';
import { h, fill, showNotice, errorText } from './dom.js';
import { createContact, editContact, whenSaved } from './contact.js';
import { importInto } from './settings.js';

const PAGE = 100;
// Rows drawn beyond each edge of the window, so a quick flick shows no blank.
const OVERSCAN = 12;
const $ = (id) => document.getElementById(id);
let search = '';
let total = 0;
let rowHeight = 0;
let generation = 0;
let timer = null;
let frame = 0;
const pages = new Map(); // page number → contacts (or a pending promise)
const drawn = new Map(); // row index → its <li>

export function initContacts() {
  $('contacts-search').addEventListener('input', (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => { search = e.target.value.trim(); reloadContacts(); }, 120);
  });
  $('contacts-add').addEventListener('click', () => createContact({ number: '' }));
  $('contacts-import').addEventListener('change', async (e) => {
    if (e.target.files[0]) await importInto(e.target.files[0], $('contacts-import-progress'), $('contacts-import-result'));
    e.target.value = '';
    reloadContacts();
  });
  for (const format of ['csv', 'vcard']) $(`contacts-export-${format}`).addEventListener('click', () => exportAs(format));
  whenSaved(() => { if (!$('view-contacts').hidden) reloadContacts(); });
  const later = () => { if (!frame && !$('view-contacts').hidden) frame = requestAnimationFrame(() => { frame = 0; draw(); }); };
  window.addEventListener('scroll', later, { passive: true });
  window.addEventListener('resize', () => { rowHeight = 0; later(); });
  $('contacts-list').addEventListener('keydown', moveFocus);
}

/** Writes every contact to a new file in Downloads and says where. */
async function exportAs(format) {
  const result = $('contacts-export-result');
  const buttons = [$('contacts-export-csv'), $('contacts-export-vcard')];
  buttons.forEach((b) => { b.disabled = true; });
  result.textContent = 'Exporting…';
  try {
    const done = await call('export_contacts', { format });
    result.textContent = `Exported ${done.count.toLocaleString()} contact${done.count === 1 ? '' : 's'} to ${done.path}`;
  } catch (error) {
    result.textContent = `Export failed: ${errorText(error)}`;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** Starts the list again from the top (a new search, a change). */
export async function reloadContacts() {
  generation += 1;
  pages.clear();
  drawn.clear();
  fill($('contacts-list'));
  total = 0;
  await fetchPage(0, true);
  draw();
}

/** Fetches page `n` once (per search); `first` also sets the total and the count line. */
function fetchPage(n, first = false) {
  if (pages.has(n)) return pages.get(n);
  const mine = generation;
  const started = performance.now();
  const pending = call('contacts_page', { search, limit: PAGE, offset: n * PAGE }).then((page) => {
    if (mine !== generation) return;
    pages.set(n, page.contacts);
    if (first || page.total !== total) {
      total = page.total;
      $('contacts-count').textContent = total === 0 ? (search ? 'Nobody matches.' : 'No contacts yet.')
        : `${total.toLocaleString()} contact${total === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}`;
      $('contacts-count').dataset.tookMs = String(Math.round(performance.now() - started));
    }
    draw();
  }).catch((error) => {
    if (mine === generation) pages.delete(n);
    showNotice(errorText(error));
  });
  pages.set(n, pending);
  return pending;
}

function contactAt(i) {
  const page = pages.get(Math.floor(i / PAGE));
  return Array.isArray(page) ? page[i % PAGE] : undefined;
}

function row(c, i) {
  const at = { class: 'contact', 'aria-posinset': i + 1, 'aria-setsize': total, dataset: { index: i } };
  const li = c ? h('li', { ...at, dataset: { index: i, id: c.id } }, ...contactParts(c))
    : h('li', { ...at, class: 'contact loading', 'aria-busy': 'true' }, h('span', { class: 'muted small' }, 'Loading…'));
  // The CSSOM, not a style attribute: the CSP allows no inline styles.
  li.style.top = `${i * rowHeight}px`;
  if (rowHeight) li.style.height = `${rowHeight}px`;
  return li;
}

function contactParts(c) {
  return [
    h('div', { class: 'contact-main' },
      h('strong', {}, c.name, c.vip ? h('span', { class: 'badge' }, '★ VIP') : null),
      h('span', { class: 'muted small' }, [c.company, c.phones.join(', ')].filter(Boolean).join(' · '))),
    h('button', { type: 'button', 'aria-label': `Edit ${c.name}`, onclick: () => editContact(c) }, 'Edit'),
    h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${c.name}`, onclick: async () => {
      if (!window.confirm(`Delete ${c.name}?`)) return;
      try { await call('delete_contact', { id: c.id }); reloadContacts(); } catch (error) { showNotice(errorText(error)); }
    } }, 'Delete')];
}

/** The height of one row, measured once per layout (zoom and fonts change it). */
function measure(list) {
  if (rowHeight) return rowHeight;
  const probe = row({ name: 'Xy', phones: ['0'], company: 'Xy' }, 0);
  probe.style.visibility = 'hidden';
  list.append(probe);
  rowHeight = Math.max(1, probe.getBoundingClientRect().height);
  probe.remove();
  drawn.forEach((li) => li.remove());
  drawn.clear();
  return rowHeight;
}

/** Draws the rows in view (and a few around), removes the others, fetches what is missing. */
function draw() {
  const list = $('contacts-list');
  if ($('view-contacts').hidden) return;
  const height = measure(list);
  list.style.height = `${total * height}px`;
  const top = list.getBoundingClientRect().top;
  const first = Math.max(0, Math.floor(-top / height) - OVERSCAN);
  const last = Math.min(total - 1, Math.ceil((window.innerHeight - top) / height) + OVERSCAN);
  for (const [i, li] of drawn) {
    const stale = li.classList.contains('loading') && contactAt(i);
    if (i < first || i > last || stale) {
      if (!li.contains(document.activeElement)) { li.remove(); drawn.delete(i); }
    }
  }
  for (let i = first; i <= last; i += 1) {
    if (drawn.has(i)) continue;
    const c = contactAt(i);
    if (!c) fetchPage(Math.floor(i / PAGE));
    const li = row(c, i);
    drawn.set(i, li);
    list.append(li);
  }
}

/** ArrowDown/ArrowUp: the same button on the next/previous row (drawn first if need be). */
function moveFocus(e) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const li = e.target.closest('li[data-index]');
  if (!li) return;
  const next = Number(li.dataset.index) + (e.key === 'ArrowDown' ? 1 : -1);
  if (next < 0 || next >= total) return;
  e.preventDefault();
  const column = [...li.querySelectorAll('button')].indexOf(e.target);
  const list = $('contacts-list');
  const y = list.getBoundingClientRect().top + window.scrollY + next * rowHeight;
  if (y < window.scrollY + rowHeight) window.scrollTo(0, y - rowHeight);
  else if (y + 2 * rowHeight > window.scrollY + window.innerHeight) window.scrollTo(0, y + 2 * rowHeight - window.innerHeight);
  draw();
  const target = drawn.get(next);
  const buttons = target ? target.querySelectorAll('button') : [];
  if (buttons.length) buttons[Math.max(0, column)].focus();
  else if (target) { target.tabIndex = -1; target.focus(); }
}
