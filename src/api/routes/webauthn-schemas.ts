import { z } from 'zod'

/**
 * The JSON a browser's WebAuthn ceremony produces (as @simplewebauthn/browser sends it). Shapes and
 * sizes only: the cryptography is checked by the passkey service.
 */
const b64url = (max: number) => z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url').max(max)

export const authenticationResponse = z
  .object({
    id: b64url(1_400),
    rawId: b64url(1_400),
    type: z.literal('public-key'),
    response: z
      .object({
        clientDataJSON: b64url(4_000),
        authenticatorData: b64url(4_000),
        signature: b64url(2_000),
        userHandle: b64url(200).optional(),
      })
      .strict(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .strict()

export const registrationResponse = z
  .object({
    id: b64url(1_400),
    rawId: b64url(1_400),
    type: z.literal('public-key'),
    response: z
      .object({
        clientDataJSON: b64url(4_000),
        attestationObject: b64url(16_000),
        authenticatorData: b64url(4_000).optional(),
        transports: z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(10).optional(),
        publicKeyAlgorithm: z.number().int().optional(),
        publicKey: b64url(2_000).optional(),
      })
      .strict(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .strict()

/** WebAuthn options are produced by @simplewebauthn/server and passed through as they are. */
export const webauthnOptions = z.record(z.string(), z.unknown())
export const asOptions = async (options: Promise<object>) => (await options) as Record<string, unknown>
