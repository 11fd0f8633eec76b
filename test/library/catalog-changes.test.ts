import { describe, expect, it } from 'vitest';
import { catalogChanges, type CatalogEntry, type SeenFile } from '../../src/handlers/scan/catalog-changes.js';
import { scanScope, warningMeans } from '../../src/handlers/scan/scan-scope.js';
import { folderOfModelsPath } from '../../src/routing/folders.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const seen = (path: string, sha256: string): SeenFile => ({ path, sha256, folder: folderOfModelsPath(path), size: 10 });
const row = (path: string, sha256: string, missing = false): CatalogEntry => ({ path, sha256, missing });
const everywhere = () => true;

describe('catalogChanges', () => {
  it('reports nothing when the disk matches the catalog', () => {
    expect(catalogChanges([row('loras/x.safetensors', A)], [seen('loras/x.safetensors', A)], everywhere)).toEqual([]);
  });

  it('calls other bytes at a known path a discovery, and does not pair them into a move', () => {
    expect(catalogChanges([row('loras/x.safetensors', A)], [seen('loras/x.safetensors', B), seen('loras/y.safetensors', A)], everywhere)).toEqual([
      { type: 'file.discovered', data: { path: 'loras/x.safetensors', folder: 'loras', sha256: B, sizeBytes: 10 } },
      { type: 'file.discovered', data: { path: 'loras/y.safetensors', folder: 'loras', sha256: A, sizeBytes: 10 } },
    ]);
  });

  it('pairs a missing row with the same bytes at a new path into a move', () => {
    expect(catalogChanges([row('loras/x.safetensors', A, true)], [seen('checkpoints/x.safetensors', A)], everywhere)).toEqual([
      { type: 'file.moved', data: { from: 'loras/x.safetensors', to: 'checkpoints/x.safetensors', sha256: A, folder: 'checkpoints' } },
    ]);
  });

  it('reports a missing file once, and its return', () => {
    expect(catalogChanges([row('loras/x.safetensors', A)], [], everywhere)).toEqual([{ type: 'file.missing', data: { path: 'loras/x.safetensors', sha256: A } }]);
    expect(catalogChanges([row('loras/x.safetensors', A, true)], [], everywhere)).toEqual([]);
    expect(catalogChanges([row('loras/x.safetensors', A, true)], [seen('loras/x.safetensors', A)], everywhere)).toEqual([
      { type: 'file.returned', data: { path: 'loras/x.safetensors', sha256: A } },
    ]);
  });

  it('leaves rows the walk could not see alone', () => {
    const inScope = scanScope({ modelsDir: '/m', extraRoots: ['/mnt/extra'], unscannedRoots: new Set(['/mnt/extra']), unseen: ['loras/locked'] });
    const catalog = [row('/mnt/extra/loras/x.safetensors', A), row('loras/locked/y.safetensors', B), row('/elsewhere/z.safetensors', B)];
    expect(catalogChanges(catalog, [], inScope)).toEqual([]);
    expect(inScope('loras/lockedish.safetensors')).toBe(true);
  });
});

describe('folderOfModelsPath', () => {
  it('names the ComfyUI folder of the first folder below the models folder, legacy names mapped', () => {
    expect(folderOfModelsPath('loras/sdxl/x.safetensors')).toBe('loras');
    expect(folderOfModelsPath('unet/flux.safetensors')).toBe('diffusion_models');
    expect(folderOfModelsPath('clip/t5.safetensors')).toBe('text_encoders');
    expect(folderOfModelsPath('t2i_adapter/a.safetensors')).toBe('controlnet');
    expect(folderOfModelsPath('my_nodes/a.safetensors')).toBe('my_nodes');
    expect(folderOfModelsPath('x.safetensors')).toBe('.');
  });
});

describe('warningMeans', () => {
  it('calls what vanished gone, and what is only unreadable unknown', () => {
    const w = (code: 'ROOT_MISSING' | 'DIR_UNREADABLE' | 'BROKEN_SYMLINK' | 'SYMLINK_LOOP' | 'STAT_FAILED', errno?: string) => warningMeans({ code, path: '/x', message: '', errno });
    expect([w('ROOT_MISSING', 'ENOENT'), w('BROKEN_SYMLINK', 'ENOENT'), w('DIR_UNREADABLE', 'ENOTCONN'), w('STAT_FAILED', 'EIO')]).toEqual(['gone', 'gone', 'gone', 'gone']);
    expect([w('DIR_UNREADABLE', 'EACCES'), w('SYMLINK_LOOP', 'ELOOP'), w('STAT_FAILED', 'EPERM')]).toEqual(['unknown', 'unknown', 'unknown']);
  });
});
