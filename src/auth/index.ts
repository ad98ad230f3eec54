export { createOperatorSetup, type OperatorSetup, type OperatorInput, type RequestContext } from './operator-setup.js'
export { claimSetupBody, claimSetupResult, setupStatus, emailAddress, type ClaimSetupBody, type ClaimSetupResult } from './auth-types.js'
export { hashPassword, verifyPassword, passwordProblem, argon2Params } from './password.js'
