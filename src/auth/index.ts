export { createOperatorSetup, type OperatorSetup, type OperatorInput, type RequestContext } from './operator-setup.js'
export { claimSetupBody, claimSetupResult, setupStatus, emailAddress, type ClaimSetupBody, type ClaimSetupResult } from './auth-types.js'
export { hashPassword, verifyPassword, passwordProblem, argon2Params, needsRehash, parsePhc, type Argon2Params } from './password.js'
export { checkPassword, assertAcceptablePassword, type PasswordCheckInput } from './password-policy.js'
export { createSessionService, defaultSessionPolicy, SESSION_COOKIE, type SessionService, type ActiveSession, type SessionPolicy, type AuthFactor } from './session-service.js'
export { createLoginService, LOGIN_FAILED, type LoginService, type SignedIn, type SecondFactorNeeded } from './login-service.js'
export { createLoginThrottle, throttlePolicy, type LoginThrottle } from './login-throttle.js'
export {
  policy,
  authorize,
  authorizeActor,
  authorizeAccess,
  requireMembership,
  assertActionAllowed,
  checkTokenWorkspace,
  checkTokenScope,
  isAllowed,
  tokenScopeFor,
  effectiveRole,
  hasSecondFactorSql,
  workspaceAccess,
  membersAccess,
  TWO_FACTOR_POLICY_MESSAGE,
  type Action,
  type Actor,
  type WorkspaceAccess,
  type MemberAccess,
} from './policy.js'
export { tradableAccounts, mayTradeOn, type TradableAccounts } from './member-grants.js'
export { createTotpService, type TotpService } from './totp.js'
export { createRecoveryCodes, type RecoveryCodes } from './recovery-codes.js'
export { createPasskeyService, PASSKEY_FAILED, passkeyUserHandle, type PasskeyService, type AssertionPurpose, type PasskeyView, type VerifiedAssertion } from './passkeys.js'
export { createFactors, hasSecondFactor, type Factors, type FactorSummary, type SecondFactorProof } from './factors.js'
export { createFactorService, type FactorService } from './factor-service.js'
export { createStepUp, type StepUp, type StepUpProof } from './step-up.js'
export { createAccountService, type AccountService } from './account-service.js'
export { createAccountTokens, type AccountTokens } from './account-tokens.js'
export { createDevices, describeDevice, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, type Devices } from './devices.js'
export { createApiTokens, API_TOKEN_PREFIX, type ApiTokens, type ApiTokenActor } from './api-tokens.js'
export { createSignupPolicy, type SignupPolicy, type SignupMode } from './signup-policy.js'
export { withEmergencyLinks, offersEmergencyLink, type AccountMailer, type AccountMail, type SecurityChange } from './account-mail.js'
export { createAccounts, type Accounts, type AccountsDeps } from './accounts.js'
export { createMeReader, type MeReader, type MeView } from './me.js'
