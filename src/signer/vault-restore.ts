import { AppError } from '../lib/errors.js'

/**
 * Offline restore of the vault (the platform stopped): rebuilds the master key file from the operator's
 * recovery shares (or takes an existing file), then opens each archive and writes its store back.
 * Owned by the backups work.
 */
export type RestoreVaultInput = {
  home: string
  archivesDir: string
  /** t or more recovery shares from `bulwark vault recovery-kit`; omit when the master key file is present. */
  recoveryShares?: string[]
}

export const restoreVault = async (_input: RestoreVaultInput): Promise<{ restored: Array<{ name: string; entries: number }> }> => {
  throw new AppError('UNAVAILABLE', 'vault restore is not built yet')
}
