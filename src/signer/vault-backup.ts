import { AppError } from '../lib/errors.js'
import type { Db } from '../db/index.js'
import type { KeyHierarchy, ShareStore } from '../vault/index.js'

/**
 * Backups of the vault (owned by the backups work; wired by the signer as operator-only operations).
 * One archive per share store and one for the vault's metadata — never all shares in one archive — each
 * encrypted under its own key derived from the master key.
 */
export type VaultBackupDeps = { db: Db; stores: ShareStore[]; keys: KeyHierarchy; vaultDir: string }

export type VaultArchiveInfo = { name: string; file: string; keyLabel: string; entries: number; sha256: string }

export const createVaultBackup = (_deps: VaultBackupDeps) => ({
  /** Writes the archives into `outDir` (inside the vault directory) and describes them. */
  backupVault: async (_p: { outDir?: string }): Promise<{ archives: VaultArchiveInfo[] }> => {
    throw new AppError('UNAVAILABLE', 'vault backup is not built yet')
  },
  /** Splits the master key file into t-of-n operator recovery shares (returned once, never stored). */
  recoveryKit: async (_p: { threshold: number; shares: number }): Promise<{ shares: string[]; threshold: number }> => {
    throw new AppError('UNAVAILABLE', 'the recovery kit is not built yet')
  },
})
export type VaultBackup = ReturnType<typeof createVaultBackup>
