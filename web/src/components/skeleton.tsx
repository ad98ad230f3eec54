/**
 * A placeholder with the size of the text it stands for, so nothing moves when the text arrives.
 * Hidden from assistive technology: the surrounding region says "Loading" in words.
 */
export type SkeletonWidth = 'xs' | 'sm' | 'md' | 'lg'

/** 'title' is as tall as a page heading's letters (put it inside the heading's element for its line height). */
export type SkeletonSize = 'text' | 'title'

export const Skeleton = ({ width = 'md', size = 'text' }: { width?: SkeletonWidth; size?: SkeletonSize }) => (
  <span className={size === 'title' ? `skeleton skeleton--${width} skeleton--title` : `skeleton skeleton--${width}`} aria-hidden="true" />
)
