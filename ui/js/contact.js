// The new-contact form: opened by "Create contact" on the card or a notification's click for
// an unknown caller, prefilled with the number (and the name the phone sent). Saves to the
// local directory, so the caller's next call is greeted by name. When a directory has its own
// create-contact page, that page is opened instead.
import { call } from './ipc.js';
import { showNotice, errorText } from './dom.js';

const $ = (id) => document.getElementById(id);
let editing = null; // the id of the contact being edited
let onSaved = () => {};

/** Called after every save (the contacts page reloads). */
export function whenSaved(callback) { onSaved = callback; }

/** Opens the form on an existing local contact. */
export function editContact(customer) {
  $('contact-form').reset();
  $('contact-error').textContent = '';
  editing = customer.id;
  $('contact-title').textContent = `Edit ${customer.name}`;
  $('contact-name').value = customer.name;
  $('contact-phone').value = customer.phones.join(', ');
  $('contact-company').value = customer.company || '';
  $('contact-note').value = customer.note || '';
  $('contact-url').value = customer.url || '';
  $('contact-vip').checked = customer.vip;
  $('contact-dialog').showModal();
  $('contact-name').focus();
}

export function initContactForm() {
  $('contact-form').addEventListener('submit', save);
  $('contact-cancel').addEventListener('click', () => $('contact-dialog').close());
}

/** {number, name?, url?} from the card or an intent. */
export async function createContact({ number, name, url }) {
  if (url) {
    try { await call('open_url', { url }); } catch (error) { showNotice(errorText(error)); }
    return;
  }
  $('contact-form').reset();
  $('contact-error').textContent = '';
  editing = null;
  $('contact-title').textContent = 'New contact';
  $('contact-phone').value = number || '';
  $('contact-name').value = name || '';
  $('contact-dialog').showModal();
  (name ? $('contact-company') : $('contact-name')).focus();
}

async function save(event) {
  event.preventDefault();
  const text = (id) => $(id).value.trim() || null;
  const contact = {
    id: editing,
    name: $('contact-name').value.trim(),
    phones: $('contact-phone').value.split(',').map((p) => p.trim()).filter(Boolean),
    company: text('contact-company'),
    note: text('contact-note'),
    url: text('contact-url'),
    vip: $('contact-vip').checked,
  };
  try {
    await call('save_contact', { contact });
    $('contact-dialog').close();
    showNotice(`Saved ${contact.name}. Their next call is greeted by name.`);
    onSaved();
  } catch (error) {
    $('contact-error').textContent = errorText(error);
  }
}
