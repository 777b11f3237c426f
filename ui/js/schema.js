// What every [[source]] kind and [[directory]] kind can be told, for the typed forms:
// key (dotted inside the entry), label, input type, help line, default (shown as the
// placeholder, never written), advanced (folded). Types: text, number, url, bool, select,
// list (comma-separated), secret (the key names a keyring entry; the value is write-only).

const name = (dflt) => ({ key: 'name', label: 'Name', type: 'text', placeholder: dflt, advanced: true,
  help: 'Shown in the status line and the call log; must be unique.' });

export const SOURCE_KINDS = {
  baresip: {
    title: 'baresip softphone', blurb: 'A softphone running baresip with its ctrl_tcp module.',
    blank: () => ({ kind: 'baresip', address: '127.0.0.1:4444' }),
    fields: [
      { key: 'address', label: 'ctrl_tcp address', type: 'text', placeholder: '127.0.0.1:4444', required: true,
        help: 'host:port of ctrl_tcp_listen in baresip’s config.' },
      { key: 'keepalive_s', label: 'Keep-alive (s)', type: 'number', placeholder: '15', advanced: true,
        help: 'After this much silence a harmless command checks the link.' },
      name('baresip'),
    ],
  },
  mqtt: {
    title: 'screenpop relay / MQTT broker', blurb: 'Calls from the floor’s relay (or baresip’s mqtt module) through a broker.',
    blank: () => ({ kind: 'mqtt', url: 'mqtt://', extension: '' }),
    fields: [
      { key: 'url', label: 'Broker URL', type: 'text', placeholder: 'mqtts://broker.example.com:8883', required: true,
        help: 'mqtt:// or mqtts:// (TLS).' },
      { key: 'extension', label: 'Your extension', type: 'text', placeholder: '201', help: 'Names your topic (screenpop/<extension>/events).' },
      { key: 'username', label: 'User', type: 'text', placeholder: 'usually your extension' },
      { key: 'secret', label: 'Password', type: 'secret', help: 'Kept in the system keyring.' },
      { key: 'format', label: 'Event format', type: 'select', choices: ['screenpop', 'baresip'], placeholder: 'screenpop', advanced: true },
      { key: 'topic', label: 'Topic', type: 'text', placeholder: 'screenpop/<extension>/events', advanced: true },
      { key: 'command_topic', label: 'Command topic', type: 'text', placeholder: 'derived from the topic', advanced: true },
      { key: 'client_id', label: 'Client id', type: 'text', placeholder: 'screenpop-<extension>-<host>', advanced: true },
      { key: 'tls', label: 'Use TLS (implied by mqtts://)', type: 'bool', advanced: true },
      { key: 'ca_file', label: 'CA certificates (PEM file)', type: 'text', placeholder: 'the system’s', advanced: true },
      { key: 'keepalive_s', label: 'Keep-alive (s)', type: 'number', placeholder: '30', advanced: true },
      name('mqtt:<extension>'),
    ],
  },
  ami: {
    title: 'Asterisk PBX (AMI)', blurb: 'Your extension on an Asterisk PBX, over the Manager Interface.',
    blank: () => ({ kind: 'ami', address: '', username: '', secret: '', extension: '' }),
    fields: [
      { key: 'address', label: 'PBX address', type: 'text', placeholder: 'pbx.example.com:5038', required: true },
      { key: 'username', label: 'Manager user', type: 'text', required: true, help: 'From manager.conf.' },
      { key: 'secret', label: 'Manager password', type: 'secret', required: true },
      { key: 'extension', label: 'Your extension', type: 'text', placeholder: '201 or PJSIP/201' },
      { key: 'context', label: 'Dialplan context', type: 'text', placeholder: 'from-internal', advanced: true },
      name('ami:<extension>'),
    ],
  },
  fritz: {
    title: 'Fritz!Box', blurb: 'The Fritz!Box call monitor (turn it on by dialling #96*5*).',
    blank: () => ({ kind: 'fritz', address: 'fritz.box' }),
    fields: [
      { key: 'address', label: 'Router address', type: 'text', placeholder: 'fritz.box:1012', required: true },
      { key: 'own_numbers', label: 'Only these numbers', type: 'list', placeholder: 'every call', help: 'Comma-separated; empty = every call.' },
      name('fritz'),
    ],
  },
};

