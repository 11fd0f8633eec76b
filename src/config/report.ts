import type { ConfigReport } from '../ipc/protocol.js';
import { maskKey } from './api-key.js';
import type { Config } from './resolve.js';
import { printableUrl } from '../lib/redact.js';
import { SETTING_KEYS } from './settings.js';

/** What `config show` prints: every setting, its value and its source, and the API key masked. */
export function settingsReport(config: Config): ConfigReport {
  return {
    configFile: config.configFile,
    // The database URL's password is a secret like the key: shown masked.
    settings: Object.fromEntries(SETTING_KEYS.map((key) => {
      const value = key === 'databaseUrl' && config.databaseUrl ? printableUrl(config.databaseUrl) : config[key];
      return [key, { value, source: config.sources[key] }];
    })),
    apiKey: { value: config.hasApiKey ? maskKey(config.apiKey) : null, source: config.sources.apiKey },
    hfToken: { value: config.hasHfToken ? maskKey(config.hfToken) : null, source: config.sources.hfToken },
  };
}
