// Backpressure's sampling and answers, on a fake backlog and a fake clock (no Redis).
import { expect } from 'chai';
import { Backpressure } from '../../server/http/backpressure.js';
import { ApiError } from '../../server/api-error.js';

async function refusal(p: Promise<void>): Promise<ApiError | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
}

describe('backpressure', () => {
  let clock = 0;
  let backlog = 0;
  let measures = 0;
  const make = (maxBacklog = 100) =>
    new Backpressure({
      measure: async () => {
        measures++;
        return backlog;
      },
      maxBacklog,
      refreshMs: 250,
      now: () => clock,
    });
  beforeEach(() => {
    clock = 1_000_000;
    backlog = 0;
    measures = 0;
  });
  const settle = () => new Promise((r) => setImmediate(r));

  it('accepts under the bound and measures at most once per refresh interval, whatever the traffic', async () => {
    const bp = make();
    for (let i = 0; i < 1000; i++) {
      await bp.admit();
      clock += 1; // 1,000 requests over 1 s
    }
    await settle();
    expect(measures).to.be.at.most(5).and.at.least(4);
  });

  it('refuses with 503 overloaded, Arabic and English, and Retry-After once the backlog passes the bound', async () => {
    const bp = make();
    backlog = 500;
    await bp.admit(); // the first look happens in the background
    await settle();
    clock += 250;
    const err = await refusal(bp.admit());
    expect(err?.status).to.equal(503);
    expect(err?.code).to.equal('overloaded');
    expect(err?.message).to.match(/retry after \d+ s/).and.match(/أعد المحاولة/);
    expect(Number(err?.headers['Retry-After'])).to.be.within(1, 60);
    // Within the interval refusals come from the sample: no extra measure.
    const before = measures;
    for (let i = 0; i < 50; i++) expect((await refusal(bp.admit()))?.status).to.equal(503);
    expect(measures).to.equal(before);
  });

  it('accepts again as soon as a fresh sample shows the backlog drained', async () => {
    const bp = make();
    backlog = 500;
    await bp.admit();
    await settle();
    expect(await refusal(bp.admit())).to.be.instanceOf(ApiError);
    backlog = 10;
    clock += 250;
    // Over the bound a stale sample is refreshed before refusing: this request is accepted.
    expect(await refusal(bp.admit())).to.equal(null);
  });

  it('derives Retry-After from the measured drain rate', async () => {
    const bp = make(100);
    backlog = 2100;
    await bp.admit();
    await settle();
    backlog = 1100; // 1,000 jobs drained in 1 s: 1,000 above the bound is about 1 s more
    clock += 1000;
    const err = await refusal(bp.admit());
    expect(err?.headers['Retry-After']).to.equal('1');
  });

  describe('between the soft bound and the hard one', () => {
    let sleeps = 0;
    let onSleep: () => void = () => undefined;
    const soft = () =>
      new Backpressure({
        measure: async () => {
          measures++;
          return backlog;
        },
        maxBacklog: 100,
        softBacklog: 50,
        maxWaitMs: 1000,
        refreshMs: 250,
        now: () => clock,
        sleep: async (ms) => {
          sleeps++;
          clock += ms;
          onSleep();
        },
      });
    beforeEach(() => {
      sleeps = 0;
      onSleep = () => undefined;
    });
    /** The first look happens in the background; the next request sees its sample. */
    const prime = async (bp: Backpressure) => {
      await bp.admit();
      await settle();
      sleeps = 0;
    };

    it('makes the request wait until a fresh sample shows the backlog under the soft bound', async () => {
      const bp = soft();
      backlog = 70;
      await prime(bp);
      onSleep = () => {
        if (sleeps === 2) backlog = 10;
      };
      expect(await refusal(bp.admit())).to.equal(null);
      expect(sleeps).to.equal(2);
      // Under the soft bound nothing waits.
      sleeps = 0;
      await bp.admit();
      expect(sleeps).to.equal(0);
    });

    it('admits after maxWaitMs when the backlog stays under the hard bound', async () => {
      const bp = soft();
      backlog = 70;
      await prime(bp);
      const t0 = clock;
      expect(await refusal(bp.admit())).to.equal(null);
      expect(clock - t0).to.equal(1000);
      expect(sleeps).to.equal(4);
    });

    it('refuses at once past the hard bound, without waiting', async () => {
      const bp = soft();
      backlog = 500;
      await prime(bp);
      const err = await refusal(bp.admit());
      expect(err?.status).to.equal(503);
      expect(sleeps).to.equal(0);
    });
  });

  it('is off without a queue or with a bound of 0', async () => {
    backlog = 1e9;
    const none = new Backpressure({ measure: null, maxBacklog: 10 });
    const zero = make(0);
    for (let i = 0; i < 3; i++) {
      await none.admit();
      await zero.admit();
      clock += 1000;
    }
    expect(measures).to.equal(0);
  });
});
