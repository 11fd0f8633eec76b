import { readdirSync } from 'node:fs';

export const folderNames = (): string[] => readdirSync('models');
