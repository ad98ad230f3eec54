// What the api (and keys/, trading/, incident/) may use of the signer: the client and the wire types.
// The signer's internals (vault, executor) are never imported outside src/signer.
export { createSignerClient, type SignerClient, type SignerCallResult, type SignerTls } from './client.js'
export { signerEnvKeys } from './signer-config.js'
export { defaultKeyLimits, keyLimits, sealedEnvelope, type KeyLimits, type KeyView, type SignerAuditEvent, type SignerOp } from './signer-types.js'
export { passkeyAssertion, wideningChange, wideningOperationView, type WideningOperationView, type TrustedPasskeyView, type PasskeyAssertion, type WideningChange } from './signer-types.js'
export { createCheckpointSigner, type CheckpointSignerClient, type CheckpointQuery } from './checkpoint-client.js'
export { signedCheckpointView, checkpointListView, type CheckpointListView } from './signer-types.js'
