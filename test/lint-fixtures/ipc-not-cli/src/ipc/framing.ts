import { printErr } from '../cli/output.js';

export const reportFrameError = (message: string): void => printErr(message);
