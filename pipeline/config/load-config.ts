import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { EngineConfig, ENV_OVERRIDES } from '../../schemas/config.ts';
import { validate } from '../../schemas/validate.ts';
import { FilterConfig } from '../../filters/filter-config.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_FILES = ['fld.config.json', 'fld.config.yaml', 'fld.config.yml'];

/**
 * Load and validate the config once, at the start of a command: file (explicit path, or the first
 * default file found in cwd), then environment overrides, then defaults. Throws ConfigError naming
 * the file and the field, before any work starts.
 */
export async function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineConfig> {
  const file = path ?? DEFAULT_FILES.find((f) => existsSync(f));
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `config ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    try {
      raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw new ConfigError(
        `config ${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
      );
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError(`config ${file}: must be an object`);
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [name, field] of Object.entries(ENV_OVERRIDES)) if (env[name]) merged[field] = env[name];
  const where = `config ${file ?? '(defaults + environment)'}`;
  try {
    const config = validate(EngineConfig, merged, where);
    // the filters' own schema, the one every merge runs: a typo or a wrong type in `filters` stops the
    // command here, before it can be saved into a round plan that every merge would then fail on
    validate(FilterConfig, config.filters, `${where}: filters`);
    return config;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}