const timeout = { key: 'timeout_ms', label: 'Timeout (ms)', type: 'number', placeholder: '3000', advanced: true };
const secret = (label) => ({ key: 'secret', label, type: 'secret', help: 'Goes straight to the system keyring.' });

export const PRESETS = {
  hubspot: { title: 'HubSpot', base: 'https://api.hubapi.com', token: 'Private app token' },
  pipedrive: { title: 'Pipedrive', base: 'https://yourcompany.pipedrive.com', token: 'API token' },
  zoho: { title: 'Zoho CRM', base: 'https://www.zohoapis.com', token: 'OAuth access token' },
  odoo: { title: 'Odoo', base: 'https://yourcompany.odoo.com', token: 'Password or API key', user: true },
  freshsales: { title: 'Freshsales', base: 'https://yourcompany.myfreshworks.com/crm/sales', token: 'API key' },
  seed: { title: 'screenpop seed API', base: 'https://crm.example.com', token: 'Bearer token' },
  salesforce: { title: 'Salesforce', base: 'https://yourcompany.my.salesforce.com', oauth: true },
  dynamics: { title: 'Dynamics 365', base: 'https://yourorg.crm.dynamics.com', oauth: true },
  microsoft365: { title: 'Microsoft 365 contacts', base: 'https://graph.microsoft.com', oauth: true },
  google: { title: 'Google contacts', base: 'https://people.googleapis.com', oauth: true },
};

export const DIRECTORY_KINDS = {
  local: {
    title: 'Local contacts', blurb: 'The contacts kept on this desk (import CSV or vCard).',
    blank: () => ({ kind: 'local' }),
    fields: [
      { key: 'create_contact_url', label: 'Create-contact page', type: 'url', placeholder: 'the built-in form', advanced: true,
        help: 'A URL template; {number} and {e164} are filled in.' },
      name('local'),
    ],
  },
  http: {
    title: 'CRM or JSON API', blurb: 'HubSpot, Pipedrive, Zoho, Odoo, Freshsales, or any JSON API.',
    blank: (preset = 'hubspot') => ({ kind: 'http', preset, base_url: PRESETS[preset] ? PRESETS[preset].base : '' }),
    fields: (entry) => {
      const p = PRESETS[entry.preset];
      const custom = !p;
      return [
        { key: 'preset', label: 'CRM', type: 'select', choices: ['', ...Object.keys(PRESETS)], labels: { '': 'Any JSON API' } },
        { key: 'base_url', label: 'API address', type: 'url', placeholder: p ? p.base : 'https://api.example.com', required: true },
        !(p && p.oauth) && secret(p ? p.token : 'Token or password'),
        p && p.oauth && { key: 'oauth.client_id', label: 'App (client) id', type: 'text', required: true,
          help: 'From the app you registered with the provider; then Save and Connect to sign in.' },
        p && p.oauth && { key: 'oauth.client_secret', label: 'Keyring entry of the client secret', type: 'text', placeholder: 'none (public client)', advanced: true },
        p && p.oauth && { key: 'oauth.tenant', label: 'Microsoft tenant', type: 'text', placeholder: 'organizations', advanced: true },
        (custom || (p && p.user)) && { key: 'username', label: 'User', type: 'text', help: 'For basic auth or Odoo’s login.' },
        { key: 'journal', label: 'Write finished calls to this CRM', type: 'bool' },
        custom && { key: 'lookup.url', label: 'Lookup URL', type: 'text', required: true, placeholder: '{base_url}/contacts?phone={e164}' },
        custom && { key: 'map.results', label: 'Where the results are (JSON pointer)', type: 'text', placeholder: '(the whole answer)' },
        custom && { key: 'map.id', label: 'A result’s id', type: 'text', required: true, placeholder: '/id' },
        custom && { key: 'map.name', label: 'A result’s name', type: 'text', required: true, placeholder: '/name' },
        custom && { key: 'map.phones', label: 'A result’s phones', type: 'text', placeholder: '/phones/*' },
        { key: 'auth', label: 'How the token is sent', type: 'select', choices: ['', 'bearer', 'basic', 'header', 'query', 'none'], labels: { '': 'preset default' }, advanced: true },
        { key: 'auth_name', label: 'Header or query parameter name', type: 'text', advanced: true },
        { key: 'app_url', label: 'Web app address (profile links)', type: 'url', placeholder: 'the API address', advanced: true },
        { key: 'database', label: 'Database (Odoo)', type: 'text', placeholder: 'first label of the host', advanced: true },
        { key: 'profile_url', label: 'Profile link', type: 'text', placeholder: 'preset default', advanced: true },
        { key: 'create_contact_url', label: 'Create-contact page', type: 'text', placeholder: 'preset default', advanced: true },
        timeout,
        { key: 'rate_limit_per_s', label: 'At most (requests/s)', type: 'number', placeholder: 'preset default', advanced: true },
        name(entry.preset || 'http'),
      ].filter(Boolean);
    },
  },
  ldap: {
    title: 'LDAP directory', blurb: 'A company directory (OpenLDAP, Active Directory).',
    blank: () => ({ kind: 'ldap', url: 'ldap://', base_dn: '' }),
    fields: [
      { key: 'url', label: 'Server', type: 'text', placeholder: 'ldaps://ldap.example.com', required: true },
      { key: 'base_dn', label: 'Search base', type: 'text', placeholder: 'ou=people,dc=example,dc=com', required: true },
      { key: 'bind_dn', label: 'Bind DN', type: 'text', placeholder: 'anonymous' },
      secret('Bind password'),
      { key: 'starttls', label: 'StartTLS (ldap:// only)', type: 'bool', advanced: true },
      { key: 'filter', label: 'Search filter', type: 'text', placeholder: '(|(telephoneNumber=*{last4})…)', advanced: true },
      { key: 'profile_url', label: 'Profile link ({id})', type: 'text', advanced: true },
      timeout, name('ldap'),
    ],
  },
  carddav: {
    title: 'CardDAV address book', blurb: 'Nextcloud, Radicale, iCloud, Fastmail…',
    blank: () => ({ kind: 'carddav', url: 'https://' }),
    fields: [
      { key: 'url', label: 'Address book URL', type: 'url', placeholder: 'https://dav.example.com/alice/contacts/', required: true },
      { key: 'username', label: 'User', type: 'text' },
      secret('Password'),
      { key: 'refresh_s', label: 'Check for changes every (s)', type: 'number', placeholder: '60', advanced: true },
      timeout, name('carddav'),
    ],
  },
};

