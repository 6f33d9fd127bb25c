// The pure side of provider callbacks (server/channels/callbacks.ts) and sender normalisation
// (inbound.ts): which UltraMsg events and Twilio statuses mean what, the callback URLs, the
// secret comparison.
import { expect } from 'chai';
import { interpretTwilioInbound, interpretTwilioStatus, interpretUltraMsgEvent, providerCallbackUrl, sameSecret, twilioParams } from '../../server/channels/callbacks.js';
import { senderPhone } from '../../server/channels/inbound.js';
import { ultramsgEvent } from '../helpers/fake-ultramsg.js';

const NOW = Date.parse('2026-03-01T09:00:00Z');

describe('provider callback parsing', () => {
  it('UltraMsg acks map server/device/read/played to sent/delivered/read, keyed by UltraMsg’s id and the status', () => {
    const ack = (a: string) => interpretUltraMsgEvent(ultramsgEvent('message_ack', '1150', { id: 77, data: { ack: a, fromMe: true } }), NOW);
    expect(ack('server')).to.deep.equal({ kind: 'delivery', dedupKey: 'message_ack:77:sent', providerMessageId: '77', status: 'sent' });
    expect(ack('device')).to.include({ status: 'delivered', dedupKey: 'message_ack:77:delivered' });
    expect(ack('read')).to.include({ status: 'read' });
    expect(ack('played')).to.include({ status: 'read' });
    expect(ack('pending')).to.deep.equal({ kind: 'ignore', reason: 'ack_not_tracked' });
    expect(interpretUltraMsgEvent(ultramsgEvent('message_ack', '1150', { data: { ack: 'read' } }), NOW)).to.deep.equal({ kind: 'ignore', reason: 'no_message_id' });
  });

  it('UltraMsg message_received is an inbound message with the WhatsApp id and the sender time; own messages are ignored', () => {
    const e = ultramsgEvent('message_received', '1150', { data: { id: 'false_966551234567@c.us_AB', from: '966551234567@c.us', to: '966500000000@c.us', body: 'نعم', time: 1_772_355_600 } });
    expect(interpretUltraMsgEvent(e, NOW)).to.deep.equal({
      kind: 'inbound',
      dedupKey: 'message_received:false_966551234567@c.us_AB',
      providerMessageId: 'false_966551234567@c.us_AB',
      from: '966551234567@c.us',
      to: '966500000000@c.us',
      body: 'نعم',
      receivedAt: 1_772_355_600_000,
    });
    // A sender clock more than a day ahead is not trusted.
    const future = ultramsgEvent('message_received', '1150', { data: { id: 'x', from: '966551234567@c.us', body: 'x', time: NOW / 1000 + 3 * 86_400 } });
    expect(interpretUltraMsgEvent(future, NOW)).to.include({ receivedAt: NOW });
    expect(interpretUltraMsgEvent(ultramsgEvent('message_received', '1150', { data: { id: 'y', from: '966551234567@c.us', fromMe: true } }), NOW)).to.deep.equal({ kind: 'ignore', reason: 'own_message' });
    expect(interpretUltraMsgEvent(ultramsgEvent('message_create', '1150', { id: 5, data: { fromMe: true } }), NOW)).to.include({ kind: 'delivery', status: 'sent', providerMessageId: '5' });
    expect(interpretUltraMsgEvent('nonsense', NOW)).to.deep.equal({ kind: 'ignore', reason: 'not_an_event' });
  });

  it('Twilio statuses: delivered/read/sent tracked, undelivered and failed carry the error code, others ignored', () => {
    expect(interpretTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'delivered' })).to.deep.equal({ kind: 'delivery', dedupKey: 'status:SM1:delivered', providerMessageId: 'SM1', status: 'delivered' });
    expect(interpretTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' })).to.deep.include({ status: 'failed', error: { code: 'twilio_30003', message: 'Twilio reported the message undelivered (error 30003)' } });
    expect(interpretTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'queued' })).to.deep.equal({ kind: 'ignore', reason: 'status_not_tracked' });
    expect(interpretTwilioStatus({ MessageStatus: 'delivered' })).to.deep.equal({ kind: 'ignore', reason: 'no_message_id' });
  });

  it('Twilio inbound: the channel comes from the sender address', () => {
    expect(interpretTwilioInbound(twilioParams({ MessageSid: 'SM2', From: 'whatsapp:+966551234567', To: 'whatsapp:+14155238886', Body: ['hi', 'ignored'] }))).to.deep.equal({
      kind: 'inbound',
      channel: 'whatsapp',
      providerMessageId: 'SM2',
      from: 'whatsapp:+966551234567',
      to: 'whatsapp:+14155238886',
      body: 'hi',
    });
    expect(interpretTwilioInbound({ MessageSid: 'SM3', From: '+966551234567', Body: 'STOP' })).to.include({ channel: 'sms' });
    expect(interpretTwilioInbound({ From: '+966551234567' })).to.deep.equal({ kind: 'ignore', reason: 'incomplete_message' });
  });

  it('builds callback URLs from the public URL', () => {
    expect(providerCallbackUrl('https://t.example.sa/', 'acme', 'twilio-status')).to.equal('https://t.example.sa/hooks/providers/twilio/acme/status');
    expect(providerCallbackUrl('https://t.example.sa', 'acme', 'twilio-inbound')).to.equal('https://t.example.sa/hooks/providers/twilio/acme/inbound');
    expect(providerCallbackUrl('https://t.example.sa', 'شركة', 'ultramsg', 'whsec_x')).to.equal(`https://t.example.sa/hooks/providers/ultramsg/${encodeURIComponent('شركة')}/whsec_x`);
    expect(() => providerCallbackUrl('https://t.example.sa', 'acme', 'ultramsg')).to.throw();
  });

  it('compares secrets exactly', () => {
    expect(sameSecret('whsec_abc', 'whsec_abc')).to.equal(true);
    expect(sameSecret('whsec_abd', 'whsec_abc')).to.equal(false);
    expect(sameSecret('whsec_ab', 'whsec_abc')).to.equal(false);
    expect(sameSecret('', '')).to.equal(false);
  });

  it('normalises senders to E.164 and refuses groups', () => {
    expect(senderPhone('966551234567@c.us')).to.equal('+966551234567');
    expect(senderPhone('whatsapp:+966551234567')).to.equal('+966551234567');
    expect(senderPhone('+966 55 123 4567')).to.equal('+966551234567');
    expect(senderPhone('0551234567')).to.equal('+966551234567');
    expect(senderPhone('120363025@g.us')).to.equal(null);
    expect(senderPhone('not a number')).to.equal(null);
  });
});
