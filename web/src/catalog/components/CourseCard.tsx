import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { focusRing } from '../../components/form';
import { formatPrice } from '../format';
import type { CourseCard as Card, Price } from '../types';
import { CoverPicture } from './CoverPicture';
import { RatingBadge } from './Rating';

export function PriceTag({
  price,
  isFree,
  className = '',
}: {
  price: Price | null;
  isFree: boolean;
  className?: string;
}) {
  const { t, i18n } = useTranslation();
  if (isFree || !price || price.amount === 0) return <span className={className}>{t('catalog.price.free')}</span>;
  return <span className={className}>{formatPrice(price, i18n.language)}</span>;
}

export function categoryName(category: { nameKo: string; nameEn: string }, language: string): string {
  return language.startsWith('ko') ? category.nameKo : category.nameEn;
}

/**
 * One course in a grid or row. The title is the link (one tab stop per card); the whole card
 * is clickable through a stretched pseudo-element.
 */
export function CourseCard({ course, eager = false }: { course: Card; eager?: boolean }) {
  const { t } = useTranslation();
  return (
    <article className="relative flex h-full flex-col overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm transition hover:shadow-md">
      <CoverPicture
        cover={course.cover}
        eager={eager}
        sizes="(min-width: 1024px) 280px, (min-width: 640px) 45vw, 90vw"
      />
      <div className="flex flex-1 flex-col gap-1 p-4">
        <h3 className="line-clamp-2 font-bold text-slate-900">
          <Link
            to={`/courses/${encodeURIComponent(course.slug)}`}
            className={`rounded-sm after:absolute after:inset-0 hover:text-indigo-800 ${focusRing}`}
          >
            {course.title}
          </Link>
        </h3>
        <p className="text-sm text-slate-600">{course.instructor.displayName}</p>
        <RatingBadge average={course.rating.average} count={course.rating.count} />
        <p className="mt-auto flex items-center justify-between pt-2 text-sm">
          <PriceTag price={course.price} isFree={course.isFree} className="font-bold text-slate-900" />
          <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700">
            {t(`catalog.level.${course.level}`)}
          </span>
        </p>
      </div>
    </article>
  );
}

export function CourseGrid({
  courses,
  eagerCount = 0,
  narrow = false,
}: {
  courses: Card[];
  eagerCount?: number;
  /** Beside a sidebar: three columns at most. */
  narrow?: boolean;
}) {
  return (
    <ul className={`grid gap-5 sm:grid-cols-2 ${narrow ? 'xl:grid-cols-3' : 'lg:grid-cols-4'}`}>
      {courses.map((course, index) => (
        <li key={course.id}>
          <CourseCard course={course} eager={index < eagerCount} />
        </li>
      ))}
    </ul>
  );
}
