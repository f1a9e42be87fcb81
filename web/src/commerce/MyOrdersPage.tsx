import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { PagedListState, Pager } from '../components/adminList';
import { linkClass } from '../components/form';
import { useDocumentTitle } from '../catalog/useDocumentTitle';
import { formatShortDateTime } from '../lib/time';
import { commerceKeys, fetchMyOrders } from './api';
import { CommercePage, Money, OrderStatusBadge } from './components';

const PAGE_SIZE = 20;

/** /me/orders: every order of the signed-in student, newest first, each with its receipt. */
export function MyOrdersPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('commerce.orders.title'));
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const query = { page, pageSize: PAGE_SIZE };
  const orders = useQuery({
    queryKey: commerceKeys.myOrders(query),
    queryFn: ({ signal }) => fetchMyOrders(query, signal),
    placeholderData: keepPreviousData,
  });

  return (
    <CommercePage title={t('commerce.orders.title')} width="max-w-5xl">
      <PagedListState query={orders} emptyText={t('commerce.orders.empty')}>
        {(items) => (
          <div className="overflow-x-auto rounded-2xl border border-slate-200 bg-white shadow-sm">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">{t('commerce.orders.caption')}</caption>
              <thead className="bg-slate-50 text-slate-600">
                <tr>
                  <th scope="col" className="px-4 py-3 font-medium">
                    {t('commerce.orders.date')}
                  </th>
                  <th scope="col" className="px-4 py-3 font-medium">
                    {t('commerce.orders.course')}
                  </th>
                  <th scope="col" className="px-4 py-3 text-right font-medium">
                    {t('commerce.orders.amount')}
                  </th>
                  <th scope="col" className="px-4 py-3 font-medium">
                    {t('commerce.orders.status')}
                  </th>
                  <th scope="col" className="px-4 py-3 font-medium">
                    <span className="sr-only">{t('commerce.orders.receipt')}</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {items.map((order) => (
                  <tr key={order.id}>
                    <td className="px-4 py-3 whitespace-nowrap text-slate-700">
                      {formatShortDateTime(new Date(order.paidAt ?? order.createdAt), i18n.language)}
                    </td>
                    <td className="px-4 py-3">
                      <Link to={`/courses/${encodeURIComponent(order.course.slug)}`} className={linkClass}>
                        {order.course.title}
                      </Link>
                    </td>
                    <td className="px-4 py-3 text-right whitespace-nowrap text-slate-900">
                      <Money amount={order.amount} currency={order.currency} />
                    </td>
                    <td className="px-4 py-3">
                      <OrderStatusBadge status={order.status} />
                    </td>
                    <td className="px-4 py-3 text-right whitespace-nowrap">
                      {order.status === 'pending' && order.checkoutUrl ? (
                        <a
                          href={order.checkoutUrl}
                          className={linkClass}
                          aria-label={t('commerce.orders.payFor', { course: order.course.title })}
                        >
                          {t('commerce.result.resume')}
                        </a>
                      ) : (
                        <Link
                          to={`/me/orders/${encodeURIComponent(order.id)}`}
                          className={linkClass}
                          aria-label={t('commerce.orders.receiptFor', { course: order.course.title })}
                        >
                          {t('commerce.orders.receipt')}
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </PagedListState>
      <Pager
        page={page}
        result={orders.data}
        onPageChange={(update) => {
          const next = update(page);
          setParams(next > 1 ? { page: String(next) } : {});
        }}
      />
    </CommercePage>
  );
}
