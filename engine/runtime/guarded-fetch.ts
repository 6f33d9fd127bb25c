// SSRF guard for ctx.http: only public unicast addresses unless the tenant allows private
// networks. The check runs on the address actually connected to (DNS lookup hook), so a
// hostname that resolves to 127.0.0.1, or re-resolves after a check (DNS rebinding), is
// refused too. Redirects are followed by hand so every hop is checked.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { NodeFailure } from '../errors/node-failure.error.js';
import type { GuardedFetch } from '../node-contract/define-node.js';

const MAX_REDIRECTS = 5;
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

function refusal(host: string, address: string): NodeFailure {
  return new NodeFailure('address_not_allowed', `refusing to connect to ${host} (${address}): private, loopback and link-local addresses are blocked for this tenant`, {
    retryable: false,
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

function checkingLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address) as unknown as NodeJS.ErrnoException, '');
    if (options.all) return callback(null, list);
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
}

const guardedAgent = new Agent({ connect: { lookup: checkingLookup as never }, keepAliveTimeout: 10_000 });
const openAgent = new Agent({ keepAliveTimeout: 10_000 });

export interface GuardOptions {
  allowPrivateNetwork: boolean;
}

export function createGuardedFetch(options: GuardOptions): GuardedFetch {
  return async (url, init) => {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw new NodeFailure('invalid_url', `only http and https URLs are allowed, not ${current.protocol}`, { retryable: false });
      }
      const host = current.hostname.replace(/^\[|\]$/g, '');
      if (!options.allowPrivateNetwork && net.isIP(host) && !isPublicAddress(host)) throw refusal(host, host);
      let response;
      try {
        response = await undiciFetch(current, {
          method: init.method,
          headers: init.headers,
          body: init.body,
          redirect: 'manual',
          dispatcher: options.allowPrivateNetwork ? openAgent : guardedAgent,
          ...(init.signal ? { signal: init.signal } : {}),
        });
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
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
