// The one door to the shell. withGlobalTauri is false, so nothing is on `window`: we import
// invoke/Channel from the vendored ESM build of @tauri-apps/api (ui/vendor/tauri-api, the
// same version as the tauri crate). Errors always come back as {code, message}.
import { invoke, Channel } from '../vendor/tauri-api/core.js';

/** Calls a shell command; rejects with {code, message}. */
export async function call(command, args = {}) {
  try {
    return await invoke(command, args);
  } catch (error) {
    if (error && typeof error === 'object' && 'code' in error) throw error;
    throw { code: 'ipc', message: String(error) };
  }
}

/** Subscribes to the shell's events; resolves to the snapshot to draw first. */
export function subscribe(onEvent) {
  const events = new Channel();
  events.onmessage = onEvent;
  return call('subscribe', { events });
}

/** A Channel for a command's progress reports. */
export function progressChannel(onProgress) {
  const channel = new Channel();
  channel.onmessage = onProgress;
  return channel;
}
