// Pure-looking itself: the I/O is one room away.
import { folderNames } from '../routing/folders.js';

export const knownFolder = (name: string): boolean => folderNames().includes(name);
