// The toolbar popup: pairing with comfyui-dl, and whether it is paired.
import { ext } from './browser-api.js';
import type { Reply } from './messages.js';

const status = document.getElementById('status')!;
const form = document.getElementById('pair') as HTMLFormElement;
const code = document.getElementById('code') as HTMLInputElement;
const forget = document.getElementById('unpair') as HTMLButtonElement;

function show(reply: Reply): void {
  status.textContent = reply.text;
  status.dataset.tone = reply.ok ? 'ok' : 'error';
  forget.hidden = !reply.ok;
}

const ask = (message: unknown): Promise<Reply> => ext.runtime.sendMessage(message) as Promise<Reply>;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  status.textContent = 'Pairing…';
  void ask({ kind: 'pair', code: code.value }).then((reply) => {
    show(reply);
    if (reply.ok) code.value = '';
  });
});
forget.addEventListener('click', () => void ask({ kind: 'forget' }).then(show));
void ask({ kind: 'status' }).then(show);
