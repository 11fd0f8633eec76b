import type { ConfigReport } from '../ipc/protocol.js';
import { maskKey } from './api-key.js';
import type { Config } from './resolve.js';
import { SETTING_KEYS } from './settings.js';

/** What `config show` prints: every setting, its value and its source, and the API key masked. */
export function settingsReport(config: Config): ConfigReport {
  return {
    configFile: config.configFile,
    settings: Object.fromEntries(SETTING_KEYS.map((key) => [key, { value: config[key], source: config.sources[key] }])),
    apiKey: { value: config.hasApiKey ? maskKey(config.apiKey) : null, source: config.sources.apiKey },
    hfToken: { value: config.hasHfToken ? maskKey(config.hfToken) : null, source: config.sources.hfToken },
  };
}
