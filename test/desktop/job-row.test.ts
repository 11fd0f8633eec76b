import { describe, expect, it } from 'vitest';
import { rowView, type LiveProgress } from '../../desktop/src/lib/job-row.js';
import { addFailure, checkRefInput, forTheApp } from '../../desktop/src/lib/messages.js';
import type { JobJson } from '../../src/ipc/protocol.js';

const GiB = 1024 ** 3;
const NOW = Date.parse('2026-03-10T12:00:00Z');
const job = (over: Partial<JobJson>): JobJson => ({
  id: 'j1', state: 'queued', modelId: 1, versionId: 2, fileId: 3, fileName: 'model.safetensors', path: null, sha256: null, bytesDone: 0, bytesTotal: 4 * GiB,
  error: null, errorCode: null, modelName: 'Model', versionName: 'v1', type: 'Checkpoint', baseModel: 'SDXL 1.0', folder: null, routingReason: null,
  attempts: 1, nextAttemptAt: null, pausedReason: null, createdAt: '2026-03-10T11:00:00Z', updatedAt: '2026-03-10T11:59:00Z',
  source: 'civitai', repo: null, revision: null, repoPath: null, ...over,
});
const flowing = (bytesDone: number, at = NOW - 500): LiveProgress => ({ bytesDone, bytesTotal: 4 * GiB, speed: 50 * 1024 ** 2, at });
const online = { now: NOW, online: true };

describe('a Downloads row in every state of the job lifecycle', () => {
  it('after a resume or a restart, bytes that flow make the row Downloading with speed and time left, not a frozen "Resolving"', () => {
    const resumed = job({ state: 'resolving', bytesDone: 1 * GiB, attempts: 2 });
    expect(rowView(resumed, undefined, online)).toMatchObject({ state: 'resolving', label: 'Resuming', amounts: '1.0 GiB of 4.0 GiB', speed: null });
    const moving = rowView(resumed, flowing(2 * GiB), online);
    expect(moving).toMatchObject({ state: 'downloading', label: 'Downloading', amounts: '2.0 GiB of 4.0 GiB', speed: '50.0 MiB/s', eta: '41 s', bar: 0.5 });
    expect(moving.actions.map((a) => a.action)).toEqual(['pause', 'cancel']);
  });

  it('drops speed and time left when progress stops coming or the daemon is offline', () => {
    const downloading = job({ state: 'downloading', bytesDone: GiB });
    expect(rowView(downloading, flowing(2 * GiB, NOW - 6000), online)).toMatchObject({ speed: null, eta: null, amounts: '2.0 GiB of 4.0 GiB' });
    const offline = rowView(downloading, flowing(2 * GiB), { now: NOW, online: false });
    expect(offline).toMatchObject({ speed: null, eta: null, stale: true, moving: false });
  });

  it('waiting shows a countdown to its next attempt, why, and Retry now', () => {
    const waiting = job({ state: 'waiting', attempts: 3, nextAttemptAt: '2026-03-10T12:00:42Z', error: 'the storage host refused the connection', bytesDone: GiB });
    const view = rowView(waiting, undefined, online);
    expect(view).toMatchObject({ label: 'Retrying in 42 s', tone: 'amber' });
    expect(view.note?.text).toContain('The storage host refused the connection');
    expect(view.note?.text).toContain('Attempt 3');
    expect(view.actions).toEqual([{ action: 'resume', label: 'Retry now' }, { action: 'cancel', label: 'Cancel' }]);
    expect(rowView({ ...waiting, nextAttemptAt: '2026-03-10T11:59:00Z' }, undefined, online).label).toBe('Retrying now');
    expect(rowView({ ...waiting, nextAttemptAt: null }, undefined, online).label).toBe('Waiting to retry');
    // A progress frame that lingers from before does not make a waiting job look like it downloads.
    expect(rowView(waiting, flowing(2 * GiB), online).state).toBe('waiting');
  });

  it('paused for disk space says so with the numbers; paused by the user does not invent a reason', () => {
    const message = 'Not enough disk space: need 70.4 TB, 82.7 GB free on /models. Free some space (or choose another staging folder), then resume the download.';
    const full = rowView(job({ state: 'paused', pausedReason: 'disk_full', errorCode: 'DISK_FULL', error: message, bytesDone: GiB }), undefined, online);
    expect(full).toMatchObject({ label: 'Paused: disk full', note: { tone: 'warn', text: message }, amounts: '1.0 GiB of 4.0 GiB' });
    const user = rowView(job({ state: 'paused', pausedReason: 'user', bytesDone: GiB }), flowing(2 * GiB), online);
    expect(user).toMatchObject({ state: 'paused', label: 'Paused', note: null, amounts: '1.0 GiB of 4.0 GiB', speed: null });
    expect(user.actions.map((a) => a.action)).toEqual(['resume', 'cancel']);
  });

  it('failed and cancelled offer a button, and the message names no CLI command', () => {
    const failed = rowView(job({ state: 'failed', errorCode: 'HASH_MISMATCH', error: 'hash mismatch: CivitAI lists aa, the download is bb; the file was quarantined and nothing was placed (run `comfyui-dl retry j1`)' }), undefined, online);
    expect(failed.note).toEqual({ tone: 'error', text: 'Hash mismatch: CivitAI lists aa, the download is bb; the file was quarantined and nothing was placed' });
    expect(failed.actions).toEqual([{ action: 'retry', label: 'Retry' }]);
    expect(rowView(job({ state: 'cancelled' }), undefined, online).actions).toEqual([{ action: 'retry', label: 'Download again' }]);
    expect(rowView(job({ state: 'completed', bytesDone: 4 * GiB }), undefined, online)).toMatchObject({ label: 'Completed', bar: undefined, actions: [] });
  });

  it('queued, starting and verifying read as such', () => {
    expect(rowView(job({ state: 'queued' }), undefined, online)).toMatchObject({ label: 'Queued', amounts: null, note: null });
    expect(rowView(job({ state: 'queued', bytesDone: GiB }), undefined, online).note?.text).toMatch(/from where it stopped/);
    expect(rowView(job({ state: 'resolving', attempts: 1 }), undefined, online)).toMatchObject({ label: 'Starting', bar: null, moving: true });
    expect(rowView(job({ state: 'verifying', bytesDone: 4 * GiB }), undefined, { now: NOW, online: false })).toMatchObject({ label: 'Verifying', moving: false });
  });
});

