/**
 * An invitation link opened by someone who must sign in or create an account first: its token waits in
 * this tab's sessionStorage (never localStorage, never the server's logs) so the /invite page can pick
 * it up again afterwards. It is removed once the invitation is accepted or found unusable.
 */

export const INVITATION_STORAGE_KEY = 'bulwark.invitation'
/** The address it was sent to (not a secret): the sign-up form starts with it. */
export const INVITATION_EMAIL_STORAGE_KEY = 'bulwark.invitation.email'

/** The shape of an invitation token (256 random bits, base64url): anything else is not sent anywhere. */
export const isInvitationToken = (token: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(token)

/** Storage as this module uses it; tests pass a Map-backed one. */
export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

const sessionStore = (): TokenStorage | undefined => {
  try {
    return window.sessionStorage
  } catch {
    return undefined
  }
}

export const savePendingInvitation = (token: string, storage: TokenStorage | undefined = sessionStore()): void => {
  try {
    storage?.setItem(INVITATION_STORAGE_KEY, token)
  } catch {
    // Storage disabled: the link has to be opened again after signing in.
  }
}

export const readPendingInvitation = (storage: TokenStorage | undefined = sessionStore()): string | undefined => {
  try {
    const token = storage?.getItem(INVITATION_STORAGE_KEY)?.trim()
    return token === undefined || token === '' ? undefined : token
  } catch {
    return undefined
  }
}

export const savePendingInvitationEmail = (email: string, storage: TokenStorage | undefined = sessionStore()): void => {
  try {
    storage?.setItem(INVITATION_EMAIL_STORAGE_KEY, email)
  } catch {
    // Storage disabled: the sign-up form starts empty.
  }
}

export const readPendingInvitationEmail = (storage: TokenStorage | undefined = sessionStore()): string | undefined => {
  try {
    const email = storage?.getItem(INVITATION_EMAIL_STORAGE_KEY)?.trim()
    return email === undefined || email === '' ? undefined : email
  } catch {
    return undefined
  }
}

export const clearPendingInvitation = (storage: TokenStorage | undefined = sessionStore()): void => {
  try {
    storage?.removeItem(INVITATION_STORAGE_KEY)
    storage?.removeItem(INVITATION_EMAIL_STORAGE_KEY)
  } catch {
    // Nothing kept.
  }
}
