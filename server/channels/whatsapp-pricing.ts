// What a WhatsApp Cloud API message is estimated to cost, by Meta's pricing category, in
// halalas (integer; 100 halalas = 1 SAR). An estimate recorded with the outbox row for the
// outbox view and the analytics; Meta's invoice is the truth.
//
// PRICE TABLE — Saudi Arabia recipients, Meta's per-message rate card effective 2025-07-01
// (USD), converted at the SAR peg 3.75 and rounded UP to whole halalas:
//   marketing       $0.0455  → 0.1706 SAR → 18 halalas
//   utility         $0.0115  → 0.0431 SAR →  5 halalas
//   authentication  $0.0115  → 0.0431 SAR →  5 halalas
//   service         free (replies inside the 24-hour customer service window) → 0
// Utility templates sent inside an open customer service window are free too (Meta, July 2025).
// Update PRICE_TABLE_DATE with the figures when Meta changes its rate card.
export const PRICE_TABLE_DATE = '2025-07-01';

export const PRICING_CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
export type PricingCategory = (typeof PRICING_CATEGORIES)[number];

export const SAUDI_PRICE_HALALAS: Readonly<Record<PricingCategory, number>> = {
  marketing: 18,
  utility: 5,
  authentication: 5,
  service: 0,
};

export const isPricingCategory = (v: unknown): v is PricingCategory => typeof v === 'string' && (PRICING_CATEGORIES as readonly string[]).includes(v);

export interface CostEstimate {
  category: PricingCategory;
  halalas: number;
}

/**
 * The estimate for one message: free text is a service conversation (free); a template is
 * priced by its category (the synced template's, else guessed from the consent purpose:
 * marketing → marketing, anything else → utility). A utility template inside an open window is free.
 */
export function estimateWhatsAppCost(input: { template: boolean; templateCategory?: string | null; purpose: string; windowOpen: boolean }): CostEstimate {
  if (!input.template) return { category: 'service', halalas: 0 };
  const known = input.templateCategory?.toLowerCase();
  const category: PricingCategory = isPricingCategory(known) && known !== 'service' ? known : input.purpose === 'marketing' ? 'marketing' : 'utility';
  if (category === 'utility' && input.windowOpen) return { category, halalas: 0 };
  return { category, halalas: SAUDI_PRICE_HALALAS[category] };
}