/** The fields of an entry of `kinds` (some depend on the entry, e.g. the CRM preset). */
export function fieldsOf(kinds, entry) {
  const spec = kinds[entry.kind];
  if (!spec) return [];
  return typeof spec.fields === 'function' ? spec.fields(entry) : spec.fields;
}

/** The general sections: [section, title, fields]. */
export const SECTIONS = [
  ['notify', 'Notifications', [
    { key: 'pop_on', label: 'Greet when the call', type: 'select', choices: ['ringing', 'answered', 'manual'] },
    { key: 'enabled', label: 'Show notifications (off = do not disturb at start)', type: 'bool' },
    { key: 'auto_open', label: 'Open the profile by itself for known callers', type: 'bool' },
    { key: 'missed', label: 'Leave a notification for missed calls', type: 'bool' },
    { key: 'sticky_vip', label: 'Keep a VIP’s greeting on screen until the call ends', type: 'bool' },
  ]],
  ['phone', 'Phone numbers', [
    { key: 'default_region', label: 'Home region', type: 'text', placeholder: 'US', help: 'ISO code for numbers without a country code (US, DE, GB…).' },
    { key: 'match_last_digits', label: 'Match on the last N digits', type: 'number', placeholder: '9', advanced: true },
  ]],
  ['lookup', 'Lookup', [
    { key: 'budget_ms', label: 'Budget before “Looking up…” (ms)', type: 'number', placeholder: '800' },
    { key: 'cache_ttl_s', label: 'Keep a CRM answer for (s)', type: 'number', placeholder: '3600', advanced: true },
    { key: 'miss_ttl_s', label: 'Keep a “not found” for (s)', type: 'number', placeholder: '300', advanced: true },
  ]],
  ['webhook', 'Local events (webhook)', [
    { key: 'enabled', label: 'Accept events on 127.0.0.1', type: 'bool' },
    { key: 'port', label: 'Port', type: 'number', placeholder: '17321', advanced: true },
    { key: 'token_secret', label: 'Keyring entry of the bearer token', type: 'text', placeholder: 'webhook-token', advanced: true },
  ]],
];
