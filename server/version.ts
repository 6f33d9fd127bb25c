// The package version, read once (the OpenAPI document reports it). This file runs from
// server/ (tsx) and from dist/server/ (npm start): package.json is one or two levels up.
import { existsSync, readFileSync } from 'node:fs';

const candidates = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)];
const file = candidates.find((u) => existsSync(u) && (JSON.parse(readFileSync(u, 'utf8')) as { name?: string }).name === 'tadfuq');
export const version = file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : '0.0.0';
