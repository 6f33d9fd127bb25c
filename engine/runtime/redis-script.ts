// A Lua script called by its SHA (EVALSHA) instead of with its text (EVAL) on every call:
// ioredis's defineCommand sends the text only when Redis answers NOSCRIPT (a new or flushed
// server), so a hot path (a slot per job, a rate check per send) does not ship and hash the
// script each time.
import type { Redis } from 'ioredis';

export type RedisScript = (keys: string[], args: (string | number)[]) => Promise<unknown>;

export function redisScript(redis: Redis, name: string, numberOfKeys: number, lua: string): RedisScript {
  const commands = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  const call = commands[name]!;
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${name} takes ${numberOfKeys} keys, not ${keys.length}`);
    return call.call(redis, ...keys, ...args);
  };
}
