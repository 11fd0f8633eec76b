import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskKey } from '../../src/config/api-key.js';
import { resolveConfig, resolveConfigPath, type ResolveConfigInput } from '../../src/config/resolve.js';
import { defaultHost, SETTING_KEYS, type ConfigFlags } from '../../src/config/settings.js';

const base = {
  env: {},
  home: '/home/ada',
  uid: 1000,
  tmpdir: '/tmp',
  cwd: '/srv/project',
  flags: {},
  fileText: undefined,
} satisfies ResolveConfigInput;

const resolve = (overrides: Partial<ResolveConfigInput>) => resolveConfig({ ...base, ...overrides });
const file = (settings: Record<string, unknown>) => JSON.stringify(settings);
const CONFIG = '/home/ada/.config/comfyui-dl/config.json';

/**
 * ARCHITECTURE.md §5, row by row: the flag, the environment variable, the default, and three distinct
 * values to tell the sources apart (as given, and as resolved).
 */
const TABLE = [
  { key: 'modelsDir', flag: '--models-dir', env: 'COMFYUI_MODELS_DIR', default: '/home/ada/ComfyUI/models', values: ['/f/models', '/e/models', '/c/models'] },
  { key: 'dataDir', flag: '--data-dir', env: 'COMFYUI_DL_DATA_DIR', default: '/home/ada/.local/share/comfyui-dl', values: ['/f/data', '/e/data', '/c/data'] },
  { key: 'socket', flag: '--socket', env: 'COMFYUI_DL_SOCKET', default: '/tmp/comfyui-dl-1000/daemon.sock', values: ['/f/s.sock', '/e/s.sock', '/c/s.sock'] },
  { key: 'civitaiUrl', flag: '--civitai-url', env: 'CIVITAI_BASE_URL', default: 'https://civitai.com', values: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'https://c.example'] },
  { key: 'hfEndpoint', flag: '--hf-endpoint', env: 'HF_ENDPOINT', default: 'https://huggingface.co', values: ['http://127.0.0.1:3', 'https://hf-mirror.example', 'https://hub.example/hf'] },
  { key: 'concurrency', flag: '--concurrency', env: 'COMFYUI_DL_CONCURRENCY', default: 2, values: [3, 4, 5] },
  { key: 'updateInterval', flag: '--update-interval', env: 'COMFYUI_DL_UPDATE_INTERVAL', default: 21600, values: [0, 60, 3600] },
  { key: 'connections', flag: '--connections', env: 'COMFYUI_DL_CONNECTIONS', default: 16, values: [1, 8, 16] },
  { key: 'totalConnections', flag: '--total-connections', env: 'COMFYUI_DL_TOTAL_CONNECTIONS', default: 32, values: [1, 64, 256] },
  { key: 'pathTemplate', flag: '--path-template', env: 'COMFYUI_DL_PATH_TEMPLATE', default: '{folder}/{baseModel}/{fileName}', values: ['{folder}/{fileName}', '{folder}/{type}/{fileName}', '{folder}/{modelName}/{versionName}-{fileName}'] },
  { key: 'extraModelPaths', flag: '--extra-model-paths', env: 'COMFYUI_DL_EXTRA_MODEL_PATHS', default: null, values: ['/f/extra.yaml', '/e/extra.yaml', '/c/extra.yaml'] },
  { key: 'defaultRoot', flag: '--default-root', env: 'COMFYUI_DL_DEFAULT_ROOT', default: null, values: ['comfyui', 'a1111', '/mnt/big'] },
  { key: 'previewNsfwLevel', flag: '--preview-nsfw-level', env: 'COMFYUI_DL_PREVIEW_NSFW_LEVEL', default: 1, values: [2, 4, 8] },
  { key: 'earlyAccessUpdates', flag: '--early-access-updates', env: 'COMFYUI_DL_EARLY_ACCESS_UPDATES', default: false, values: [true, false, true] },
  { key: 'sameBaseModelUpdates', flag: '--same-base-model-updates', env: 'COMFYUI_DL_SAME_BASE_MODEL_UPDATES', default: false, values: [true, false, true] },
  { key: 'databaseUrl', flag: '--database-url', env: 'COMFYUI_DL_DATABASE_URL', default: null, values: ['postgres://a:b@127.0.0.1/x', 'postgresql://127.0.0.1:5433/y', 'postgres://db.lan/z'] },
  { key: 'hostName', flag: '--host-name', env: 'COMFYUI_DL_HOST_NAME', default: defaultHost(), values: ['gpu-1', 'gpu-2', 'workstation'] },
] as const;

