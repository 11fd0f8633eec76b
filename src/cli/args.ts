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

/** A commander argument parser for one of a few words, taken in any case and returned as listed. */
export const oneOf = <const T extends readonly string[]>(label: string, values: T) => (value: string): T[number] => {
  const found = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
  if (found === undefined) throw new InvalidArgumentError(`${label} must be one of ${values.join(', ')}, got '${value}'`);
  return found;
};
