export { checkApiKey, maskKey, type InvalidApiKey } from './api-key.js';
export { checkDataDirWritable, loadConfig, saveApiKey, saveHfToken, systemEnvironment } from './load.js';
export { settingsReport } from './report.js';
export { resolveConfig, resolveConfigPath, type Config, type ConfigError, type ResolveConfigInput, type SettingSource } from './resolve.js';
export {
  API_KEY_ENV,
  HF_TOKEN_ENV,
  CONFIG_FILE_OPTION,
  SETTING_KEYS,
  SETTINGS,
  type ConfigFlags,
  type SettingKey,
  type Settings,
  type SettingSpec,
} from './settings.js';
export { defaultPaths, expandHome, type ConfigEnvironment, type DefaultPaths } from './xdg.js';
