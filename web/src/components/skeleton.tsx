/**
 * A placeholder with the size of the text it stands for, so nothing moves when the text arrives.
 * Hidden from assistive technology: the surrounding region says "Loading" in words.
 */
export type SkeletonWidth = 'xs' | 'sm' | 'md' | 'lg'

export const Skeleton = ({ width = 'md' }: { width?: SkeletonWidth }) => (
  <span className={`skeleton skeleton--${width}`} aria-hidden="true" />
)
