// The egress guard: every outbound connection whose target a tenant can choose (http.request,
// the CRM webhook, LLM base URLs, messaging-provider base URLs, SMTP hosts) goes through this
// module. Only public unicast addresses are reachable unless the tenant's `allowPrivateNetwork`
// (an owner-only setting) allows private ones.
//
// Where the check runs:
// - on the address actually connected to: a DNS lookup hook (`checkedLookup`) given to
//   net/tls.connect, so a name that resolves to 127.0.0.1, or re-resolves to it after an earlier
//   check (DNS rebinding), is refused before any byte is sent;
// - on literal addresses before connecting (net.connect skips the lookup for them), in every
//   spelling: WHATWG URL and this module normalise decimal/octal/hex/short IPv4 forms
//   (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), brackets and trailing dots;
// - by name for `localhost` and `*.localhost` (RFC 6761: always loopback, whatever DNS says);
// - on every redirect hop (createGuardedFetch follows redirects by hand through the same check).
//
// Which addresses are public: IPv4 in ipaddr.js's `unicast` range (not loopback, private,
// link-local incl. 169.254.169.254, CGNAT, unspecified, broadcast, multicast, reserved,
// documentation, benchmarking); IPv6 only inside global unicast 2000::/3 and in ipaddr.js's
// `unicast` range (so ::1, ::, ::/96 IPv4-compatible, fc00::/7 incl. fd00:ec2::254, fe80::/10,
// Teredo, documentation… are refused), except that IPv4-mapped (::ffff:a.b.c.d), NAT64
// (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4 address they embed.
//
// Exports: the address check (isPublicAddress, literalAddress, hostRefusal), the DNS hook
// (checkedLookup), an undici dispatcher (egressDispatcher) and a guarded fetch for undici/SDK
// callers, and a guarded TCP connect (guardedConnect) for clients that open their own sockets
// (SMTP). A refusal is EgressRefused: NodeFailure `address_not_allowed`, not retryable, naming
// the host and the address; nothing was sent, so no answer of the target can leak.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher } from 'undici';
import { NodeFailure } from '../errors/node-failure.error.js';
import type { GuardedFetch } from '../node-contract/define-node.js';

export interface EgressPolicy {
  /** The tenant setting: private, loopback and link-local targets are reachable. */
  allowPrivateNetwork: boolean;
}

export const DENY_PRIVATE: EgressPolicy = Object.freeze({ allowPrivateNetwork: false });
export const ALLOW_PRIVATE: EgressPolicy = Object.freeze({ allowPrivateNetwork: true });

/** A connection refused by the egress guard (never retryable: the target is configuration). */
export class EgressRefused extends NodeFailure {
  override readonly name = 'EgressRefused';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      'address_not_allowed',
      `refusing to connect to ${host}${address !== host ? ` (${address})` : ''}: private, loopback, link-local and other non-public addresses are blocked for this workspace (allowPrivateNetwork is off)`,
      { retryable: false },
    );
    Object.setPrototypeOf(this, EgressRefused.prototype);
  }
}

const GLOBAL_UNICAST = ipaddr.IPv6.parse('2000::');
const NAT64 = ipaddr.IPv6.parse('64:ff9b::');

function ipv4Public(v4: ipaddr.IPv4): boolean {
  return v4.range() === 'unicast';
}

/** The IPv4 address an IPv6 address embeds by a translation scheme we accept, if any. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (v6.match(NAT64, 96)) return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  if (p[0] === 0x2002) return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
  return null;
}

/**
 * True for an address that is public unicast (see the header). Anything that does not parse
 * as an address (a name, garbage) is not public.
 */
