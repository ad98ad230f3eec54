export { createKeyRelay, keyAdminHandlers, type KeyRelay, type KeyAdminDeps } from './key-admin.js'
