/**
 * The two invocations that run most, parsed without yargs (its load and help rendering cost a third
 * of validate's start-up and a sixth of generate's):
 *   validate FILE... [--format text|json]          the pre-commit hook, on every commit
 *   generate FILE --out DIR [--check] [--force] [--allow-destroy] [--dry-run]
 * Only these exact spellings are taken; anything else (help, a typo, --no-check, a repeated option)
 * goes to yargs, which parses the spellings taken here to the same options.
 */
export type FastArgs =
  | { readonly command: 'validate'; readonly files: string[]; readonly format: 'text' | 'json' }
  | {
      readonly command: 'generate';
      readonly file: string;
      readonly out: string;
      readonly check: boolean;
      readonly force: boolean;
      readonly allowDestroy: boolean;
      readonly dryRun: boolean;
    };

interface Scanned {
  readonly positionals: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

/**
 * Splits arguments by a fixed table: `values` maps each option taking a value to its spellings (a
 * long one also as --name=VALUE), `flags` lists boolean options. Undefined at the first doubt.
 */
function scan(args: readonly string[], values: Record<string, readonly string[]>, flags: readonly string[]): Scanned | undefined {
  const out: Scanned = { positionals: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const spelling = eq > 0 ? a.slice(0, eq) : a;
    const key = Object.keys(values).find((k) => values[k]!.includes(spelling));
    if (key !== undefined) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === '' || value.startsWith('-') || out.values.has(key)) return undefined;
      out.values.set(key, value);
    } else if (flags.includes(a) && !out.flags.has(a)) {
      out.flags.add(a);
    } else {
      return undefined;
    }
  }
  return out;
}

export function fastArgs(argv: readonly string[]): FastArgs | undefined {
  if (process.env.HAFORM_NO_FAST_PATH === '1') return undefined;
  const [command, ...rest] = argv;
  if (command === 'validate') {
    const s = scan(rest, { format: ['--format'] }, []);
    const format = s?.values.get('format') ?? 'text';
    if (!s?.positionals.length || (format !== 'text' && format !== 'json')) return undefined;
    return { command, files: s.positionals, format };
  }
  if (command === 'generate') {
    const s = scan(rest, { out: ['--out', '-o'] }, ['--check', '--force', '--allow-destroy', '--dry-run']);
    const out = s?.values.get('out');
    if (!s || s.positionals.length !== 1 || out === undefined) return undefined;
    const flag = (f: string) => s.flags.has(f);
    return { command, file: s.positionals[0]!, out, check: flag('--check'), force: flag('--force'), allowDestroy: flag('--allow-destroy'), dryRun: flag('--dry-run') };
  }
  return undefined;
}
