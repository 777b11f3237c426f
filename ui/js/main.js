// The main window: wires the views to the shell's events. One module per view (card,
// calllog, settings, contact); this file only routes events and switches tabs.
import { subscribe, call } from './ipc.js';
import { initCard, updateCall } from './card.js';
import { initCallLog, prepend, reload } from './calllog.js';
import { initSettings, loadSettings, showSwitches } from './settings.js';
import { initContactForm, createContact } from './contact.js';
import { showNotice, errorText } from './dom.js';

const $ = (id) => document.getElementById(id);
let settingsLoaded = false;

function showView(name) {
  const settings = name === 'settings';
  $('view-log').hidden = settings;
  $('view-settings').hidden = !settings;
  $('tab-log').setAttribute('aria-selected', String(!settings));
  $('tab-settings').setAttribute('aria-selected', String(settings));
  if (settings && !settingsLoaded) { settingsLoaded = true; loadSettings(); }
  if (!settings) reload();
}

function showStatus(status) {
  $('status').dataset.state = status.state;
  $('status-cause').textContent = status.cause;
  $('status').title = status.cause;
  const dnd = $('dnd-toggle');
  dnd.setAttribute('aria-pressed', String(status.do_not_disturb));
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

async function start() {
  initCard({ createContact });
  initContactForm();
  initSettings();
  $('tab-log').addEventListener('click', () => showView('log'));
  $('tab-settings').addEventListener('click', () => showView('settings'));
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  $('dnd-toggle').addEventListener('click', async (e) => {
    const on = e.currentTarget.getAttribute('aria-pressed') !== 'true';
    try { showStatus(await call('set_switch', { name: 'do_not_disturb', on })); } catch (error) { showNotice(errorText(error)); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement.tagName !== 'INPUT') { e.preventDefault(); $('log-search').focus(); }
    // Ctrl+W: close to the tray (the window is destroyed; screenpop keeps running).
    if (e.key === 'w' && e.ctrlKey) { e.preventDefault(); call('close_window').catch(() => {}); }
  });
  try {
    const snapshot = await subscribe(onEvent);
    showStatus(snapshot.status);
    snapshot.calls.forEach(updateCall);
    await initCallLog();
    snapshot.pending.forEach(onEvent);
    document.body.dataset.ready = 'true';
  } catch (error) {
    showNotice(`Not connected to screenpop: ${errorText(error)}`);
  }
}

start();