describe('setting precedence: flag > environment > config file > default', () => {
  it('covers every setting in the table', () => {
    expect(TABLE.map((row) => row.key).sort()).toEqual([...SETTING_KEYS].sort());
  });

  for (const row of TABLE) {
    const [flagValue, envValue, fileValue] = row.values;
    const flags = { [row.key]: String(flagValue) } as ConfigFlags;
    const env = { [row.env]: String(envValue) };
    const fileText = file({ [row.key]: fileValue });

    it(`${row.key}: ${row.flag} / ${row.env} / file / default`, () => {
      const pick = (input: Partial<ResolveConfigInput>) => {
        const config = resolve(input)._unsafeUnwrap();
        return [config[row.key], config.sources[row.key]];
      };
      expect(pick({})).toEqual([row.default, 'default']);
      expect(pick({ fileText })).toEqual([fileValue, 'file']);
      expect(pick({ fileText, env })).toEqual([envValue, 'env']);
      expect(pick({ fileText, env, flags })).toEqual([flagValue, 'flag']);
      expect(pick({ flags })).toEqual([flagValue, 'flag']);
      expect(pick({ env })).toEqual([envValue, 'env']);
      // An empty variable counts as unset.
      expect(pick({ fileText, env: { [row.env]: '' } })).toEqual([fileValue, 'file']);
    });
  }

  it('finds the config file: --config > COMFYUI_DL_CONFIG > XDG_CONFIG_HOME > ~/.config', () => {
    const path = (flags: ConfigFlags, env: Record<string, string>) => resolveConfigPath(flags, { ...base, env });
    expect(path({}, {})).toBe(CONFIG);
    expect(path({}, { XDG_CONFIG_HOME: '/xdg/config' })).toBe('/xdg/config/comfyui-dl/config.json');
    expect(path({}, { XDG_CONFIG_HOME: '/xdg/config', COMFYUI_DL_CONFIG: '~/env.json' })).toBe('/home/ada/env.json');
    expect(path({ config: 'flag.json' }, { COMFYUI_DL_CONFIG: '/env.json' })).toBe('/srv/project/flag.json');
    expect(resolve({ flags: { config: '/etc/cdl.json' } })._unsafeUnwrap().configFile).toBe('/etc/cdl.json');
  });
});

describe('paths', () => {
  it('uses XDG_DATA_HOME and XDG_RUNTIME_DIR when set, and ignores relative values as the spec says', () => {
    const config = resolve({ env: { XDG_DATA_HOME: '/xdg/data', XDG_RUNTIME_DIR: '/run/user/1000' } })._unsafeUnwrap();
    expect(config.dataDir).toBe('/xdg/data/comfyui-dl');
    expect(config.socket).toBe('/run/user/1000/comfyui-dl/daemon.sock');
    const relative = resolve({ env: { XDG_DATA_HOME: 'data', XDG_RUNTIME_DIR: 'run', XDG_CONFIG_HOME: 'cfg' } })._unsafeUnwrap();
    expect(relative.dataDir).toBe('/home/ada/.local/share/comfyui-dl');
    expect(relative.socket).toBe('/tmp/comfyui-dl-1000/daemon.sock');
    expect(relative.configFile).toBe(CONFIG);
  });

  it('expands ~ everywhere, resolves relative flags and variables against the working folder, refuses them in the file', () => {
    const config = resolve({
      flags: { modelsDir: '~/m', dataDir: 'rel/data' },
      env: { COMFYUI_DL_SOCKET: './s.sock' },
      fileText: file({ socket: '~/unused.sock' }),
    })._unsafeUnwrap();
    expect([config.modelsDir, config.dataDir, config.socket]).toEqual(['/home/ada/m', '/srv/project/rel/data', '/srv/project/s.sock']);
    expect(resolve({ fileText: file({ modelsDir: '~' }) })._unsafeUnwrap().modelsDir).toBe('/home/ada');
    const relative = resolve({ fileText: file({ dataDir: 'data' }) })._unsafeUnwrapErr();
    expect(relative).toMatchObject({ code: 'CONFIG_INVALID_VALUE', setting: 'dataDir', source: 'file' });
    expect(relative.message).toBe(`setting 'dataDir' in ${CONFIG} must be a path (absolute, or starting with ~/) (got "data")`);
  });

  it('drops a trailing slash from the CivitAI URL', () => {
    expect(resolve({ flags: { civitaiUrl: 'http://127.0.0.1:8080/' } })._unsafeUnwrap().civitaiUrl).toBe('http://127.0.0.1:8080');
  });
});

