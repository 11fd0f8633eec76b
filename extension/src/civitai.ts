// Content script for civitai.com: a model page gets the button; it sends the version and file the page shows.
import { civitaiRequest } from './pages.js';
import { mountSendButton } from './send-button.js';

function nextData(): unknown {
  const script = document.getElementById('__NEXT_DATA__');
  if (script === null) return null;
  try {
    return JSON.parse(script.textContent ?? '') as unknown;
  } catch {
    return null;
  }
}

mountSendButton(() =>
  civitaiRequest({
    url: location.href,
    nextData: nextData(),
    downloadHrefs: [...document.querySelectorAll<HTMLAnchorElement>('a[href*="/api/download/models/"]')].map((a) => a.getAttribute('href') ?? ''),
  }),
);
