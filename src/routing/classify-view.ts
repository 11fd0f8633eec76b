// Read-only queries over tensor names and shapes, optionally seen through a key prefix.
import type { TensorShape } from './classify-types.js';

export interface TensorView {
  readonly names: readonly string[];
  has(name: string): boolean;
  shape(name: string): readonly number[] | undefined;
  /** Dimension `index` of a tensor (negative counts from the end). */
  dim(name: string, index: number): number | undefined;
  some(predicate: (name: string) => boolean): boolean;
  find(predicate: (name: string) => boolean): string | undefined;
  count(predicate: (name: string) => boolean): number;
  startsWith(prefix: string): boolean;
  /** The tensors under `prefix`, with the prefix removed from their names. */
  under(prefix: string): TensorView;
  /** Largest N among names matching `pattern` whose first capture group is N (e.g. /^blocks\.(\d+)\./). */
  maxIndex(pattern: RegExp): number | undefined;
}

export function tensorView(tensors: ReadonlyMap<string, TensorShape>): TensorView {
  const names = [...tensors.keys()];
  const shapeOf = (name: string) => tensors.get(name)?.shape;
  return {
    names,
    has: (name) => tensors.has(name),
    shape: shapeOf,
    dim(name, index) {
      const shape = shapeOf(name);
      return shape?.[index < 0 ? shape.length + index : index];
    },
    some: (predicate) => names.some(predicate),
    find: (predicate) => names.find(predicate),
    count: (predicate) => names.reduce((n, name) => (predicate(name) ? n + 1 : n), 0),
    startsWith: (prefix) => names.some((name) => name.startsWith(prefix)),
    under(prefix) {
      if (prefix === '') return this;
      const inner = new Map<string, TensorShape>();
      for (const [name, tensor] of tensors) if (name.startsWith(prefix)) inner.set(name.slice(prefix.length), tensor);
      return tensorView(inner);
    },
    maxIndex(pattern) {
      let max: number | undefined;
      for (const name of names) {
        const captured = pattern.exec(name)?.[1];
        if (captured !== undefined) max = Math.max(max ?? 0, Number(captured));
      }
      return max;
    },
  };
}
