import type { Workspace } from './account-parsers'

/** Which workspace the header, alerts and new API tokens use: the saved choice while it is still one of yours. */

export const WORKSPACE_STORAGE_KEY = 'bulwark.workspace'

export const chooseWorkspace = (workspaces: readonly Workspace[], savedId: string | undefined): Workspace | undefined =>
  workspaces.find((workspace) => workspace.id === savedId) ?? workspaces[0]

export const readSavedWorkspaceId = (): string | undefined => {
  try {
    return window.localStorage.getItem(WORKSPACE_STORAGE_KEY) ?? undefined
  } catch {
    return undefined
  }
}

export const saveWorkspaceId = (id: string): void => {
  try {
    window.localStorage.setItem(WORKSPACE_STORAGE_KEY, id)
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}
