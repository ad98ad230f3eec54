// The vault's public surface, for src/signer only (ESLint forbids every other importer).
export { createVault, type Vault, type VaultDeps, type VaultEvent, type VaultKey, type KeyState, type StoreKeyInput } from './vault-service.js'
export { createKeyHierarchy, loadOrCreateKeyFile, type KeyHierarchy } from './master-key.js'
export { createDatabaseShareStore, createDirectoryShareStore, type ShareStore, type ShareRecord } from './share-store.js'
export { decodeCredentials, type Credentials } from './credentials.js'
export { vaultMigrations } from './vault-db.js'
export { vaultKeys, orderUsage, sealNonces } from './vault-schema.js'
