/** Copy and download, the two ways a one-time secret (recovery codes, an API token) leaves the page. */

/** @returns false when the clipboard is unavailable (insecure context, permission denied). */
export const copyText = async (text: string): Promise<boolean> => {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    return false
  }
}

/** Saves a body as a file (a blob: URL, released right after): a one-time secret, an audit export. */
export const downloadBlob = (fileName: string, blob: Blob): void => {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

/** Saves `text` as a file without a server round trip. */
export const downloadText = (fileName: string, text: string): void => downloadBlob(fileName, new Blob([text], { type: 'text/plain;charset=utf-8' }))
