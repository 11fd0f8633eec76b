import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { desktopExecArgument, systemdExecWord, systemdQuote } from '../../src/service/escape.js';
import { readServiceTemplates, type ServiceTemplates } from '../../src/service/templates.js';
import { renderDesktopEntry, renderUnit, type ServiceLayout } from '../../src/service/unit.js';
import { findProgram, run, tempDir, type TempDir } from './support.js';

const binPath = join(projectRoot(), 'bin', 'comfyui-dl');
const layout: ServiceLayout = {
  nodePath: process.execPath,
  binPath,
  modelsDir: '/home/ada/ComfyUI/models',
  dataDir: '/home/ada/.local/share/comfyui-dl',
  socketDir: '/run/user/1000/comfyui-dl',
};

/** A name with every character the two formats treat specially. */
const HOSTILE = `odd dir %n %% $HOME \${X} "dq" 'sq' \\back \`tick\` ; # ~ é`;
/** What systemd accepts in a program path: no quotes or backslashes. */
const HOSTILE_PROGRAM_DIR = `odd dir %n %% $HOME \${X} \`tick\` ; # ~ é`;

let templates: ServiceTemplates;
beforeAll(async () => {
  templates = await readServiceTemplates();
});

function unitFor(input: ServiceLayout): string {
  return renderUnit(input, templates.unit)._unsafeUnwrap();
}

