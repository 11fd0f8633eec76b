import { err, ok, Result } from 'neverthrow';
import {
  checkAbsolutePath,
  checkNoControlCharacters,
  checkProgramPath,
  desktopExecArgument,
  desktopString,
  invalidInput,
  systemdExecWord,
  systemdQuote,
  type InvalidServiceInput,
} from './escape.js';

/** Renders the systemd user unit and the desktop entry from the templates in `systemd/` (pure). */

export const UNIT_NAME = 'comfyui-dl.service';
export const DESKTOP_ENTRY_NAME = 'comfyui-dl.desktop';

/** Where the service runs from and what it may write. Every path must be absolute. */
export interface ServiceLayout {
  /** The node executable, usually `process.execPath`. */
  readonly nodePath: string;
  /** The CLI entry point, `<package>/bin/comfyui-dl`. */
  readonly binPath: string;
  readonly modelsDir: string;
  readonly dataDir: string;
  /** The folder of the daemon's socket. */
  readonly socketDir: string;
  /** More folders the daemon writes (extra model folders); a missing one does not stop the service. */
  readonly extraReadWrite?: readonly string[];
  /** Settings for the daemon (e.g. COMFYUI_DL_SOCKET, CIVITAI_BASE_URL); never the API key. */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface DesktopLauncher {
  readonly nodePath: string;
  readonly binPath: string;
}

const MODELS_DIR_VARIABLE = 'COMFYUI_MODELS_DIR';
const DATA_DIR_VARIABLE = 'COMFYUI_DL_DATA_DIR';
const SOCKET_VARIABLE = 'COMFYUI_DL_SOCKET';
const API_KEY_VARIABLE = 'CIVITAI_API_KEY';
const HF_TOKEN_VARIABLE = 'HF_TOKEN';
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PrivateTmp=yes gives the service its own empty /tmp and /var/tmp: nothing written there is seen outside. */
const PRIVATE_TMP = ['/tmp', '/var/tmp'];

export function renderUnit(layout: ServiceLayout, template: string): Result<string, InvalidServiceInput> {
  const checked = Result.combine([
    checkProgramPath('the node path', layout.nodePath),
    checkAbsolutePath('the comfyui-dl program path', layout.binPath),
    checkWritable('the models folder', layout.modelsDir),
    checkWritable('the data folder', layout.dataDir),
    checkWritable('the socket folder', layout.socketDir),
    Result.combine((layout.extraReadWrite ?? []).map((path) => checkWritable('the extra model folder', path))),
  ]);
  if (checked.isErr()) return err(checked.error);
  const [nodePath, binPath, modelsDir, dataDir, socketDir, extras] = checked.value;
  return unitEnvironment(layout.environment ?? {}, modelsDir, dataDir, socketDir).map((environment) =>
    fillTemplate(template, {
      EXEC_START: `${systemdQuote(nodePath)} ${systemdExecWord(binPath)} daemon`,
      ENVIRONMENT: Object.entries(environment)
        .map(([name, value]) => `Environment=${systemdQuote(`${name}=${value}`)}`)
        .join('\n'),
      READ_WRITE_PATHS: readWritePaths([modelsDir, dataDir, socketDir], extras),
    }),
  );
}

export function renderDesktopEntry(launcher: DesktopLauncher, template: string): Result<string, InvalidServiceInput> {
  return Result.combine([
    checkAbsolutePath('the node path', launcher.nodePath),
    checkAbsolutePath('the comfyui-dl program path', launcher.binPath),
  ]).map(([nodePath, binPath]) =>
    fillTemplate(template, {
      EXEC: [...[nodePath, binPath].map(desktopExecArgument), 'ui'].join(' '),
      TRY_EXEC: desktopString(nodePath),
    }),
  );
}

function checkWritable(what: string, path: string): Result<string, InvalidServiceInput> {
  return checkAbsolutePath(what, path).andThen((normal) => {
    if (normal === '/') return err(invalidInput(`${what} cannot be /: that would let the service write anywhere; choose a folder`));
    const tmp = PRIVATE_TMP.find((dir) => normal === dir || normal.startsWith(`${dir}/`));
    if (tmp === undefined) return ok(normal);
    return err(invalidInput(`${what} ${normal} is under ${tmp}, which the service sees as a private, empty folder: choose a folder outside ${tmp}`));
  });
}

/**
 * The daemon's environment: the models and data folders come from the layout so the daemon writes exactly
 * where the sandbox allows it; a contradicting setting is refused instead of producing a service that
 * fails on its first write.
 */
function unitEnvironment(
  given: Readonly<Record<string, string>>,
  modelsDir: string,
  dataDir: string,
  socketDir: string,
): Result<Record<string, string>, InvalidServiceInput> {
  const folders: Readonly<Record<string, string>> = { [MODELS_DIR_VARIABLE]: modelsDir, [DATA_DIR_VARIABLE]: dataDir };
  const environment: Record<string, string> = { ...folders };
  for (const name of Object.keys(given).sort()) {
    const value = given[name] ?? '';
    if (name === API_KEY_VARIABLE || name === HF_TOKEN_VARIABLE) {
      return err(invalidInput(`${name} is never written into the unit, where any local user could read it: the daemon reads it from its config file (comfyui-dl config set-key${name === HF_TOKEN_VARIABLE ? ' --huggingface' : ''})`));
    }
    if (!VARIABLE_NAME.test(name)) return err(invalidInput(`${JSON.stringify(name)} is not a valid environment variable name: use letters, digits and _`));
    const checked = checkNoControlCharacters(`the value of ${name}`, value);
    if (checked.isErr()) return err(checked.error);
    const folder = folders[name];
    if (folder !== undefined) {
      if (!samePath(value, folder)) return err(invalidInput(`${name}=${value} differs from the folder the service may write (${folder}): give the same folder to both`));
    } else if (name === SOCKET_VARIABLE && !samePath(parentOf(value), socketDir)) {
      return err(invalidInput(`${name}=${value} is not directly in the socket folder ${socketDir}, the only one the service may write there: give the same folder to both`));
    } else {
      environment[name] = value;
    }
  }
  return ok(environment);
}

function samePath(path: string, normal: string): boolean {
  return checkAbsolutePath('', path).map((checked) => checked === normal).unwrapOr(false);
}

function parentOf(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/[^/]*$/, '');
}

/** The daemon's own folders must exist; extra ones get "-" so that an unplugged drive does not stop the service. */
function readWritePaths(required: readonly string[], optional: readonly string[]): string {
  const requiredSet = new Set(required);
  const optionalSet = new Set(optional.filter((path) => !requiredSet.has(path)));
  return [
    ...[...requiredSet].map((path) => `ReadWritePaths=${systemdQuote(path)}`),
    ...[...optionalSet].map((path) => `ReadWritePaths=${systemdQuote(`-${path}`)}`),
  ].join('\n');
}

const PLACEHOLDER = /\{\{([A-Z_]+)\}\}/g;

/** A template without one of the placeholders, or with one we do not fill, is a packaging bug. */
function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const found = new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]));
  for (const name of Object.keys(values)) {
    if (!found.has(name)) throw new Error(`comfyui-dl: the service template lacks the placeholder {{${name}}}`);
  }
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`comfyui-dl: the service template has an unknown placeholder ${whole}`);
    return value;
  });
}
