export * from './uri-options.js';
export * from './errors.js';
export { parseActiveMQUri, redactCredentials } from './parse-uri.js';
export { PARAMETERS, KNOWN_PARAMETERS, type ParameterSpec, type ParameterType, type ParameterTarget } from './parameters.js';
export { stompConnectionOptions } from './connection-options.js';
export { resolveSettings, URI_OPTION_KEYS, type ActiveMQConnectionSettings, type ResolvedSettings } from './resolve-settings.js';
