import { expect } from 'chai';
import type { Channel, Outbox, SendRequest, SendResult } from '../engine/index.js';
import { DELIVERY_POLL_MS, sendMessageNode } from './send-message.node.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';

/** An outbox with per-channel consent and answers; each (step, key) answers from its "row" once decided, like the real one. */
function fakeOutbox(consented: Channel[], answer: (req: SendRequest) => SendResult): Outbox & { requests: SendRequest[]; rows: Map<string, SendResult> } {
  const requests: SendRequest[] = [];
  const rows = new Map<string, SendResult>();
  return {
    requests,
    rows,
    async send(origin, request) {
      const key = `${origin.stepId}:${request.key ?? ''}`;
      const known = rows.get(key);
      if (known) return known;
      requests.push(request);
      const result = answer(request);
      rows.set(key, result);
      return result;
    },
    async consent(_tenant, _contact, channel) {
      return consented.includes(channel) ? { ok: true } : { ok: false, reason: 'missing' };
    },
  };
}

const sent = (r: SendRequest, extra: Partial<Extract<SendResult, { status: 'sent' }>> = {}): SendResult => ({
  status: 'sent',
  messageId: `m-${r.channel}`,
  provider: 'sandbox',
  providerMessageId: null,
  to: r.channel === 'email' ? 'a@b.sa' : '+966500000001',
  delivery: 'sent',
  sentAt: Date.parse('2026-03-01T09:00:00Z'),
  deliveredAt: null,
  ...extra,
});

const params = {
  purpose: 'marketing',
  channels: [
    { channel: 'whatsapp', template: { name: 'intro', variables: { name: 'سارة' } } },
    { channel: 'sms', text: 'مرحبا سارة' },
    { channel: 'email', subject: 'Hello', text: 'Hi Sara' },
  ],
};

