import { InvalidArgumentError } from 'commander';

/** A commander argument parser for whole numbers at or above `min`, with the option's name in the error. */
export const wholeNumber = (label: string, min = 0) => (value: string): number => {
  const n = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`${label} must be a whole number${min > 0 ? ` from ${min}` : ''}, got '${value}'`);
  }
  return n;
};

/** CivitAI ids: positive whole numbers. */
export const civitaiId = (label: string) => wholeNumber(label, 1);
