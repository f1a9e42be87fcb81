import type { CoverImage } from '../types';

/**
 * A course cover as a <picture>: WebP where the browser takes it, JPEG otherwise, the width
 * picked by the browser from `sizes`. Width and height reserve the box before the image
 * arrives (no layout shift); only the cover above the fold loads eagerly.
 */
export function CoverPicture({
  cover,
  sizes,
  eager = false,
  className = '',
}: {
  cover: CoverImage | null;
  sizes: string;
  eager?: boolean;
  className?: string;
}) {
  if (!cover) {
    // A neutral 16:9 box keeps cards aligned; it says nothing, so screen readers skip it.
    return (
      <div
        aria-hidden="true"
        className={`aspect-video w-full bg-linear-to-br from-indigo-100 to-slate-200 ${className}`}
      />
    );
  }
  return (
    <picture>
      {cover.sources.map((source) => (
        <source key={source.type} type={source.type} srcSet={source.srcset} sizes={sizes} />
      ))}
      <img
        src={cover.fallback}
        alt={cover.alt}
        width={cover.width}
        height={cover.height}
        sizes={sizes}
        loading={eager ? 'eager' : 'lazy'}
        fetchPriority={eager ? 'high' : undefined}
        decoding="async"
        className={`aspect-video w-full bg-slate-200 object-cover ${className}`}
      />
    </picture>
  );
}
