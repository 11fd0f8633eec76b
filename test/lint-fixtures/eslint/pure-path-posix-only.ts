// Linted as src/routing/classify-fixture.ts: the platform's path flavour in a pure room.
import { join } from 'node:path';

export const loraDir = (root: string): string => join(root, 'loras');
