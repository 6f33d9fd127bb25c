// The provider webhooks in the OpenAPI document (they are served before the /api/v1 router, so
// route() does not describe them): the WhatsApp Cloud API's one webhook with its verification
// handshake and signature, and the Saudi SMS providers' delivery reports.
const ERROR = { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const err = (description: string) => ({ ...ERROR, description });

export function providerHookPaths(): Record<string, Record<string, unknown>> {
  const smsReport = (provider: 'unifonic' | 'taqnyat', label: string) => ({
    post: {
      operationId: `${provider}DeliveryReport`,
      summary: `${label} delivery report (the credential's webhookSecret in the URL authenticates it)`,
      tags: ['provider webhooks'],
      security: [],
      parameters: [
        { name: 'tenant', in: 'path', required: true, description: 'the workspace slug', schema: { type: 'string' } },
        { name: 'secret', in: 'path', required: true, description: `the ${provider} credential's webhookSecret (compared in constant time)`, schema: { type: 'string', minLength: 16 } },
      ],
      requestBody: {
        required: true,
        description: 'JSON or form fields: the message id (MessageID, messageId or msgId) and its status (Sent, Delivered, Failed, Rejected, Undeliverable, Expired); errorCode and message on failures',
        content: { 'application/json': { schema: { type: 'object' } }, 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
      },
      responses: {
        '200': { description: 'handled: {result: applied | unknown_message | duplicate | ignored}', content: { 'application/json': { schema: { type: 'object' } } } },
        '404': err('unknown workspace or wrong secret'),
        '500': err('handling failed; the provider retries'),
      },
    },
  });
  return {
    '/hooks/providers/whatsapp': {
      get: {
        operationId: 'whatsappWebhookVerify',
        summary: 'WhatsApp Cloud API webhook verification handshake (Meta calls it when the callback URL is saved)',
        tags: ['provider webhooks'],
        security: [],
        parameters: [
          { name: 'hub.mode', in: 'query', required: true, schema: { const: 'subscribe' } },
          { name: 'hub.verify_token', in: 'query', required: true, description: 'must equal TADFUQ_WHATSAPP_VERIFY_TOKEN (compared in constant time)', schema: { type: 'string' } },
          { name: 'hub.challenge', in: 'query', required: true, description: 'echoed back as the answer', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$' } },
        ],
        responses: {
          '200': { description: 'the hub.challenge, as text/plain', content: { 'text/plain': { schema: { type: 'string' } } } },
          '403': err('wrong mode or verify token'),
        },
      },
      post: {
        operationId: 'whatsappWebhookEvents',
        summary: 'WhatsApp Cloud API events for every phone number of every workspace: inbound messages and message statuses, routed by metadata.phone_number_id',
        description:
          'One URL per deployment. The raw body must be signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the Meta app secret TADFUQ_WHATSAPP_APP_SECRET>`, compared in constant time before the body is read. Inbound messages are deduplicated by message id and statuses by (message id, status); a status older than the message’s current one (delivered after read) never moves it back. A phone number id no workspace owns is counted as unknown_number and ignored.',
        tags: ['provider webhooks'],
        security: [],
        parameters: [{ name: 'X-Hub-Signature-256', in: 'header', required: true, description: 'sha256=<64 hex digits>', schema: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['object', 'entry'],
                properties: {
                  object: { const: 'whatsapp_business_account' },
                  entry: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        id: { type: 'string', description: 'WhatsApp Business Account id' },
                        changes: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              field: { const: 'messages' },
                              value: {
                                type: 'object',
                                properties: {
                                  metadata: { type: 'object', properties: { phone_number_id: { type: 'string' }, display_phone_number: { type: 'string' } } },
                                  messages: { type: 'array', items: { type: 'object' } },
                                  statuses: { type: 'array', items: { type: 'object' } },
                                },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'handled: counts of stored, applied, duplicate, unknown_message, unknown_number and ignored events',
            content: { 'application/json': { schema: { type: 'object', properties: { result: { const: 'handled' } } } } },
          },
          '401': err('missing or wrong X-Hub-Signature-256'),
          '404': err('the deployment has no TADFUQ_WHATSAPP_APP_SECRET'),
          '500': err('handling failed; Meta retries'),
        },
      },
    },
    '/hooks/providers/unifonic/{tenant}/{secret}': smsReport('unifonic', 'Unifonic'),
    '/hooks/providers/taqnyat/{tenant}/{secret}': smsReport('taqnyat', 'Taqnyat'),
  };
}