describe('config file errors', () => {
  it('reports bad JSON with the file, the line and column, and the fix', () => {
    const error = resolve({ fileText: '{\n  "concurrency": 3,\n}\n' })._unsafeUnwrapErr();
    expect(error.code).toBe('CONFIG_BAD_JSON');
    expect(error.message).toBe(
      `${CONFIG} is not valid JSON at line 3, column 1: remove the comma before '}'. ` +
        'Fix it (JSON allows no comments or trailing commas) or delete it to use the defaults',
    );
  });

  it('names unknown settings and lists the known ones', () => {
    const error = resolve({ fileText: file({ models_dir: '/m', colour: 'red' }) })._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'CONFIG_UNKNOWN_SETTING', file: CONFIG });
    expect(error.message).toBe(
      `unknown setting 'models_dir' in ${CONFIG} (did you mean 'modelsDir'?); ` +
        'known settings: modelsDir, dataDir, socket, civitaiUrl, hfEndpoint, concurrency, updateInterval, connections, totalConnections, pathTemplate, ' +
        'extraModelPaths, defaultRoot, previewNsfwLevel, earlyAccessUpdates, sameBaseModelUpdates, databaseUrl, hostName, apiKey, hfToken',
    );
  });

  it('says which key is wrong and what it expects', () => {
    const message = (settings: Record<string, unknown>) => resolve({ fileText: file(settings) })._unsafeUnwrapErr().message;
    expect(message({ concurrency: '4' })).toBe(`setting 'concurrency' in ${CONFIG} must be an integer from 1 to 16 (got "4")`);
    expect(message({ concurrency: 17 })).toBe(`setting 'concurrency' in ${CONFIG} must be an integer from 1 to 16 (got 17)`);
    expect(message({ updateInterval: -1 })).toMatch(/'updateInterval'.*from 0 \(off\)/);
    expect(message({ civitaiUrl: 'ftp://civitai.com' })).toMatch(/'civitaiUrl'.*an http\(s\) URL/);
    expect(message({ modelsDir: 42 })).toMatch(/'modelsDir'.*must be a path/);
    expect(resolve({ fileText: '[1, 2]' })._unsafeUnwrapErr().message).toMatch(/must hold a JSON object/);
  });

  it('checks every rule at load: a template that could not place a file, a huge number, a NUL, a long socket', () => {
    const message = (settings: Record<string, unknown>) => resolve({ fileText: file(settings) })._unsafeUnwrapErr().message;
    expect(message({ pathTemplate: '{folder}/../{fileName}' })).toMatch(/'pathTemplate'.*: Path template "\{folder\}\/..\/\{fileName\}": it has an empty, "." or ".." segment/);
    expect(message({ pathTemplate: '{folder}/a/./{fileName}' })).toMatch(/"\." or "\.\." segment/);
    expect(message({ pathTemplate: '/etc/{folder}/{fileName}' })).toMatch(/it must start with \{folder\}\//);
    expect(message({ pathTemplate: '{folder}/{creator}/{fileName}' })).toMatch(/unknown placeholder \{creator\}/);
    expect(message({ pathTemplate: '{folder}/{baseModel}' })).toMatch(/its last segment must contain \{fileName\}/);
    expect(resolve({ env: { COMFYUI_DL_PATH_TEMPLATE: '{folder}//{fileName}' } })._unsafeUnwrapErr().message).toMatch(/^COMFYUI_DL_PATH_TEMPLATE must be .*empty/);
    expect(resolve({ fileText: '{"concurrency": 1e309}' })._unsafeUnwrapErr().message)
      .toBe(`setting 'concurrency' in ${CONFIG} must be an integer from 1 to 16 (got a number too large to represent)`);
    expect(resolve({ fileText: '{"updateInterval": -1e400}' })._unsafeUnwrapErr().message).toMatch(/\(got -a number too large to represent\)/);
    expect(message({ modelsDir: '/models/a\0b' })).toMatch(/'modelsDir'.*: a path cannot contain a NUL character/);
    expect(message({ socket: `/run/${'x'.repeat(120)}.sock` })).toMatch(/'socket'.*: it is 130 bytes long once resolved; Unix sockets allow 107/);
    expect(resolve({ flags: { socket: 'x'.repeat(100) } })._unsafeUnwrapErr().message).toMatch(/^--socket .*113 bytes long once resolved/);
  });

  it('rejects bad flag and environment values, naming the flag or the variable', () => {
    expect(resolve({ flags: { concurrency: '0' } })._unsafeUnwrapErr().message).toBe('--concurrency must be an integer from 1 to 16 (got "0")');
    expect(resolve({ env: { COMFYUI_DL_UPDATE_INTERVAL: '6h' } })._unsafeUnwrapErr()).toMatchObject({
      code: 'CONFIG_INVALID_VALUE',
      setting: 'updateInterval',
      source: 'env',
      message: expect.stringMatching(/^COMFYUI_DL_UPDATE_INTERVAL must be .* \(got "6h"\)$/),
    });
    expect(resolve({ flags: { concurrency: 2.5 } })._unsafeUnwrapErr().message).toMatch(/^--concurrency/);
  });

  it('treats an empty file, or one with only a BOM, as no settings', () => {
    expect(resolve({ fileText: '' })._unsafeUnwrap().sources.concurrency).toBe('default');
    expect(resolve({ fileText: '\uFEFF{"concurrency": 3}' })._unsafeUnwrap().concurrency).toBe(3);
  });
});

