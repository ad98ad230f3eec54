import { join } from 'node:path'

/** Where embedded mode keeps things under BULWARK_HOME. */
export const homePaths = (home: string) => ({
  home,
  dbDir: join(home, 'db'),
  // In run/, not beside db/: Node 20's permission model mishandles grants for both `db` and `db.lock`.
  dbLock: join(home, 'run', 'db.lock'),
  runDir: join(home, 'run'),
  instanceLock: join(home, 'run', 'instance.lock'),
  adminSocket: join(home, 'run', 'admin.sock'),
  vaultDir: join(home, 'vault'),
  // The signer's sockets live inside vault/, where the api has no file grant: it can connect (Node 20's
  // permission model does not govern connect) but cannot replace a socket file with its own.
  signerSocket: join(home, 'vault', 'sock', 'signer.sock'),
  signerOperatorSocket: join(home, 'vault', 'sock', 'operator.sock'),
  /** Presented on the operator socket; readable by the operator (CLI), never granted to the api. */
  operatorToken: join(home, 'vault', 'operator.token'),
  secretsDir: join(home, 'secrets'),
  /** Archived audit segments (retention) unless AUDIT_ARCHIVE_DIR points elsewhere. */
  archiveDir: join(home, 'archive'),
})
export type HomePaths = ReturnType<typeof homePaths>
