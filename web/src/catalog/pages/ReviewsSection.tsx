import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/apiError';
import { useAuth } from '../../auth/AuthProvider';
import { Notice, SelectField, secondaryButton } from '../../components/form';
import {
  catalogKeys,
  createReview,
  fetchMyReview,
  fetchReviews,
  replyToReview,
  reportReview,
  updateReview,
} from '../api';
import { PageLinks, QueryState } from '../components/AsyncState';
import { RatingSummary } from '../components/Rating';
import { ReasonForm, ReviewForm } from '../components/ReviewForm';
import { ReviewItem } from '../components/ReviewItem';
import type { CourseDetail, Review, ReviewSort } from '../types';

const SORTS: readonly ReviewSort[] = ['newest', 'highest', 'lowest'];

export function ReviewsSection({ course }: { course: CourseDetail }) {
  const { t } = useTranslation();
  const { state } = useAuth();
  const queryClient = useQueryClient();
  const [sort, setSort] = useState<ReviewSort>('newest');
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const query = { sort, page };
  const reviews = useQuery({
    queryKey: catalogKeys.reviews(course.id, query),
    queryFn: ({ signal }) => fetchReviews(course.id, query, signal),
    placeholderData: keepPreviousData,
  });
  const me = state.status === 'authenticated' ? state.user : null;
  const enrolled = Boolean(course.viewer?.enrolled);
  // The student's own review may be on another page of the list or hidden by a moderator, so it
  // is asked for directly; a 409 review_exists from the form still switches to editing.
  const [lookUpMine, setLookUpMine] = useState(false);
  const mine = useQuery({
    queryKey: catalogKeys.myReview(course.id),
    queryFn: ({ signal }) => fetchMyReview(course.id, signal),
    enabled: me !== null && (enrolled || lookUpMine),
  });
  const mineInList = me ? reviews.data?.items.find((review) => review.author.id === me.id) : undefined;
  const [editingMine, setEditingMine] = useState(false);

  async function afterChange(message: string) {
    setNotice(message);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['catalog', 'reviews', course.id] }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.myReview(course.id) }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.course(course.slug) }),
    ]);
  }

  const myReview = mine.data ?? mineInList ?? null;
  // Once the server has said a review exists, the form never comes back (the review is edited instead).
  const canWrite = enrolled && !course.viewer?.isOwner && reviews.isSuccess && !myReview && !lookUpMine;

  return (
    <section aria-labelledby="course-reviews" className="mt-10 pb-16">
      <h2 id="course-reviews" className="text-xl font-bold text-slate-900">
        {t('catalog.reviews.title')}
      </h2>
      <div className="mt-4">
        <RatingSummary
          average={course.rating.average}
          count={course.rating.count}
          distribution={course.ratingDistribution}
        />
      </div>

      <div aria-live="polite" className="mt-4">
        {notice && <Notice>{notice}</Notice>}
      </div>

      {canWrite && (
        // Shown open: an enrolled student without a review is who this section is asking.
        <section aria-labelledby="write-review-heading" className="mt-4">
          <h3 id="write-review-heading" className="mb-2 font-bold text-slate-900">
            {t('catalog.reviews.write')}
          </h3>
          <ReviewForm
            onSubmit={async (value) => {
              try {
                await createReview(course.id, value);
              } catch (error) {
                // Written in another tab: show it rather than an error.
                if (error instanceof ApiError && error.code === 'review_exists') {
                  setLookUpMine(true);
                  await afterChange(t('catalog.reviews.alreadyReviewed'));
                  return;
                }
                throw error;
              }
              await afterChange(t('catalog.reviews.posted'));
            }}
          />
        </section>
      )}

      {myReview && (
        <section aria-labelledby="my-review-heading" className="mt-6">
          <h3 id="my-review-heading" className="mb-2 font-bold text-slate-900">
            {t('catalog.reviews.mine')}
          </h3>
          {myReview.status === 'hidden' && (
            <p className="mb-2 text-sm text-amber-800">{t('catalog.reviews.mineHidden')}</p>
          )}
          {editingMine ? (
            <ReviewForm
              initial={{ rating: myReview.rating, body: myReview.body }}
              onCancel={() => setEditingMine(false)}
              onSubmit={async (value) => {
                await updateReview(myReview.id, value);
                setEditingMine(false);
                await afterChange(t('catalog.reviews.updated'));
              }}
            />
          ) : (
            <ReviewItem
              review={myReview}
              actions={
                <button type="button" className={secondaryButton} onClick={() => setEditingMine(true)}>
                  {t('catalog.reviews.edit')}
                </button>
              }
            />
          )}
        </section>
      )}

      {course.rating.count > 0 && (
        <SelectField
          label={t('catalog.search.sort')}
          value={sort}
          onChange={(event) => {
            setSort(event.target.value as ReviewSort);
            setPage(1);
          }}
          className="mt-6 max-w-xs"
        >
          {SORTS.map((value) => (
            <option key={value} value={value}>
              {t(`catalog.reviews.sort.${value}`)}
            </option>
          ))}
        </SelectField>
      )}

      <div className="mt-4">
        <QueryState query={reviews}>
          {(result) =>
            result.items.length === 0 ? (
              <p className="text-sm text-slate-600">{t('catalog.reviews.empty')}</p>
            ) : (
              <>
                <ul className="space-y-3">
                  {result.items.map((review) => (
                    <li key={review.id}>
                      <ReviewEntry
                        review={review}
                        canReply={Boolean(course.viewer?.isOwner)}
                        canReport={me !== null && review.author.id !== me.id}
                        onChanged={afterChange}
                      />
                    </li>
                  ))}
                </ul>
                <PageLinks page={page} total={result.total} pageSize={result.pageSize} onPage={setPage} />
              </>
            )
          }
        </QueryState>
      </div>
    </section>
  );
}

