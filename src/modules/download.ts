/**
 * Downloading on the host (get_url, unarchive from a URL): a shell function using whichever of
 * curl, wget or python3 the host has, so a minimal image with python3 alone works too.
 */
import { type RawShell, raw, sh } from '../transport/quote.js';

/** Schemes every fetcher understands. */
export const URL_PATTERN = /^(https?|ftp|file):\/\/[^\s]+$/i;

/** Printed on stderr when a download fails, before the fetcher's own message. */
export const DOWNLOAD_FAILED = 'bosun-download-failed';

/**
 * Defines `bosun_fetch URL FILE`: writes the body to FILE, fails on HTTP errors, gives up on
 * a connection or a read that stalls for `timeout` seconds.
 */
export function fetchFunction(timeout: number): RawShell {
  const python = [
    'import shutil, sys, urllib.request',
    'u, f, t = sys.argv[1], sys.argv[2], float(sys.argv[3])',
    'try:',
    '    with urllib.request.urlopen(u, timeout=t) as r, open(f, "wb") as o:',
    '        shutil.copyfileobj(r, o)',
    'except Exception as e:',
    '    sys.stderr.write("%s: %s\\n" % (u, e))',
    '    sys.exit(1)',
  ].join('\n');
  return raw(
    [
      sh`bosun_timeout=${timeout}`.text,
      'bosun_fetch() {',
      '  if command -v curl >/dev/null 2>&1; then',
      '    curl -fsSL --connect-timeout "$bosun_timeout" -y "$bosun_timeout" -Y 1 -o "$2" --url "$1"',
      '  elif command -v wget >/dev/null 2>&1; then',
      '    wget -nv -T "$bosun_timeout" -O "$2" -- "$1"',
      '  elif command -v python3 >/dev/null 2>&1; then',
      sh`    python3 -c ${python} "$1" "$2" "$bosun_timeout"`.text,
      '  else',
      '    echo "neither curl, wget nor python3 is installed" >&2; return 127',
      '  fi',
      '}',
    ].join('\n'),
  );
}

/** The URL's last path segment (decoded), the name a download into a folder gets. */
export function urlFileName(url: string): string {
  try {
    const path = new URL(url).pathname;
    const name = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    return name === '' || name === '.' || name === '..' || name.includes('/') ? 'index.html' : name;
  } catch {
    return 'index.html';
  }
}
