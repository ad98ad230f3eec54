import { chmodSync, existsSync, unlinkSync } from 'node:fs'
import type { Server } from 'node:net'
import { AppError } from './errors.js'

/** Node silently truncates Unix socket paths longer than this (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107

/** @throws AppError BAD_INPUT naming the path, its length and the fix */
export const checkSocketPath = (path: string): void => {
  const bytes = Buffer.byteLength(path)
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new AppError('BAD_INPUT', `socket path ${path} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets: use a shorter BULWARK_HOME`)
  }
}

/**
 * Listens on an owner-only (0600 by default) Unix socket. The caller holds the lock that makes it the only owner of
 * this path, so a socket file already there is stale and is replaced.
 */
export const listenOnUnixSocket = async (server: Server, path: string, mode = 0o600): Promise<void> => {
  checkSocketPath(path)
  if (existsSync(path)) unlinkSync(path)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  chmodSync(path, mode)
}
