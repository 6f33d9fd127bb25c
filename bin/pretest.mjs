#!/usr/bin/env node
/* global process, console */
// `npm test` runs this first: the editor's browser tests drive Debian's chromium (never a
// downloaded browser). Missing, and we are root on Debian: install it (a minute, once).
// Otherwise say in one line what to run; the browser suites then skip (fail under CI=1).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get') && !process.env.CHROMIUM_PATH && !process.env.TADFUQ_NO_APT;
  if (canInstall) {
    console.log("pretest: Debian's chromium is missing (the editor tests need it); installing it with apt-get…");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // apt's chatter (debconf notes) is shown only when it fails.
    const ok = (args) => {
      const run = spawnSync('apt-get', args, { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8' });
      if (run.status !== 0) process.stderr.write(run.stderr ?? '');
      return run.status === 0;
    };
    if (!(ok(['update', '-qq']) && ok(['install', '-y', '-qq', 'chromium']))) {
      console.error('pretest: apt-get install -y chromium failed; the editor tests will be skipped');
    }
  } else {
    console.log(`pretest: no ${chromium}: the editor's browser tests will be skipped. Install it with: sudo apt-get install -y chromium`);
  }
}
