// The main window: wires the views to the shell's events. One module per view (card,
// calllog, contacts, settings, setup, contact); this file only routes events and switches
// views. A desk with no config file and no contacts starts in setup.
import { subscribe, call } from './ipc.js';
import { initCard, updateCall, setManager } from './card.js';
import { initCallLog, prepend, reload } from './calllog.js';
import { initSettings, loadSettings, showSwitches, unrender } from './settings.js';
import { initSetup, startSetup } from './setup.js';
import { initContacts, reloadContacts } from './contacts.js';
import { initContactForm, createContact } from './contact.js';
import { showNotice, errorText } from './dom.js';

const $ = (id) => document.getElementById(id);
const VIEWS = ['log', 'contacts', 'settings', 'setup'];

function showView(name) {
  for (const view of VIEWS) {
    $(`view-${view}`).hidden = view !== name;
    const tab = $(`tab-${view}`);
    if (tab) tab.setAttribute('aria-selected', String(view === name));
  }
  document.body.dataset.view = name;
  if (name === 'settings') loadSettings();
  else unrender();
  if (name === 'log') reload();
  if (name === 'contacts') reloadContacts();
  if (name === 'setup') startSetup();
}

function showStatus(status) {
  $('status').dataset.state = status.state;
  $('status-cause').textContent = status.cause;
  $('status').title = status.cause;
  $('dnd-toggle').setAttribute('aria-pressed', String(status.do_not_disturb));
  showSwitches(status);
}

function onEvent(event) {
  switch (event.type) {
    case 'call': updateCall(event.view); break;
    case 'logged': prepend(event.record); break;
    case 'status': showStatus(event.status); break;
    case 'navigate': showView(event.view); break;
    case 'notice': showNotice(event.message); break;
    case 'intent':
      if (event.intent.intent === 'create_contact') { showView('log'); createContact(event.intent); }
      break;
    default: break;
  }
}

// A bug in the page is said, not swallowed: the notice bar shows it.
window.addEventListener('error', (e) => showNotice(`Something went wrong in the window: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showNotice(`Something went wrong in the window: ${errorText(e.reason)}`));

async function start() {
  initCard({ createContact });
  initContactForm();
  initSettings({ runSetup: () => showView('setup') });
  initSetup({ done: () => showView('log') });
  initContacts();
  for (const view of ['log', 'contacts', 'settings']) $(`tab-${view}`).addEventListener('click', () => showView(view));
  // Arrow keys move between tabs (the tablist pattern).
  $('tab-log').parentElement.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const tabs = [...document.querySelectorAll('.tab')];
    const next = tabs[(tabs.indexOf(document.activeElement) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
  });
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  $('dnd-toggle').addEventListener('click', async (e) => {
    const on = e.currentTarget.getAttribute('aria-pressed') !== 'true';
    try { showStatus(await call('set_switch', { name: 'do_not_disturb', on })); } catch (error) { showNotice(errorText(error)); }
  });
  document.addEventListener('keydown', (e) => {
    const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName);
    if (e.key === '/' && !typing) { e.preventDefault(); ($('view-contacts').hidden ? $('log-search') : $('contacts-search')).focus(); }
    if (e.key === 'Escape' && !$('notice').hidden) $('notice').hidden = true;
    // Ctrl+W: close to the tray (the window is destroyed; screenpop keeps running).
    if (e.key === 'w' && e.ctrlKey) { e.preventDefault(); call('close_window').catch(() => {}); }
  });
  try {
    const snapshot = await subscribe(onEvent);
    showStatus(snapshot.status);
    setManager(snapshot.manager);
    snapshot.calls.forEach(updateCall);
    await initCallLog();
    snapshot.pending.forEach(onEvent);
    if (await call('setup_needed').catch(() => false)) showView('setup');
    document.body.dataset.ready = 'true';
  } catch (error) {
    showNotice(`Not connected to screenpop: ${errorText(error)}`);
  }
}

start();
