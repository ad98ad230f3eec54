import type { Config } from '../config/index.js'
import type { Database } from '../db/index.js'

/** What every `register…Commands` module gets from cli/main.ts. */
export type CliContext = {
  loadConfig: () => Config
  /**
   * Runs `viaInstance` over the running instance's admin socket, or `direct` against the storage when no
   * instance holds it (refusing when the embedded database does not exist yet, unless `create`).
   */
  withData: <T>(config: Config, viaInstance: (socket: string) => Promise<T>, direct: (database: Database) => Promise<T>, opts?: { create?: boolean }) => Promise<T>
  out: (line: string) => void
}
