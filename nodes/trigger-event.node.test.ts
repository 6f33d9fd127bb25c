import { expect } from 'chai';
import { eventMatches, triggerEventNode } from './trigger-event.node.js';
import { checkParams, FIXED_NOW, portOutput, runNode } from './testing/run-node.js';

const event = { id: 'ev-1', type: 'deal.stage_changed', subject: 'c1', data: { from: 'proposal', to: 'won', deal: { valueSar: '250000.00' } }, contact: { id: 'c1', tier: 'hot' } };

describe('trigger.event', () => {
  it('takes a known or custom dotted event type and an optional expression or boolean filter', () => {
    expect(checkParams(triggerEventNode, { event: 'lead.created' })).to.deep.equal([]);
    expect(checkParams(triggerEventNode, { event: 'acme.invoice_paid', filter: '=data.total > 10' })).to.deep.equal([]);
    expect(checkParams(triggerEventNode, { event: 'lead.created', filter: true })).to.deep.equal([]);
    expect(checkParams(triggerEventNode, { event: 'lead created' })[0]?.path).to.equal('/event');
    expect(checkParams(triggerEventNode, { event: '' })[0]?.path).to.equal('/event');
    expect(checkParams(triggerEventNode, {})[0]?.code).to.be.a('string');
    expect(checkParams(triggerEventNode, { event: 'lead.created', filter: 'data.x' })).to.deep.equal([
      { path: '/filter', code: 'invalid_value', message: 'filter must be true, false or an expression starting with "="' },
    ]);
    expect(checkParams(triggerEventNode, { event: 'lead.created', other: 1 })[0]?.code).to.be.a('string');
  });

  it('passes the event on unchanged', async () => {
    const { result } = await runNode(triggerEventNode, { params: { event: 'deal.stage_changed' }, input: event });
    expect(portOutput(result)).to.deep.equal({ port: 'out', output: event });
  });

  describe('eventMatches (which flows an event starts)', () => {
    it('needs the same type', async () => {
      expect(await eventMatches({ event: 'deal.stage_changed' }, event, FIXED_NOW)).to.equal(true);
      expect(await eventMatches({ event: 'deal.updated' }, event, FIXED_NOW)).to.equal(false);
    });

    it('respects the filter over the event, with $contact and $now bound', async () => {
      expect(await eventMatches({ event: event.type, filter: '=data.to = "won"' }, event, FIXED_NOW)).to.equal(true);
      expect(await eventMatches({ event: event.type, filter: '=data.to = "lost"' }, event, FIXED_NOW)).to.equal(false);
      expect(await eventMatches({ event: event.type, filter: '=$number(data.deal.valueSar) >= 100000' }, event, FIXED_NOW)).to.equal(true);
      expect(await eventMatches({ event: event.type, filter: '=$contact.tier = "hot"' }, event, FIXED_NOW)).to.equal(true);
      expect(await eventMatches({ event: event.type, filter: '=$substring($now, 0, 10) = "2026-03-01"' }, event, FIXED_NOW)).to.equal(true);
    });

    it('treats falsy results, boolean false and failing filters as no match', async () => {
      expect(await eventMatches({ event: event.type, filter: '=data.missing' }, event, FIXED_NOW)).to.equal(false);
      expect(await eventMatches({ event: event.type, filter: false }, event, FIXED_NOW)).to.equal(false);
      expect(await eventMatches({ event: event.type, filter: true }, event, FIXED_NOW)).to.equal(true);
      expect(await eventMatches({ event: event.type, filter: '=$error("boom")' }, event, FIXED_NOW)).to.equal(false);
    });
  });
});
