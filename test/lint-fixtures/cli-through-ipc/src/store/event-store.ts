export const readAll = (): unknown[] => [];
