import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../config/project-root.js';
import { DESKTOP_ENTRY_NAME, UNIT_NAME } from './unit.js';

export interface ServiceTemplates {
  readonly unit: string;
  readonly desktopEntry: string;
}

/** The templates ship in the package's `systemd/` folder; a missing one is a broken install, hence a throw. */
export async function readServiceTemplates(root: string = projectRoot()): Promise<ServiceTemplates> {
  const [unit, desktopEntry] = await Promise.all([
    readFile(join(root, 'systemd', UNIT_NAME), 'utf8'),
    readFile(join(root, 'systemd', DESKTOP_ENTRY_NAME), 'utf8'),
  ]);
  return { unit, desktopEntry };
}
