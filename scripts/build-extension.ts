// `npm run build` step: the shipped extension, into extension/dist (what `comfyui-dl ui` tells users to load).
import { join } from 'node:path';
import { buildExtension, EXTENSION_SOURCE } from './extension/build.js';

await buildExtension({ outDir: join(EXTENSION_SOURCE, 'dist') });
