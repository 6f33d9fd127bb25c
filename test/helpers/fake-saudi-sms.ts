// Local servers speaking Unifonic's and Taqnyat's SMS APIs, with answers recorded from their
// documentation (nothing leaves the machine):
//   Unifonic  POST /rest/SMS/messages (form: AppSid, SenderID, Body, Recipient, responseType, CorrelationID)
//             → 200 {"success":true,"message":"","errorCode":"ER-00","data":{"MessageID":…,"Status":"Sent",…}}
//             a wrong AppSid → 401 {"success":false,"message":"Authentication failed","errorCode":"ER-01"}
//   Taqnyat   POST /v1/messages (Bearer; JSON recipients, body, sender)
//             → 201 {"statusCode":201,"messageId":…,"cost":"0.0500","currency":"SAR","accepted":"[9665…,]","rejected":"[]"}
//             a wrong token → 401 {"statusCode":401,"message":"Unauthorized"}
import { startFakeHttpProvider, type FakeHttpProvider } from './fake-http-provider.js';

export const UNIFONIC_APP_SID = 'axuN0U7QlmqVPsfdgoK0mZ-test';
export const TAQNYAT_TOKEN = 'taqnyat-test-bearer-token';

export async function startFakeUnifonic(): Promise<FakeHttpProvider> {
  let n = 5_000_000_000;
  return startFakeHttpProvider((req) => {
    if (req.method !== 'POST' || req.path !== '/rest/SMS/messages') return { status: 404, body: { success: false, message: 'Not found', errorCode: 'ER-404' } };
    const b = req.body ?? {};
    if (b.AppSid !== UNIFONIC_APP_SID) return { status: 401, body: { success: false, message: 'Authentication failed', errorCode: 'ER-01', data: null } };
    if (!/^9\d{8,14}$/.test(String(b.Recipient ?? ''))) return { status: 410, body: { success: false, message: 'Invalid recipient format', errorCode: 'ER-10', data: null } };
    return {
      status: 200,
      body: {
        success: true,
        message: '',
        errorCode: 'ER-00',
        data: { MessageID: ++n, CorrelationID: b.CorrelationID ?? '', Status: 'Sent', NumberOfUnits: 1, Cost: 0.05, Balance: 120.5, Recipient: b.Recipient, TimeCreated: '2026-12-07 10:00:00', CurrencyCode: 'SAR' },
      },
    };
  });
}

export async function startFakeTaqnyat(): Promise<FakeHttpProvider> {
  let n = 7_000_000;
  return startFakeHttpProvider((req) => {
    if (req.method !== 'POST' || req.path !== '/v1/messages') return { status: 404, body: { statusCode: 404, message: 'Not Found' } };
    if (req.headers.authorization !== `Bearer ${TAQNYAT_TOKEN}`) return { status: 401, body: { statusCode: 401, message: 'Unauthorized' } };
    const recipients = Array.isArray(req.body?.recipients) ? (req.body.recipients as string[]) : [];
    const accepted = recipients.filter((r) => /^9\d{8,14}$/.test(r));
    const rejected = recipients.filter((r) => !accepted.includes(r));
    return { status: 201, body: { statusCode: 201, messageId: ++n, cost: '0.0500', currency: 'SAR', totalCount: recipients.length, msgLength: 1, accepted: `[${accepted.join(',')},]`, rejected: `[${rejected.join(',')}]` } };
  });
}