describe('the API key', () => {
  const KEY = 'CANARY0123456789abcdef0123456789';

  it('comes from CIVITAI_API_KEY first, else from the file', () => {
    const fromFile = resolve({ fileText: file({ apiKey: KEY }) })._unsafeUnwrap();
    expect([fromFile.apiKey, fromFile.sources.apiKey, fromFile.hasApiKey]).toEqual([KEY, 'file', true]);
    const fromEnv = resolve({ fileText: file({ apiKey: KEY }), env: { CIVITAI_API_KEY: 'envkey-0123456789' } })._unsafeUnwrap();
    expect([fromEnv.apiKey, fromEnv.sources.apiKey]).toEqual(['envkey-0123456789', 'env']);
    const none = resolve({})._unsafeUnwrap();
    expect([none.apiKey, none.sources.apiKey, none.hasApiKey]).toEqual([undefined, null, false]);
  });

  it('cannot leak through serialisation, spreading, inspection or key listing', () => {
    const config = resolve({ fileText: file({ apiKey: KEY }) })._unsafeUnwrap();
    expect(config.apiKey).toBe(KEY);
    expect(JSON.stringify(config)).not.toContain('CANARY');
    expect(JSON.stringify({ ...config })).not.toContain('CANARY');
    expect(inspect(config, { depth: 5 })).not.toContain('CANARY');
    expect(JSON.stringify(structuredClone(config))).not.toContain('CANARY');
    expect(Object.keys(config)).not.toContain('apiKey');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('never shows the key in an error', () => {
    const wrongType = resolve({ fileText: file({ apiKey: 12345678901234 }) })._unsafeUnwrapErr();
    expect(wrongType.message).toBe(`setting 'apiKey' in ${CONFIG} must be a string`);
    expect(wrongType.message).not.toContain('12345678901234');
    const spaced = resolve({ env: { CIVITAI_API_KEY: 'CANARY with spaces 0123' } })._unsafeUnwrapErr();
    expect(spaced.code).toBe('INVALID_API_KEY');
    expect(spaced.message).toMatch(/^CIVITAI_API_KEY contains spaces/);
    expect(spaced.message).not.toContain('CANARY');
    const otherError = resolve({ fileText: file({ apiKey: KEY, concurrency: 99 }) })._unsafeUnwrapErr();
    expect(JSON.stringify(otherError)).not.toContain('CANARY');
  });

  it('masks the key for display', () => {
    expect(maskKey(KEY)).toBe('CANA…6789');
    expect(maskKey('short-key')).toBe('****');
    expect(maskKey(undefined)).toBe('(not set)');
  });
});

describe('the Hugging Face token', () => {
  const TOKEN = 'hf_CanaryConfigToken0123456789abcdef';

  it('comes from HF_TOKEN first, else from the file, apart from the CivitAI key', () => {
    const fromFile = resolve({ fileText: file({ hfToken: TOKEN }) })._unsafeUnwrap();
    expect([fromFile.hfToken, fromFile.sources.hfToken, fromFile.hasHfToken, fromFile.apiKey]).toEqual([TOKEN, 'file', true, undefined]);
    const fromEnv = resolve({ fileText: file({ hfToken: TOKEN }), env: { HF_TOKEN: 'hf_fromTheEnvironment0123456789' } })._unsafeUnwrap();
    expect([fromEnv.hfToken, fromEnv.sources.hfToken]).toEqual(['hf_fromTheEnvironment0123456789', 'env']);
    expect(resolve({})._unsafeUnwrap().sources.hfToken).toBeNull();
  });

  it('cannot leak through serialisation or inspection, and a bad one is refused without showing it', () => {
    const config = resolve({ fileText: file({ hfToken: TOKEN }) })._unsafeUnwrap();
    expect(JSON.stringify({ ...config })).not.toContain('Canary');
    expect(inspect(config, { depth: 5 })).not.toContain('Canary');
    expect(Object.keys(config)).not.toContain('hfToken');
    const spaced = resolve({ env: { HF_TOKEN: 'hf_Canary with spaces' } })._unsafeUnwrapErr();
    expect(spaced.message).toMatch(/^HF_TOKEN contains spaces.*huggingface\.co\/settings\/tokens/);
    expect(spaced.message).not.toContain('Canary');
  });
});
