export { Exmo } from './exmo.js'
export { exmoClientOrderIdPattern, exmoFundMovingPaths, exmoPrivatePaths, exmoPublicPaths } from './exmo-describe.js'
