// The messaging providers' names as people read them, in both languages (outbox views, analytics).
import type { Localized } from '../../engine/index.js';
import type { ProviderName } from './provider.js';

export const PROVIDER_LABELS: Readonly<Record<ProviderName, Localized>> = {
  'whatsapp-cloud': { en: 'WhatsApp Cloud API (Meta)', ar: 'واجهة واتساب السحابية (ميتا)' },
  ultramsg: { en: 'UltraMsg (WhatsApp)', ar: 'ألترا مسج (واتساب)' },
  twilio: { en: 'Twilio', ar: 'تويليو' },
  unifonic: { en: 'Unifonic (SMS)', ar: 'يونيفونك (رسائل نصية)' },
  taqnyat: { en: 'Taqnyat (SMS)', ar: 'تقنيات (رسائل نصية)' },
  smtp: { en: 'Email (SMTP)', ar: 'البريد الإلكتروني (SMTP)' },
  sandbox: { en: 'Sandbox (recorded, not sent)', ar: 'بيئة التجربة (تُسجَّل ولا تُرسل)' },
};

/** The label of a provider name as stored on an outbox row; null for none or an unknown name. */
export function providerLabel(name: string | null): Localized | null {
  return name !== null && Object.hasOwn(PROVIDER_LABELS, name) ? PROVIDER_LABELS[name as ProviderName] : null;
}