describe('send.message (channel rotation)', () => {
  it('is a Class B sales node with sent / not_sent / error ports', () => {
    expect(sendMessageNode).to.include({ type: 'send.message', category: 'sales', policyClass: 'B', sideEffects: true });
    expect((sendMessageNode.outputs as { port: string }[]).map((p) => p.port)).to.deep.equal(['sent', 'not_sent', 'error']);
  });

  it('checks each channel’s message and refuses a channel listed twice', () => {
    expect(checkParams(sendMessageNode, params)).to.deep.equal([]);
    const errors = checkParams(sendMessageNode, {
      purpose: 'service',
      channels: [{ channel: 'sms' }, { channel: 'sms', text: 'x' }, { channel: 'email', text: 'x' }, ],
    });
    expect(errors.map((e) => `${e.path} ${e.code}`)).to.include.members(['/channels/0/text required', '/channels/1/channel duplicate_channel', '/channels/2/subject required']);
    expect(checkParams(sendMessageNode, { purpose: 'service', channels: [] }).length).to.be.greaterThan(0);
    // A fallback template (closed WhatsApp window) is for WhatsApp only.
    expect(checkParams(sendMessageNode, { purpose: 'service', channels: [{ channel: 'whatsapp', text: 'x', fallbackTemplate: { name: 'follow_up' } }] })).to.deep.equal([]);
    expect(checkParams(sendMessageNode, { purpose: 'service', channels: [{ channel: 'sms', text: 'x', fallbackTemplate: { name: 'follow_up' } }] }).map((e) => `${e.path} ${e.code}`)).to.deep.equal(['/channels/0/fallbackTemplate not_allowed']);
  });

  it('skips a channel without consent (checked per channel and purpose) and sends once on the next, with its own outbox key', async () => {
    const outbox = fakeOutbox(['sms', 'email'], (r) => sent(r));
    const { result } = await runNode(sendMessageNode, { params, subject: 'c1', outbox });
    expect(outbox.requests.map((r) => [r.channel, r.key])).to.deep.equal([['sms', 'sms']]);
    expect(outbox.requests[0]).to.deep.include({ contactId: 'c1', purpose: 'marketing', text: 'مرحبا سارة' });
    const out = portOutput(result);
    expect(out.port).to.equal('sent');
    expect(out.output).to.deep.include({ channel: 'sms', messageId: 'm-sms' });
    expect((out.output as { tried: unknown[] }).tried).to.deep.equal([
      { channel: 'whatsapp', outcome: 'no_consent', reason: 'missing' },
      { channel: 'sms', outcome: 'sent', messageId: 'm-sms' },
    ]);
  });

  it('moves on when the provider refuses or the outbox blocks; a re-run never sends again', async () => {
    const outbox = fakeOutbox(['whatsapp', 'sms', 'email'], (r) =>
      r.channel === 'whatsapp' ? { status: 'failed', messageId: 'm-wa', code: 'whatsapp_session_closed', message: 'closed' } : r.channel === 'sms' ? { status: 'blocked', messageId: 'm-sms', reason: 'no_address' } : sent(r),
    );
    const first = await runNode(sendMessageNode, { params, subject: 'c1', outbox });
    expect(portOutput(first.result).output).to.deep.include({ channel: 'email' });
    await runNode(sendMessageNode, { params, subject: 'c1', outbox });
    expect(outbox.requests.map((r) => r.channel)).to.deep.equal(['whatsapp', 'sms', 'email']);
  });

  it('an uncertain send stops the rotation (never a second channel)', async () => {
    const outbox = fakeOutbox(['whatsapp', 'sms'], () => ({ status: 'failed', messageId: 'm', code: 'send_uncertain', message: 'maybe' }));
    const err = await failureOf(runNode(sendMessageNode, { params, subject: 'c1', outbox }));
    expect(err).to.include({ code: 'send_uncertain', retryable: false });
    expect(outbox.requests).to.have.length(1);
  });

  it('waits for delivery up to the timeout, then tries the next channel; delivered in time ends the step', async () => {
    const withTimeout = { ...params, channels: params.channels.slice(0, 2), deliveryTimeoutSeconds: 3600 };
    const outbox = fakeOutbox(['whatsapp', 'sms'], (r) => sent(r));
    // 30 minutes after the WhatsApp send: not delivered yet → a durable wait, no second channel.
    const early = await failureOf(runNode(sendMessageNode, { params: withTimeout, subject: 'c1', outbox, now: new Date('2026-03-01T09:30:00Z') }));
    expect(early).to.include({ code: 'awaiting_delivery', retryable: true });
    expect(early.retryAfterMs).to.equal(DELIVERY_POLL_MS);
    expect(outbox.requests.map((r) => r.channel)).to.deep.equal(['whatsapp']);
    // After the hour, still only "sent": SMS goes.
    const late = await runNode(sendMessageNode, { params: withTimeout, subject: 'c1', outbox, now: new Date('2026-03-01T10:00:01Z') });
    expect(outbox.requests.map((r) => r.channel)).to.deep.equal(['whatsapp', 'sms']);
    expect((portOutput(late.result).output as { tried: Array<{ outcome: string }> }).tried.map((t) => t.outcome)).to.deep.equal(['not_delivered', 'sent']);

    const delivered = fakeOutbox(['whatsapp', 'sms'], (r) => sent(r, { delivery: 'delivered', deliveredAt: Date.parse('2026-03-01T09:05:00Z') }));
    const ok = await runNode(sendMessageNode, { params: withTimeout, subject: 'c2', outbox: delivered, now: new Date('2026-03-01T09:30:00Z') });
    expect(portOutput(ok.result).output).to.deep.include({ channel: 'whatsapp' });
    expect(delivered.requests).to.have.length(1);
  });

  it('sendOnEveryChannel sends on each consented channel', async () => {
    const outbox = fakeOutbox(['whatsapp', 'email'], (r) => sent(r));
    const { result } = await runNode(sendMessageNode, { params: { ...params, sendOnEveryChannel: true }, subject: 'c1', outbox });
    expect(outbox.requests.map((r) => r.channel)).to.deep.equal(['whatsapp', 'email']);
    expect((portOutput(result).output as { sent: unknown[] }).sent).to.have.length(2);
  });

  it('no channel possible: not_sent when connected, else the step fails with no_channel', async () => {
    const outbox = fakeOutbox([], (r) => sent(r));
    const { result } = await runNode(sendMessageNode, { params, subject: 'c1', outbox });
    expect(portOutput(result)).to.deep.include({ port: 'not_sent' });
    const err = await failureOf(runNode(sendMessageNode, { params, subject: 'c1', outbox, connectedPorts: ['sent', 'error'] }));
    expect(err).to.include({ code: 'no_channel', retryable: false });
    expect(outbox.requests).to.have.length(0);
  });
});
