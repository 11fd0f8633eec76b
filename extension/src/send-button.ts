// The "Send to comfyui-dl" button the content scripts put on a page: in a shadow root, so the page's styles
// neither break it nor are broken by it, fixed at the bottom right where no site layout puts it out of view.
import { ext } from './browser-api.js';
import type { Reply } from './messages.js';
import type { SendRequest } from './pages.js';

const HOST_ID = 'comfyui-dl-send';

const STYLE = `
  :host { all: initial; position: fixed; right: 20px; bottom: 20px; z-index: 2147483647; font: 14px/1.4 system-ui, sans-serif; }
  .box { display: grid; justify-items: end; gap: 8px; max-width: 340px; }
  button { all: unset; cursor: pointer; padding: 10px 16px; border-radius: 10px; background: #3b5bdb; color: #fff; font-weight: 600; box-shadow: 0 4px 14px rgb(0 0 0 / 0.25); }
  button:focus-visible { outline: 3px solid #fff; outline-offset: 2px; }
  button[disabled] { opacity: 0.7; cursor: default; }
  .status { padding: 8px 12px; border-radius: 8px; background: #fff; color: #1c1c1a; box-shadow: 0 4px 14px rgb(0 0 0 / 0.2); }
  .status[data-tone='error'] { color: #c92a2a; }
  .status[data-tone='ok'] { color: #237032; }
  .status:empty { display: none; }
`;

/**
 * Keeps the button in step with the page: shown while `read()` finds something to send (sites change pages
 * without reloading), and sends what the page shows at the moment of the click.
 */
export function mountSendButton(read: () => SendRequest | null): void {
  const host = document.createElement('div');
  host.id = HOST_ID;
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>${STYLE}</style><div class="box"><div class="status" role="status" aria-live="polite"></div><button type="button">Send to comfyui-dl</button></div>`;
  const button = root.querySelector('button')!;
  const status = root.querySelector<HTMLElement>('.status')!;

  button.addEventListener('click', () => {
    const request = read();
    if (request === null) return;
    button.disabled = true;
    status.dataset.tone = '';
    status.textContent = 'Sending…';
    void (ext.runtime.sendMessage({ kind: 'send', request }) as Promise<Reply>)
      .catch((e: unknown): Reply => ({ ok: false, text: `The extension could not send it: ${String(e)}` }))
      .then((reply) => {
        button.disabled = false;
        status.dataset.tone = reply.ok ? 'ok' : 'error';
        status.textContent = reply.text;
      });
  });

  let lastUrl = '';
  const sync = (): void => {
    if (location.href !== lastUrl) {
      lastUrl = location.href;
      status.textContent = '';
    }
    const wanted = read() !== null;
    if (wanted && !host.isConnected) document.body.append(host);
    else if (!wanted && host.isConnected) host.remove();
  };
  sync();
  setInterval(sync, 1000);
}
