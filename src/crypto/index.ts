export { sha256Hex, hmacSha256Hex } from './hash.js'
export { randomToken, randomKey } from './random.js'
export { safeEqual } from './compare.js'