export function isPublicAddress(address: string): boolean {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Only canonical literals here (the dotted-quad check is strict): other spellings go through
  // literalAddress() first, so a classful form can never be judged as something else.
  if (!net.isIP(text)) return false;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // IPv6 through WHATWG URL first: ipaddr.js reads `::1.2.3.4` (IPv4-compatible) as
    // IPv4-mapped; the URL parser gives its real value (::102:304). A zone id does not parse: refused.
    parsed = ipaddr.parse(net.isIPv6(text) ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text);
  } catch {
    return false;
  }
  if (parsed.kind() === 'ipv4') return ipv4Public(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  if (v6.zoneId) return false;
  const embedded = embeddedIPv4(v6);
  if (embedded) return ipv4Public(embedded);
  return v6.match(GLOBAL_UNICAST, 3) && v6.range() === 'unicast';
}

/**
 * The address a host string spells, when it is a literal address in any form (brackets,
 * trailing dots, decimal/octal/hex/short IPv4 as WHATWG URL and inet_aton read them), else null.
 */
export function literalAddress(host: string): string | null {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (net.isIP(h)) return h;
  if (h.includes(':')) {
    // IPv6 with a zone id (fe80::1%eth0) or not an address at all.
    return ipaddr.IPv6.isValid(h) ? h : null;
  }
  try {
    const hostname = new URL(`http://${h}/`).hostname;
    if (net.isIPv4(hostname)) return hostname;
  } catch {
    // not a URL host: not an address literal either
  }
  return null;
}

/** `localhost`, `*.localhost` (any case, trailing dots): loopback by definition (RFC 6761). */
export function isLocalhostName(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.+$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * The refusal for a host that is refused without resolving it (a literal non-public address in
 * any spelling, or a localhost name), else null. Names are checked again on every connection.
 */
export function hostRefusal(host: string, policy: EgressPolicy): EgressRefused | null {
  if (policy.allowPrivateNetwork) return null;
  const literal = literalAddress(host);
  if (literal !== null) return isPublicAddress(literal) ? null : new EgressRefused(host, literal);
  if (isLocalhostName(host)) return new EgressRefused(host, 'loopback');
  if (host.trim() === '') return new EgressRefused(host, 'no host');
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;
/** The resolver under the hook (dns.lookup; tests give a fake one to play DNS answers). */
export type Resolver = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/**
 * A DNS lookup for net/tls.connect that refuses non-public answers (every address of the
 * answer is checked, so happy eyeballs cannot pick an unchecked one). The address checked is
 * the one connected to: rebinding after an earlier check does not help.
 */
export function checkedLookup(policy: EgressPolicy, resolve: Resolver = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    const early = hostRefusal(hostname, policy);
    if (early) return process.nextTick(() => callback(early as unknown as NodeJS.ErrnoException, ''));
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses;
      const bad = policy.allowPrivateNetwork ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new EgressRefused(hostname, bad.address) as unknown as NodeJS.ErrnoException, '');
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

const DENY_LOOKUP = checkedLookup(DENY_PRIVATE);

export interface DispatcherOptions {
  /** TCP/TLS connect timeout (undici's default: 10 s). */
  connectTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** The resolver under the lookup hook (tests). */
  resolve?: Resolver;
}

/**
 * An undici dispatcher whose every connection is checked: literal hosts before connecting,
 * names through checkedLookup. Give it to undici's fetch/request (or an SDK's fetch).
 */
export function egressDispatcher(policy: EgressPolicy, options: DispatcherOptions = {}): Dispatcher {
  const base = buildConnector({
    ...(options.connectTimeoutMs !== undefined ? { timeout: options.connectTimeoutMs } : {}),
    ...(policy.allowPrivateNetwork ? {} : { lookup: (options.resolve ? checkedLookup(policy, options.resolve) : DENY_LOOKUP) as never }),
  });
  return new Agent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    connect: (opts, callback) => {
      const refused = hostRefusal(opts.hostname, policy);
      if (refused) return callback(refused, null);
      return base(opts, callback);
    },
  });
}

const deniedAgent = egressDispatcher(DENY_PRIVATE);
const openAgent = egressDispatcher(ALLOW_PRIVATE);

