export const appendEvent = (): void => undefined;
