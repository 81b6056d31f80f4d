/**
 * Providers by name. The built-in ones are registered lazily (importing the in-memory provider pulls in
 * the API server and the bootstrap agent, which a daemon using another provider never needs);
 * `clusterd run --provider-module NAME_OR_PATH` adds more through loadProviderModule.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InfrastructureProvider, ProviderContext, ProviderFactory } from './types.js';

export class ProviderRegistry {
  private readonly factories = new Map<string, ProviderFactory>();
  private readonly instances = new Map<string, Promise<InfrastructureProvider>>();

  constructor(private readonly ctxFor: (name: string) => ProviderContext) {}

  /** Registers a provider factory; a second registration of the same name is an error. */
  register(name: string, factory: ProviderFactory): void {
    if (!PROVIDER_NAME.test(name)) throw new Error(`provider name ${JSON.stringify(name)} is invalid: must be a lowercase DNS-1123 label`);
    if (this.factories.has(name)) throw new Error(`provider ${JSON.stringify(name)} is already registered`);
    this.factories.set(name, factory);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** The provider instance for name, created on first use with its own data dir and logger. */
  get(name: string): Promise<InfrastructureProvider> {
    let inst = this.instances.get(name);
    if (!inst) {
      const factory = this.factories.get(name);
      if (!factory) {
        return Promise.reject(new Error(`unknown infrastructure provider ${JSON.stringify(name)}: registered providers are ${this.names().map((n) => JSON.stringify(n)).join(', ') || 'none'}`));
      }
      inst = Promise.resolve(factory(this.ctxFor(name))).then((p) => {
        if (p.name !== name) throw new Error(`provider registered as ${JSON.stringify(name)} calls itself ${JSON.stringify(p.name)}`);
        return p;
      });
      inst.catch(() => this.instances.delete(name));
      this.instances.set(name, inst);
    }
    return inst;
  }

  /** Closes every provider created so far. */
  async close(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close?.()));
  }
}

const PROVIDER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The registry with clusterd's built-in providers. */
export function defaultRegistry(ctxFor: (name: string) => ProviderContext): ProviderRegistry {
  const reg = new ProviderRegistry(ctxFor);
  reg.register('inmemory', async (ctx) => (await import('./inmemory/provider.js')).createInMemoryProvider(ctx));
  reg.register('local', async (ctx) => (await import('./local/provider.js')).createLocalProvider(ctx));
  return reg;
}

function isProvider(v: unknown): v is InfrastructureProvider {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.name === 'string' && typeof p.configSchema === 'object' &&
    ['reconcileClusterInfrastructure', 'deleteClusterInfrastructure', 'createOrGetMachine', 'deleteMachine'].every((m) => typeof p[m] === 'function');
}

export interface LoadedProviderModule {
  name: string;
  factory: ProviderFactory;
}

/**
 * Loads a provider from an npm package name or a file path. The module's default export, or else its
 * `provider` export, is either a provider object or a factory `(ctx) => provider` with a `providerName`
 * property (so the registry knows the name before creating it). Register the result:
 * `registry.register(loaded.name, loaded.factory)`.
 */
export async function loadProviderModule(nameOrPath: string): Promise<LoadedProviderModule> {
  const looksLikePath = nameOrPath.startsWith('.') || isAbsolute(nameOrPath) || /\.(c|m)?js$/.test(nameOrPath);
  const specifier = looksLikePath ? pathToFileURL(resolve(nameOrPath)).href : nameOrPath;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--provider-module ${nameOrPath}: cannot load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exported = mod.default ?? mod.provider;
  if (isProvider(exported)) {
    return { name: exported.name, factory: () => exported };
  }
  if (typeof exported === 'function') {
    const factory = exported as ProviderFactory & { providerName?: unknown };
    if (typeof factory.providerName === 'string') return { name: factory.providerName, factory };
    throw new Error(`--provider-module ${nameOrPath}: the exported factory needs a string "providerName" property`);
  }
  throw new Error(`--provider-module ${nameOrPath}: exports neither a default nor a "provider" that is a provider or a provider factory`);
}
