// DOM building without innerHTML: every string becomes a text node, so caller names, notes
// and CRM data can never become markup.

/** h('p', {class: 'x', onclick: fn}, 'text', child…) */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces a node's children. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

/** "just now" (under 5 s), "12 s ago", "3 min ago", "2 h ago", "yesterday", or a date. */
export function relativeTime(iso, now = Date.now()) {
  const then = new Date(iso).getTime();
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  if (abs < 60) return seconds <= 0 ? `${abs} s ago` : `in ${abs} s`;
  if (abs < 3600) return relative.format(Math.trunc(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.trunc(seconds / 3600), 'hour');
  if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), 'day');
  return new Date(iso).toLocaleDateString();
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function clock(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hours ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The number to dial or prefill for a call's remote party, if it has one. */
export function dialable(remote) {
  if (!remote || remote.kind !== 'number') return null;
  return remote.e164 || remote.digits || null;
}

/** Shows an error {code, message} in the notice bar. */
export function showNotice(message) {
  const bar = document.getElementById('notice');
  document.getElementById('notice-text').textContent = message;
  bar.hidden = false;
}

export function errorText(error) {
  return (error && error.message) || String(error);
}
