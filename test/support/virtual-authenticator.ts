import type { BrowserContext, CDPSession, Page } from 'playwright-core'

/**
 * A passkey authenticator for browser tests: Chromium's virtual authenticator, driven over the Chrome
 * DevTools Protocol (the `WebAuthn` domain) on one page. It behaves like a platform authenticator with
 * a screen lock: CTAP2, internal transport, discoverable (resident) credentials, user verification that
 * always succeeds, and presence simulated, so `navigator.credentials.create/get` answer without a prompt.
 * The real browser code runs (@simplewebauthn/browser → Chromium's WebAuthn → this authenticator), and
 * the server verifies real attestations and assertions. Scoped to the page it was added to: a page in
 * another context gets its own, to which `importCredentials` copies the passkeys (a second device
 * holding the same synced passkey).
 */
export type VirtualCredential = {
  credentialId: string
  isResidentCredential: boolean
  rpId?: string
  /** PKCS#8, base64: the test's own key pair, never a user's. */
  privateKey: string
  userHandle?: string
  signCount: number
}

export type VirtualAuthenticator = {
  authenticatorId: string
  /** The passkeys it holds (registered through the page, or imported). */
  credentials: () => Promise<VirtualCredential[]>
  /** Copies passkeys into this authenticator (e.g. those another page's authenticator registered). */
  importCredentials: (credentials: readonly VirtualCredential[]) => Promise<void>
  /** Whether the next ceremonies verify the user (a failed fingerprint or PIN when false). */
  setUserVerified: (isUserVerified: boolean) => Promise<void>
  remove: () => Promise<void>
}

export const addVirtualAuthenticator = async (context: BrowserContext, page: Page): Promise<VirtualAuthenticator> => {
  const cdp: CDPSession = await context.newCDPSession(page)
  // enableUI false: no account chooser either, the first matching discoverable credential is used.
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return {
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    importCredentials: async (credentials) => {
      for (const credential of credentials) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })
    },
    setUserVerified: async (isUserVerified) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified })
    },
    remove: async () => {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
      await cdp.detach()
    },
  }
}
