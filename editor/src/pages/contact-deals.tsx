// The contact's deals (from the CRM records, GET /deals?contactId=): title, stage, value in SAR —
// a decimal string from the API, formatted exactly by Intl, never parsed into a float —,
// probability and expected close date.
import { useEffect, useState } from 'react';
import type { Static } from '@sinclair/typebox';
import type { DealView } from '../../../server/schemas/crm.js';
import { api } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { ErrorNotice } from '../ui/error-notice';

/** A deal as the API answers it (server/schemas/crm.ts, type-only). */
export type Deal = Static<typeof DealView>;

export function DealsSection({ contactId }: { contactId: string }) {
  const { t, money, percent, dateTime } = useI18n();
  const [deals, setDeals] = useState<Deal[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api
      .get<{ items: Deal[] }>(`/deals?contactId=${encodeURIComponent(contactId)}&limit=50`)
      .then((page) => setDeals(page.items))
      .catch((err: Error) => setError(err.message));
  }, [contactId]);
  return (
    <section aria-labelledby="deals-title">
      <h2 id="deals-title">{t('contacts2.deals.title')}</h2>
      <ErrorNotice message={error} />
      {deals && deals.length === 0 && <p className="empty">{t('contacts2.deals.empty')}</p>}
      {deals && deals.length > 0 && (
        <table className="table" data-testid="deals">
          <thead>
            <tr>
              <th scope="col">{t('contacts2.deals.colTitle')}</th>
              <th scope="col">{t('contacts2.deals.colStage')}</th>
              <th scope="col">{t('contacts2.deals.colValue')}</th>
              <th scope="col">{t('contacts2.deals.colProbability')}</th>
              <th scope="col">{t('contacts2.deals.colClose')}</th>
              <th scope="col">{t('contacts2.deals.colUpdated')}</th>
            </tr>
          </thead>
          <tbody>
            {deals.map((d) => (
              <tr key={d.id} data-deal-id={d.id} data-stage={d.stage}>
                <td>{d.title}</td>
                <td>{t(`contacts2.deals.stage.${d.stage}`)}</td>
                <td className="num" data-testid="deal-value">
                  <bdi>{money(d.valueSar, d.currency)}</bdi>
                </td>
                <td className="num">{d.probability === null ? '—' : percent(d.probability / 100)}</td>
                <td>{d.expectedCloseDate ?? '—'}</td>
                <td>{dateTime(d.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
