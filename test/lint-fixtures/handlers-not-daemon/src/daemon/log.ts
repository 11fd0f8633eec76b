export const createLog = () => (message: string): string => message;
