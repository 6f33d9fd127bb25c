// db/group-commit.ts: adaptive group commit. A lone writer starts its transaction at once;
// concurrent writers share transactions; a failing write does not fail its batch-mates.
import { expect } from 'chai';
import { GroupCommit } from '../../db/group-commit.js';

function recorder(fail: (w: number) => boolean = () => false) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const group = new GroupCommit<number>(async (writes) => {
    batches.push(writes);
    if (hold) await new Promise<void>((r) => (release = r));
    if (writes.some(fail)) throw new Error('bad write');
  });
  return {
    group,
    batches,
    hold: (on: boolean) => (hold = on),
    release: () => release?.(),
  };
}

describe('GroupCommit (adaptive)', () => {
  it('starts a lone write at once, without waiting a turn of the event loop for company', async () => {
    const r = recorder();
    const done = r.group.commit(1);
    // No timer, no setImmediate: the transaction has already started.
    expect(r.batches).to.deep.equal([[1]]);
    await done;
    // Still alone next time: still at once.
    const again = r.group.commit(2);
    expect(r.batches).to.deep.equal([[1], [2]]);
    await again;
  });

  it('commits the writes that arrive during a transaction together in the next one', async () => {
    const r = recorder();
    r.hold(true);
    const first = r.group.commit(1);
    const rest = [2, 3, 4].map((w) => r.group.commit(w));
    r.hold(false);
    r.release();
    await Promise.all([first, ...rest]);
    expect(r.batches).to.deep.equal([[1], [2, 3, 4]]);
  });

  it('under concurrency waits one turn for the writers of the same tick', async () => {
    const r = recorder();
    r.hold(true);
    const first = r.group.commit(1);
    const second = [r.group.commit(2), r.group.commit(3)];
    r.hold(false);
    r.release();
    await Promise.all([first, ...second]);
    // The last batch carried two writes: the next burst is gathered into one transaction.
    const burst = [10, 11, 12].map((w) => r.group.commit(w));
    expect(r.batches).to.have.length(2);
    await Promise.all(burst);
    expect(r.batches.at(-1)).to.deep.equal([10, 11, 12]);
  });

  it('a failing write fails alone; its batch-mates are retried one by one and succeed', async () => {
    const r = recorder((w) => w === 3);
    r.hold(true);
    const first = r.group.commit(1);
    const results = [2, 3, 4].map((w) => r.group.commit(w).then(() => 'ok', () => 'failed'));
    r.hold(false);
    r.release();
    await first;
    expect(await Promise.all(results)).to.deep.equal(['ok', 'failed', 'ok']);
  });
});
