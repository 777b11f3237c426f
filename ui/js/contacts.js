// The contacts page: the local directory searched as you type (name, company, note or any
// part of a number) and scrolled a page at a time: the next 100 are fetched when the list's
// end comes into view, so 100,000 contacts never load at once. Add, edit, delete; import
// with progress and the bad rows; export all of them as CSV or vCard (to Downloads).
import { call } from './ipc.js';
import { h, fill, showNotice, errorText } from './dom.js';
import { createContact, editContact, whenSaved } from './contact.js';
import { importInto } from './settings.js';

const PAGE = 100;
const $ = (id) => document.getElementById(id);
let search = '';
let loaded = 0;
let total = 0;
let loading = null;
let generation = 0;
let timer = null;

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
  new IntersectionObserver((seen) => { if (seen.some((s) => s.isIntersecting)) more(); })
    .observe($('contacts-end'));
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
  loaded = 0;
  total = 0;
  loading = null;
  fill($('contacts-list'));
  await more();
}

function row(c) {
  return h('li', { class: 'contact', dataset: { id: c.id } },
    h('div', { class: 'contact-main' },
      h('strong', {}, c.name, c.vip ? h('span', { class: 'badge' }, '★ VIP') : null),
      h('span', { class: 'muted small' }, [c.company, c.phones.join(', ')].filter(Boolean).join(' · '))),
    h('button', { type: 'button', 'aria-label': `Edit ${c.name}`, onclick: () => editContact(c) }, 'Edit'),
    h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${c.name}`, onclick: async () => {
      if (!window.confirm(`Delete ${c.name}?`)) return;
      try { await call('delete_contact', { id: c.id }); reloadContacts(); } catch (error) { showNotice(errorText(error)); }
    } }, 'Delete'));
}

async function more() {
  if (loading || (loaded > 0 && loaded >= total)) return loading;
  const mine = generation;
  const started = performance.now();
  loading = call('contacts_page', { search, limit: PAGE, offset: loaded }).then((page) => {
    if (mine !== generation) return;
    total = page.total;
    loaded += page.contacts.length;
    $('contacts-list').append(...page.contacts.map(row));
    const took = Math.round(performance.now() - started);
    $('contacts-count').textContent = total === 0 ? (search ? 'Nobody matches.' : 'No contacts yet.')
      : `${total.toLocaleString()} contact${total === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}`;
    $('contacts-count').dataset.tookMs = String(took);
  }).catch((error) => showNotice(errorText(error))).finally(() => {
    if (mine !== generation) return;
    loading = null;
    // Still at the end (a tall window, a short page): keep filling.
    if (loaded < total && $('contacts-end').getBoundingClientRect().top < window.innerHeight) more();
  });
  return loading;
}
