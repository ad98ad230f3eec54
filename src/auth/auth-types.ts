import { z } from 'zod'

export const emailAddress = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('must be an email address like name@example.com'))
  .transform((e) => e.toLowerCase())

export const workspaceName = z.string().trim().min(1, 'must not be empty').max(80, 'must be at most 80 characters')

export const claimSetupBody = z
  .object({
    token: z.string().min(16, 'is the setup token printed by the server at first start').max(128),
    email: emailAddress,
    password: z.string().max(1024),
    workspaceName: workspaceName.default('Personal'),
  })
  .strict()
export type ClaimSetupBody = z.infer<typeof claimSetupBody>

export const claimSetupResult = z.object({ userId: z.string(), workspaceId: z.string() })
export type ClaimSetupResult = z.infer<typeof claimSetupResult>

export const setupStatus = z.object({ needsSetup: z.boolean() })
