/**
 * `haform validate FILE... [--format text|json]` exactly: the pre-commit hook's call, on every commit.
 * It skips loading the argument parser, a third of validate's start-up; any other form (--help, a
 * typo) goes through yargs, which parses it to the same options.
 */
export function fastValidateArgs(argv: readonly string[]): { files: string[]; format: 'text' | 'json' } | undefined {
  if (argv[0] !== 'validate' || process.env.HAFORM_NO_FAST_PATH === '1') return undefined;
  const files: string[] = [];
  let format: 'text' | 'json' = 'text';
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const value = a === '--format' ? argv[++i] : a.startsWith('--format=') ? a.slice('--format='.length) : undefined;
    if (value === 'text' || value === 'json') format = value;
    else if (a.startsWith('-')) return undefined;
    else files.push(a);
  }
  return files.length ? { files, format } : undefined;
}
