import { expect } from 'chai';
import { hashPassword, verifyPassword } from '../../server/auth/passwords.js';

describe('password hashing', () => {
  it('hashes with argon2id at 64 MiB, 3 passes, 4 lanes and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).to.match(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    expect(await verifyPassword(stored, 'correct horse battery')).to.equal(true);
    expect(await verifyPassword(stored, 'correct horse batterx')).to.equal(false);
  });

  it('still verifies hashes written by the earlier `argon2` package (same PHC string format)', async () => {
    const fromEarlierLibrary = '$argon2id$v=19$m=65536,t=3,p=4$9ZlaQgQ94bMxZhec37lpbA$+1Q4E0p0winwBEoUIBb8KL/A9AUaQqh2CPpEnJXNmSY';
    expect(await verifyPassword(fromEarlierLibrary, 'correct horse battery')).to.equal(true);
    expect(await verifyPassword(fromEarlierLibrary, 'wrong')).to.equal(false);
  });

  it('never authenticates against a malformed stored hash', async () => {
    expect(await verifyPassword('not-a-hash', 'anything')).to.equal(false);
  });
});
