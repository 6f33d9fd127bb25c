// A local SMTP server (smtp-server) that records the messages it accepts, for tests (nothing
// leaves the machine). Plain SMTP on 127.0.0.1 (no STARTTLS), AUTH PLAIN/LOGIN checked against
// one user, and scriptable refusals: a recipient refused with 550, or the message with 451/554.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface SmtpMessage {
  from: string;
  to: string[];
  raw: string;
  /** Header values (first occurrence, unfolded), by lower-cased name. */
  headers: Record<string, string>;
}

export interface FakeSmtp {
  host: string;
  port: number;
  user: string;
  pass: string;
  messages: SmtpMessage[];
  /** Refuse RCPT TO for these addresses (550). */
  refuseRecipients: Set<string>;
  /** Answer the next message's data with this SMTP reply code (e.g. 451, 554) instead of accepting it. */
  refuseNextData(code: number, message?: string): void;
  close(): Promise<void>;
}

function headersOf(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const out: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!(name in out)) out[name] = line.slice(i + 1).trim();
  }
  return out;
}

export async function startFakeSmtp(options: { user?: string; pass?: string } = {}): Promise<FakeSmtp> {
  const user = options.user ?? 'mailer@example.test';
  const pass = options.pass ?? 'smtp-test-password';
  const messages: SmtpMessage[] = [];
  const refuseRecipients = new Set<string>();
  let refuseData: { code: number; message: string } | null = null;

  const config: SMTPServerOptions = {
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    // No reverse DNS of the client: each lookup of 127.0.0.1 can cost seconds on a busy resolver.
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (refuseRecipients.has(address.address.toLowerCase())) return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuseData) {
          const { code, message } = refuseData;
          refuseData = null;
          return callback(Object.assign(new Error(message), { responseCode: code }));
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          headers: headersOf(raw),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(config);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    user,
    pass,
    messages,
    refuseRecipients,
    refuseNextData: (code, message = code < 500 ? 'Try again later' : 'Message rejected') => void (refuseData = { code, message }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
