// `npm run demo`: the main job end to end, offline. Starts the bundled CivitAI and Hugging Face Hub simulators on
// 127.0.0.1, a daemon on a temporary folder, downloads one model of several kinds through the CLI with live progress
// (and one file from a Hugging Face repo), then shows where each file landed, its verified SHA-256, why it went
// there, completes a ComfyUI workflow's missing models, and that replaying the log rebuilds the same views.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { connectIpc } from '../src/ipc/client.js';
import { projectRoot } from '../src/config/project-root.js';
import { DEFAULT_IDS, startSimulator } from '../src/simulator/index.js';
import { HUB_FILES, HUB_IDS, startHubSimulator } from '../src/simulator/huggingface/index.js';

const keep = process.argv.includes('--keep');
const bin = join(projectRoot(import.meta.url), 'bin', 'comfyui-dl');
const dir = mkdtempSync(join(tmpdir(), 'comfyui-dl-demo-'));
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`== ${s}`)}`);

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  console.log(`$ comfyui-dl ${args.join(' ')}`);
  return new Promise((resolve) => spawn(process.execPath, [bin, ...args], { env, stdio: 'inherit' }).once('close', resolve));
}

const sim = await startSimulator();
const hub = await startHubSimulator();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: dir,
  XDG_CONFIG_HOME: join(dir, 'config'),
  XDG_RUNTIME_DIR: join(dir, 'run'),
  COMFYUI_DL_DATA_DIR: join(dir, 'data'),
  COMFYUI_DL_SOCKET: join(dir, 'run', 'comfyui-dl', 'daemon.sock'),
  COMFYUI_MODELS_DIR: join(dir, 'ComfyUI', 'models'),
  CIVITAI_BASE_URL: sim.apiUrl,
  HF_ENDPOINT: hub.hubUrl,
  COMFYUI_DL_UPDATE_INTERVAL: '0',
};
// A little friction, as on a real network: each connection is throttled and the first transfer drops mid-way.
sim.addFault({ kind: 'throttle', bytesPerSecond: 3_000_000, times: Infinity });
sim.addFault({ kind: 'drop', afterBytes: 1_500_000, fileId: DEFAULT_IDS.sd15Checkpoint.fileId });

// A file the user downloaded long ago by hand, under another name: the startup scan will recognise it by its hash.
const oldFile = join(env.COMFYUI_MODELS_DIR!, 'loras', 'from-last-year.safetensors');
mkdirSync(dirname(oldFile), { recursive: true });
writeFileSync(oldFile, sim.fileBytes(DEFAULT_IDS.twoVersionLora.olderFileId));
utimesSync(oldFile, new Date(Date.now() - 365 * 86_400_000), new Date(Date.now() - 365 * 86_400_000));

step(`CivitAI simulator on ${sim.apiUrl}, Hugging Face Hub simulator on ${hub.hubUrl}; daemon on ${dir}`);
const daemon = spawn(process.execPath, [bin, 'daemon'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
let exitCode = 0;
try {
  for (let i = 0; ; i++) {
    const c = await connectIpc(env.COMFYUI_DL_SOCKET!, { timeoutMs: 500 });
    if (c.isOk()) {
      await c.value.close();
      break;
    }
    if (i > 100) throw new Error('the daemon did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await run(['status'], env);

  step('Add models the ways users paste them: a model page URL, an AIR, a download URL, ids');
  const adds: string[][] = [
    [`${sim.apiUrl}/models/${DEFAULT_IDS.sd15Checkpoint.modelId}?modelVersionId=${DEFAULT_IDS.sd15Checkpoint.versionId}`],
    [`urn:air:sdxl:lora:civitai:${DEFAULT_IDS.sdxlLora.modelId}@${DEFAULT_IDS.sdxlLora.versionId}`],
    [`${sim.apiUrl}/api/download/models/${DEFAULT_IDS.fluxUnetAsCheckpoint.versionId}`],
    ['--model', String(DEFAULT_IDS.vae.modelId)],
    ['--version', String(DEFAULT_IDS.embedding.versionId)],
    ['--version', String(DEFAULT_IDS.upscalerPickle.versionId)],
  ];
  for (const a of adds) await run(['add', ...a], env);

  step('Follow the last one live until it is verified and placed (the others run alongside, 2 at a time)');
  await run(['add', '--version', String(DEFAULT_IDS.controlnet.versionId), '--wait'], env);
  for (let i = 0; i < 600; i++) {
    const c = await connectIpc(env.COMFYUI_DL_SOCKET!);
    const queue = c.isOk() ? await c.value.request('queue', {}) : undefined;
    if (c.isOk()) await c.value.close();
    if (queue?.isOk() && queue.value.jobs.every((j) => j.state === 'failed' || j.state === 'paused')) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  step('A file from a Hugging Face repo: pinned to the commit main points at, verified by the hub\'s SHA-256, routed by its header');
  await run(['add', `hf://${HUB_IDS.flux}/${HUB_FILES.fluxVae}`, '--wait'], env);

  step('Every job: state, where it landed (relative to the models folder)');
  await run(['queue', '--all'], env);
  step('The catalog: what is on disk, routed by each file’s own header');
  await run(['list'], env);
  step('Why the Flux "Checkpoint" went to a diffusion-model folder (unet/), and the dropped connection resumed');
  await run(['history', '--type', 'routing.decided'], env);
  await run(['history', '--type', 'download.transfer_completed'], env);
  step('The file that was already there: found at start, identified by its SHA-256, given a sidecar');
  await run(['scan', '--wait'], env);
  await run(['list'], env);
  step('CivitAI publishes a newer version of a model you have, a Hugging Face branch moves on: one poll finds both');
  sim.world.publishVersion(DEFAULT_IDS.sd15Checkpoint.modelId, {
    id: 2999, name: 'v2.0', baseModel: 'SD 1.5',
    files: [{ id: 3999, name: 'simRealistic_v20.safetensors', content: { format: 'safetensors', fixture: 'sd15-checkpoint' } }],
  });
  // And a newer commit on main of the Hugging Face repo changes the file downloaded from it.
  hub.commit(HUB_IDS.flux, { title: 'Retrained VAE', changes: [{ path: HUB_FILES.fluxVae }] });
  await run(['updates', '--check'], env);
  step('A shared ComfyUI workflow: which of its models are here, and the rest fetched into the exact folders and names it loads');
  const demoWorkflow = relative(process.cwd(), join(projectRoot(import.meta.url), 'docs', 'demo-workflow.json'));
  await run(['workflow', demoWorkflow], env);
  console.log('(the LoRA has only a hash in the workflow: CivitAI is asked which file has it)');
  if ((await run(['workflow', demoWorkflow, '--get', '--wait'], env)) !== 0) throw new Error('the workflow was not completed');
  step('Replay rebuilds every view from the log, running no side effect');
  await run(['replay'], env);
  console.log(`\nModels, sidecars and previews are in ${join(dir, 'ComfyUI', 'models')}${keep ? '' : ' (removed at exit; pass --keep to keep them)'}`);
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  exitCode = 1;
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('close', r));
  await sim.close();
  await hub.close();
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
process.exitCode = exitCode;