describe('messages for people who click', () => {
  it('turns CLI hints into the buttons the app has', () => {
    expect(forTheApp("The file's SHA-256 is not the one CivitAI lists; it was quarantined and nothing was placed. Retry with `comfyui-dl retry abc`."))
      .toBe("The file's SHA-256 is not the one CivitAI lists; it was quarantined and nothing was placed.");
    expect(forTheApp('the disk holding /m is full: free some space, then `comfyui-dl resume`')).toBe('The disk holding /m is full: free some space, then press Resume');
    expect(forTheApp('version 5 has no file matching fp16 (available: a, b); pick one with --file ID.')).toBe('Version 5 has no file matching fp16 (available: a, b); pick one of its files on the model page.');
    expect(forTheApp('no download job x; list them with `comfyui-dl queue --all`')).toBe('No download job x');
  });

  it('refuses a too-long link in words before sending it, and hides schema words', () => {
    expect(checkRefInput('https://civitai.com/models/1')).toBeNull();
    expect(checkRefInput(`https://civitai.com/models/1?${'x'.repeat(3000)}`)).toMatch(/^This link is 3,0\d\d characters long; comfyui-dl takes links of up to 2,048\./);
    const schema = addFailure({ code: 'BAD_PARAMS', message: "bad params for 'add': ref: Too big: expected string to have <=2048 characters" });
    expect(schema).not.toMatch(/params|expected|<=/);
  });
});
