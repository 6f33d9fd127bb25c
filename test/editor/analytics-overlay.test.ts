// The canvas analytics overlay's pure parts (editor/src/canvas/analytics-overlay.ts, the
// analytics route parsing), without a browser: which count an edge carries.
import { expect } from 'chai';
import { edgeCount, stepsById } from '../../editor/src/canvas/analytics-overlay.js';
import type { StepReport } from '../../editor/src/api/analytics-types.js';

const counts = { reached: 10, sent: 6, blocked: 3, failed: 1, delivered: 5, read: 2, replied: 2, optedOut: 0, escalated: 0, converted: 0 };
const step = (nodeId: string, c = counts): StepReport => ({
  nodeId,
  type: 'send.whatsapp',
  label: null,
  channels: ['whatsapp'],
  counts: c,
  rates: { sent: 0.6, blocked: 0.3, delivered: 0.8333, read: 0.3333, replied: 0.3333, optedOut: 0, escalated: 0, converted: 0 },
  blockedBy: { missing: 3 },
  failedBy: {},
  replyClasses: {},
  medianReplyMs: null,
  sentByProvider: { ultramsg: 6 },
  costHalalas: 0,
  variants: [],
  comparison: null,
  days: [],
});

describe('editor: analytics overlay edges', () => {
  const steps = stepsById([step('wa1'), step('sms2', { ...counts, reached: 4 })]);
  it('an edge out of a send step carries its port’s count', () => {
    expect(edgeCount({ source: 'wa1', target: 'w1', sourceHandle: 'sent' }, steps)).to.equal(6);
    expect(edgeCount({ source: 'wa1', target: 'end', sourceHandle: 'blocked' }, steps)).to.equal(3);
    expect(edgeCount({ source: 'wa1', target: 'end', sourceHandle: 'error' }, steps)).to.equal(1);
    expect(edgeCount({ source: 'wa1', target: 'end', sourceHandle: 'not_sent' }, steps)).to.equal(4);
  });
  it('an edge into a send step carries the step’s reached; others carry nothing', () => {
    expect(edgeCount({ source: 'w1', target: 'sms2', sourceHandle: 'timeout' }, steps)).to.equal(4);
    expect(edgeCount({ source: 'start', target: 'w1', sourceHandle: 'out' }, steps)).to.equal(null);
  });
});
