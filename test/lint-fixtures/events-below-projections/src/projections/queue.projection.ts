export const queueRow = { id: 'job' };
