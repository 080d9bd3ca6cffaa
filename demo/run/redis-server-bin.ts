import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * How to start a redis-server on this machine: the `redis-server` command when it is there, else
 * Debian's `redis-tools` binary, which is the server itself when started under that name (the
 * `redis-server` package adds only the service and its symlink, and installing it starts a second
 * Redis beside the machine's own). Null when neither is installed.
 */
export interface RedisServerCommand {
  command: string;
  argv0?: string;
}

const DEBIAN_TOOLS_BINARY = '/usr/bin/redis-check-rdb';
let found: RedisServerCommand | null | undefined;

export function redisServerCommand(): RedisServerCommand | null {
  if (found !== undefined) return found;
  if (spawnSync('redis-server', ['--version']).status === 0) found = { command: 'redis-server' };
  else if (
    existsSync(DEBIAN_TOOLS_BINARY) &&
    spawnSync(DEBIAN_TOOLS_BINARY, ['--version'], { argv0: 'redis-server' }).stdout?.toString().includes('Redis server')
  ) {
    found = { command: DEBIAN_TOOLS_BINARY, argv0: 'redis-server' };
  } else found = null;
  return found;
}
