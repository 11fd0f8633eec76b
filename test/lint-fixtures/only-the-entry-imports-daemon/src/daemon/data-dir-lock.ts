export const dataDirLocked = (): boolean => false;
