export const printErr = (message: string): string => message;
