// Content script for huggingface.co: a file page (…/blob/<revision>/<path>) gets the button; it sends the file's URL.
import { huggingfaceRequest } from './pages.js';
import { mountSendButton } from './send-button.js';

mountSendButton(() => huggingfaceRequest({ url: location.href }));
