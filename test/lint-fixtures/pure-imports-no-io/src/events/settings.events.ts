import { readFileSync } from 'node:fs';

export const settingsText = (): string => readFileSync('settings.json', 'utf8');
