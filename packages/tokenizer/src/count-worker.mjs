// A token-counting worker thread (see pool.ts). Worker threads start without the parent's
// TypeScript loader, so this entry registers tsx for its own thread and then loads the counting
// code: the same countChatTokens every other caller uses.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { countChatTokens } = await import('./index.ts');

parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ type: 'result', id: job.id, tokens: countChatTokens(job.messages) });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', id: job.id, message: String(err?.message ?? err) });
  }
});
parentPort.postMessage({ type: 'ready' });
