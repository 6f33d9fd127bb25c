// A local Graph API speaking the WhatsApp Cloud API's send and template endpoints, with answers
// recorded from Meta's documentation (nothing leaves the machine):
//   POST /v21.0/{phone-number-id}/messages           → {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid.…"}]}
//   GET  /v21.0/{waba-id}/message_templates?after=…  → {"data":[…],"paging":{"cursors":{…},"next":…}}
//   POST /v21.0/{phone-number-id}/media (multipart/form-data: messaging_product, type, file) → {"id":"<media id>"}
// A wrong bearer token answers 401 with Graph error 190; an unknown phone number id 400 with code 100.
import { startFakeHttpProvider, type FakeHttpProvider } from './fake-http-provider.js';

export const GRAPH_TOKEN = 'EAAG-test-system-user-token';

export const TEMPLATES = [
  { id: '1001', name: 'follow_up', language: 'ar', status: 'APPROVED', category: 'MARKETING', components: [{ type: 'BODY', text: 'مرحبا {{1}}، هل ما زلت مهتمًا؟' }] },
  { id: '1002', name: 'appointment', language: 'ar', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'HEADER', format: 'TEXT', text: 'موعد' }, { type: 'BODY', text: 'موعدك يوم {{day}}' }] },
  { id: '1003', name: 'otp', language: 'en', status: 'PENDING', category: 'AUTHENTICATION', components: [{ type: 'BODY', text: '{{1}} is your code' }] },
];

export interface FakeWhatsAppCloud extends FakeHttpProvider {
  phoneNumberIds: string[];
  businessAccountId: string;
}

export async function startFakeWhatsAppCloud(phoneNumberIds: string[] = ['106540352242922'], businessAccountId = '102290129340398'): Promise<FakeWhatsAppCloud> {
  let n = 0;
  const fake = await startFakeHttpProvider((req) => {
    if (req.headers.authorization !== `Bearer ${GRAPH_TOKEN}`) {
      return { status: 401, body: { error: { message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam' } } };
    }
    const send = /^\/v\d+\.\d+\/(\d+)\/messages$/.exec(req.path);
    if (req.method === 'POST' && send) {
      if (!phoneNumberIds.includes(send[1]!)) {
        return { status: 400, body: { error: { message: `Unsupported post request. Object with ID '${send[1]}' does not exist`, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'A1' } } };
      }
      const to = String(req.body?.to ?? '');
      return { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: `wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI${String(++n).padStart(4, '0')}`, ...(req.body?.type === 'template' ? { message_status: 'accepted' } : {}) }] } };
    }
    const media = /^\/v\d+\.\d+\/(\d+)\/media$/.exec(req.path);
    if (req.method === 'POST' && media) {
      if (!phoneNumberIds.includes(media[1]!)) return { status: 400, body: { error: { message: `Unsupported post request. Object with ID '${media[1]}' does not exist`, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'A2' } } };
      if (!/^multipart\/form-data; boundary=/.test(String(req.headers['content-type']))) return { status: 400, body: { error: { message: '(#100) The parameter file is required.', type: 'OAuthException', code: 100, fbtrace_id: 'A3' } } };
      return { status: 200, body: { id: `${1_000_000_000_000_000 + ++n}` } };
    }
    const list = /^\/v\d+\.\d+\/(\d+)\/message_templates$/.exec(req.path);
    if (req.method === 'GET' && list && list[1] === businessAccountId) {
      // Two pages: the first two templates, then the rest.
      const after = req.query.get('after');
      if (!after) return { status: 200, body: { data: TEMPLATES.slice(0, 2), paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' }, next: 'https://graph.facebook.com/v21.0/…&after=MjQZD' } } };
      return { status: 200, body: { data: TEMPLATES.slice(2), paging: { cursors: { before: 'MjQZD', after: 'MzQZD' } } } };
    }
    return { status: 404, body: { error: { message: 'Unknown path components', type: 'OAuthException', code: 2500 } } };
  });
  return Object.assign(fake, { phoneNumberIds, businessAccountId });
}