/** The shared dispatcher of a policy (keep-alive pools, one per policy). */
export const dispatcherFor = (policy: EgressPolicy): Dispatcher => (policy.allowPrivateNetwork ? openAgent : deniedAgent);

/** The EgressRefused somewhere in an error's cause chain (undici wraps it in "fetch failed"). */
export function egressRefusalIn(err: unknown): EgressRefused | null {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof EgressRefused) return e;
  }
  return null;
}

const MAX_REDIRECTS = 5;
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** ctx.http: fetch through the egress guard, following up to 5 redirects by hand (each hop checked). */
export function createGuardedFetch(policy: EgressPolicy): GuardedFetch {
  const dispatcher = dispatcherFor(policy);
  return async (url, init) => {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw new NodeFailure('invalid_url', `only http and https URLs are allowed, not ${current.protocol}`, { retryable: false });
      }
      const refused = hostRefusal(current.hostname, policy);
      if (refused) throw refused;
      let response;
      try {
        response = await undiciFetch(current, {
          method: init.method,
          headers: init.headers,
          body: init.body,
          redirect: 'manual',
          dispatcher,
          ...(init.signal ? { signal: init.signal } : {}),
        });
      } catch (err) {
        const cause = egressRefusalIn(err) ?? (err as { cause?: unknown }).cause;
        if (cause instanceof NodeFailure) throw cause;
        throw err;
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        if (hop >= MAX_REDIRECTS) throw new NodeFailure('too_many_redirects', `more than ${MAX_REDIRECTS} redirects`, { retryable: false });
        await response.body?.cancel();
        const next = new URL(location, current);
        // As the fetch standard: 303 (and 301/302 after a POST) become a GET without body,
        // and credentials never follow a redirect to another origin.
        const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && init.method.toUpperCase() === 'POST');
        if (toGet) init = { ...init, method: 'GET', body: undefined };
        if (next.origin !== current.origin && init.headers) {
          // Also a credential's custom header (an http-header credential, e.g. X-API-Key).
          const secret = new Set((init.secretHeaders ?? []).map((h) => h.toLowerCase()));
          const headers = Object.fromEntries(Object.entries(init.headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase()) && !secret.has(k.toLowerCase())));
          init = { ...init, headers };
        }
        current = next;
        continue;
      }
      return response as unknown as Response;
    }
  };
}

export interface GuardedConnectOptions {
  host: string;
  port: number;
  policy: EgressPolicy;
  /** Fails with an ETIMEDOUT error when the TCP connection is not up in time. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A plain TCP connection through the egress guard, for clients that open their own sockets
 * (nodemailer's getSocket hook: TLS, if any, is then negotiated on this socket with the original
 * host name as servername). Resolves when connected; rejects with EgressRefused before any
 * connection attempt, or with the socket's error (code ECONNREFUSED…, ETIMEDOUT on timeout).
 */
export function guardedConnect(options: GuardedConnectOptions): Promise<net.Socket> {
  const { port, policy } = options;
  const literal = literalAddress(options.host);
  return new Promise((resolve, reject) => {
    const refused = hostRefusal(options.host, policy);
    if (refused) return reject(refused);
    if (options.signal?.aborted) return reject(options.signal.reason ?? new Error('aborted'));
    const socket = net.connect({
      // A literal in a spelling net does not read (0x7f.1) connects to the address it spells.
      host: literal ?? options.host,
      port,
      lookup: (policy.allowPrivateNetwork ? dns.lookup : DENY_LOOKUP) as never,
    });
    let timer: NodeJS.Timeout | undefined;
    const done = (err: Error | null): void => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', done);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onAbort = (): void => done(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => done(Object.assign(new Error(`connection to ${options.host}:${port} timed out`), { code: 'ETIMEDOUT' })), options.timeoutMs);
    }
    socket.once('error', done);
    socket.once('connect', () => done(null));
  });
}