type Mode = 'view' | 'reply' | 'report';

function ReviewEntry({
  review,
  canReply,
  canReport,
  onChanged,
}: {
  review: Review;
  canReply: boolean;
  canReport: boolean;
  onChanged: (message: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<Mode>('view');
  const [reported, setReported] = useState(false);
  const close = () => setMode('view');

  const actions = (
    <>
      {canReply && mode === 'view' && (
        <button type="button" className={secondaryButton} onClick={() => setMode('reply')}>
          {review.reply ? t('catalog.reviews.editReply') : t('catalog.reviews.reply')}
        </button>
      )}
      {canReport && mode === 'view' && !reported && (
        <button type="button" className={secondaryButton} onClick={() => setMode('report')}>
          {t('catalog.reviews.report')}
        </button>
      )}
      {reported && (
        <p role="status" className="text-sm text-slate-600">
          {t('catalog.reviews.reported')}
        </p>
      )}
      {mode === 'reply' && (
        <ReasonForm
          label={t('catalog.reviews.replyLabel')}
          submitLabel={t('catalog.reviews.sendReply')}
          initial={review.reply?.body ?? ''}
          maxLength={5000}
          onCancel={close}
          onSubmit={async (text) => {
            await replyToReview(review.id, text);
            close();
            await onChanged(t('catalog.reviews.replied'));
          }}
        />
      )}
      {mode === 'report' && (
        <ReasonForm
          label={t('catalog.reviews.reportReason')}
          submitLabel={t('catalog.reviews.sendReport')}
          onCancel={close}
          onSubmit={async (reason) => {
            try {
              await reportReview(review.id, reason);
            } catch (error) {
              // Reported before: the report stands, which is what the reader wanted.
              if (!(error instanceof ApiError && error.status === 409)) throw error;
            }
            setReported(true);
            close();
          }}
        />
      )}
    </>
  );
  return <ReviewItem review={review} actions={canReply || canReport ? actions : undefined} />;
}
