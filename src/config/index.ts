export { envSchema, parseConfig, formatConfigProblems, type Config, type ConfigResult } from './env.js'
export { prepareHome, privateDir, type Home } from './home.js'
export { loadPlatformSecrets, describeSecretFiles, platformSecretSpecs, type PlatformSecrets, type PlatformSecretName } from './secrets.js'
export { homePaths, type HomePaths } from './paths.js'