function directives(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe('escaping', () => {
  it('quotes systemd words so that specifiers, variables, quotes and backslashes stay literal', () => {
    expect(systemdQuote('/a b/%n/"q"/\\x/$HOME')).toBe('"/a b/%%n/\\"q\\"/\\\\x/$HOME"');
    expect(systemdExecWord('/a b/%n/"q"/\\x/$HOME/${X}')).toBe('"/a b/%%n/\\"q\\"/\\\\x/$$HOME/$${X}"');
  });

  it('quotes desktop Exec arguments, then escapes backslashes once more as the string rules require', () => {
    // The spec's own examples: a literal backslash becomes four, a dollar sign "\\$".
    expect(desktopExecArgument('/a b/$x"`\\%f')).toBe('"/a b/\\\\$x\\\\"\\\\`\\\\\\\\%%f"');
  });
});

describe('renderUnit', () => {
  it('fills every placeholder of the template', () => {
    const unit = unitFor({ ...layout, extraReadWrite: ['/mnt/models'], environment: { CIVITAI_BASE_URL: 'http://127.0.0.1:8080' } });
    expect(unit).not.toMatch(/\{\{[A-Z_]+\}\}/);
    expect(directives(unit, 'ExecStart')).toEqual([`"${process.execPath}" "${binPath}" daemon`]);
    expect(directives(unit, 'ReadWritePaths')).toEqual([
      '"/home/ada/ComfyUI/models"',
      '"/home/ada/.local/share/comfyui-dl"',
      '"/run/user/1000/comfyui-dl"',
      '"-/mnt/models"',
    ]);
    expect(directives(unit, 'Environment')).toEqual([
      '"COMFYUI_MODELS_DIR=/home/ada/ComfyUI/models"',
      '"COMFYUI_DL_DATA_DIR=/home/ada/.local/share/comfyui-dl"',
      '"CIVITAI_BASE_URL=http://127.0.0.1:8080"',
    ]);
  });

  it('keeps the hardening the brief asks for, and never MemoryDenyWriteExecute (V8 needs W+X memory)', () => {
    const unit = unitFor(layout);
    const expected = {
      Type: 'simple',
      Restart: 'on-failure',
      NoNewPrivileges: 'yes',
      UMask: '0022',
      PrivateUsers: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'read-only',
      PrivateTmp: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      SystemCallArchitectures: 'native',
      LockPersonality: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictNamespaces: 'yes',
      WantedBy: 'default.target',
    };
    for (const [key, value] of Object.entries(expected)) expect(directives(unit, key), key).toEqual([value]);
    expect(directives(unit, 'SystemCallFilter')).toContain('@system-service');
    expect(directives(unit, 'RestartSec')).toHaveLength(1);
    expect(directives(unit, 'StartLimitBurst')).toHaveLength(1);
    expect(unit).not.toMatch(/^\s*MemoryDenyWriteExecute\s*=/m);
  });

  it('normalises paths, drops duplicates, and takes equal folder settings from the environment', () => {
    const unit = unitFor({
      ...layout,
      modelsDir: '/srv//models/./',
      dataDir: '/srv/models',
      extraReadWrite: ['/srv/models/', '/mnt/more', '/mnt//more'],
      environment: { COMFYUI_MODELS_DIR: '/srv/models/', COMFYUI_DL_SOCKET: '/run/user/1000/comfyui-dl/daemon.sock' },
    });
    expect(directives(unit, 'ReadWritePaths')).toEqual(['"/srv/models"', '"/run/user/1000/comfyui-dl"', '"-/mnt/more"']);
    expect(directives(unit, 'Environment')).toEqual([
      '"COMFYUI_MODELS_DIR=/srv/models"',
      '"COMFYUI_DL_DATA_DIR=/srv/models"',
      '"COMFYUI_DL_SOCKET=/run/user/1000/comfyui-dl/daemon.sock"',
    ]);
  });

  it('escapes hostile folder names in every directive', () => {
    const unit = unitFor({
      ...layout,
      nodePath: `/opt/${HOSTILE_PROGRAM_DIR}/node`,
      binPath: `/opt/${HOSTILE}/comfyui-dl`,
      modelsDir: `/data/${HOSTILE}`,
      environment: { NOTE: HOSTILE },
    });
    const quoted = '"/data/odd dir %%n %%%% $HOME ${X} \\"dq\\" \'sq\' \\\\back `tick` ; # ~ é"';
    expect(directives(unit, 'ReadWritePaths')[0]).toBe(quoted);
    expect(directives(unit, 'Environment')[0]).toBe(`"COMFYUI_MODELS_DIR=${quoted.slice(1)}`);
    // Only arguments undergo $-expansion, so only they double the dollar sign.
    expect(directives(unit, 'ExecStart')).toEqual([
      '"/opt/odd dir %%n %%%% $HOME ${X} `tick` ; # ~ é/node" ' +
        '"/opt/odd dir %%n %%%% $$HOME $${X} \\"dq\\" \'sq\' \\\\back `tick` ; # ~ é/comfyui-dl" daemon',
    ]);
  });

  it.each<[string, Partial<ServiceLayout>, RegExp]>([
    ['a relative models folder', { modelsDir: 'models' }, /not an absolute path/],
    ['a newline in a path', { dataDir: '/data\nExecStartPre=/bin/rm -rf ~' }, /line break/],
    ['a newline in the node path', { nodePath: '/usr/bin/node\n' }, /line break/],
    ['a quote in the node path', { nodePath: `/opt/it's/node` }, /systemd refuses in a program path/],
    ['".." in a path', { socketDir: '/run/user/1000/../0' }, /contains "\.\."/],
    ['the root folder as a writable folder', { extraReadWrite: ['/'] }, /cannot be \//],
    ['a writable folder under the private /tmp', { socketDir: '/tmp/comfyui-dl-1000' }, /private, empty folder/],
    ['the API key in the environment', { environment: { CIVITAI_API_KEY: 'x'.repeat(32) } }, /never written into the unit/],
    ['a newline in an environment value', { environment: { CIVITAI_BASE_URL: 'http://a\nb' } }, /line break/],
    ['a bad variable name', { environment: { 'A=B': 'c' } }, /not a valid environment variable name/],
    ['a models folder contradicting the environment', { environment: { COMFYUI_MODELS_DIR: '/elsewhere' } }, /differs from the folder/],
    ['a socket outside the socket folder', { environment: { COMFYUI_DL_SOCKET: '/run/user/1000/other/d.sock' } }, /not directly in the socket folder/],
  ])('refuses %s', (_, change, message) => {
    const result = renderUnit({ ...layout, ...change }, templates.unit);
    expect(result._unsafeUnwrapErr().code).toBe('INVALID_SERVICE_INPUT');
    expect(result._unsafeUnwrapErr().message).toMatch(message);
  });

  it('never lets the API key reach the error message', () => {
    const key = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const result = renderUnit({ ...layout, environment: { CIVITAI_API_KEY: key } }, templates.unit);
    expect(result._unsafeUnwrapErr().message).not.toContain(key);
  });
});

describe('renderDesktopEntry', () => {
  it('runs `comfyui-dl ui` with the same node', () => {
    const entry = renderDesktopEntry({ nodePath: '/opt/node/bin/node', binPath: '/opt/cdl/bin/comfyui-dl' }, templates.desktopEntry)._unsafeUnwrap();
    expect(directives(entry, 'Exec')).toEqual(['"/opt/node/bin/node" "/opt/cdl/bin/comfyui-dl" ui']);
    expect(directives(entry, 'TryExec')).toEqual(['/opt/node/bin/node']);
    expect(entry).not.toMatch(/\{\{[A-Z_]+\}\}/);
  });

  it('refuses relative paths and newlines', () => {
    const entry = (nodePath: string) => renderDesktopEntry({ nodePath, binPath }, templates.desktopEntry);
    expect(entry('node')._unsafeUnwrapErr().message).toMatch(/not an absolute path/);
    expect(entry('/usr/bin/node\nExec=evil')._unsafeUnwrapErr().message).toMatch(/line break/);
  });
});

// Debian package: systemd (CI installs it). The hostile-name case needs a real executable under that name,
// since `verify` checks that ExecStart's program exists: a mis-escaped `%n` or `$HOME` would name another file.
const systemdAnalyze = findProgram('systemd-analyze');
describe.skipIf(systemdAnalyze === undefined)('systemd-analyze (Debian package systemd; skipped when it is not installed)', () => {
  let dir: TempDir;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(join(dir.path, 'runtime'), { mode: 0o700 });
    // Without XDG_RUNTIME_DIR, --user lookups fail ("Failed to lookup RuntimeDirectory path").
    env = { ...process.env, XDG_RUNTIME_DIR: join(dir.path, 'runtime'), SYSTEMD_LOG_COLOR: '0' };
  });
  afterAll(() => dir.remove());

  async function writeUnit(name: string, unit: string): Promise<string> {
    await mkdir(join(dir.path, name));
    const path = join(dir.path, name, 'comfyui-dl.service');
    await writeFile(path, unit);
    return path;
  }

  it('`verify --user` accepts the rendered unit without a warning', async () => {
    const path = await writeUnit('plain', unitFor({ ...layout, extraReadWrite: ['/mnt/models'], environment: { COMFYUI_DL_CONCURRENCY: '3' } }));
    const result = await run(systemdAnalyze!, ['verify', '--user', '--man=no', path], env);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('`verify --user` finds node through a folder name full of specifiers, quotes and variables', async () => {
    const hostileBin = join(dir.path, HOSTILE_PROGRAM_DIR);
    await mkdir(hostileBin);
    await symlink(process.execPath, join(hostileBin, 'node'));
    const unit = unitFor({
      ...layout,
      nodePath: join(hostileBin, 'node'),
      binPath: join('/opt', HOSTILE, 'comfyui-dl'),
      modelsDir: join('/srv', HOSTILE),
      environment: { NOTE: HOSTILE },
    });
    const result = await run(systemdAnalyze!, ['verify', '--user', '--man=no', await writeUnit('hostile', unit)], env);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('`verify --user` does check that program (so the case above proves the escaping)', async () => {
    const unit = unitFor({ ...layout, nodePath: join(dir.path, 'odd dir node') });
    const result = await run(systemdAnalyze!, ['verify', '--user', '--man=no', await writeUnit('missing', unit)], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('odd dir node');
  });

  // --threshold compares against exposure × 10 (on systemd 252 at least): 20 means "at most 2.0".
  const EXPOSURE_GOAL = 2.0;
  it(`\`security --offline\` rates the unit's exposure at most ${EXPOSURE_GOAL}`, async () => {
    const path = await writeUnit('security', unitFor(layout));
    const args = ['security', '--offline=yes', '--user', '--man=no', `--threshold=${EXPOSURE_GOAL * 10}`, path];
    const result = await run(systemdAnalyze!, args, env);
    const exposure = Number(/Overall exposure level for comfyui-dl\.service: (\d+\.\d)/.exec(result.stdout)?.[1]);
    expect(exposure).toBeLessThanOrEqual(EXPOSURE_GOAL);
    expect(result.code).toBe(0);
  });
});

// Debian package: desktop-file-utils.
const desktopFileValidate = findProgram('desktop-file-validate');
describe.skipIf(desktopFileValidate === undefined)('desktop-file-validate (Debian package desktop-file-utils; skipped when it is not installed)', () => {
  it.each([
    ['plain paths', process.execPath, binPath],
    ['hostile paths', join('/opt', HOSTILE, 'node'), join('/opt', HOSTILE, 'comfyui-dl')],
  ])('accepts the entry with %s', async (_, nodePath, bin) => {
    const dir = await tempDir();
    try {
      const path = join(dir.path, 'comfyui-dl.desktop');
      await writeFile(path, renderDesktopEntry({ nodePath, binPath: bin }, templates.desktopEntry)._unsafeUnwrap());
      const result = await run(desktopFileValidate!, [path]);
      expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    } finally {
      await dir.remove();
    }
  });
});
