// Every call to the admin API: the key from sessionStorage as `Authorization: Bearer`, never in a
// URL; a time-out, a 503 and a refused key each come back as an error that says what happened.

const KEY = 'hookstream.console.key';
/** How long one request may take, milliseconds. */
export const TIMEOUT_MS = 15_000;

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set(key) {
    sessionStorage.setItem(KEY, key);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called with the error when the server refuses the key (401): the app signs out. */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body) {
  const key = session.key;
  if (!key) throw new ApiError(401, 'UNAUTHORIZED', 'Sign in with an API key first.');
  const headers = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    if (err?.name === 'TimeoutError') {
      throw new ApiError(
        0,
        'TIMEOUT',
        `The API did not answer within ${TIMEOUT_MS / 1000} s (${method} ${path.split('?')[0]}). hookstream may be overloaded or unreachable; try again.`,
      );
    }
    throw new ApiError(
      0,
      'NETWORK',
      `The API could not be reached (${method} ${path.split('?')[0]}): is hookstream running?`,
    );
  }
  const text = await res.text();
  let json = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (res.ok) return json;
  const code = json?.error?.code ?? `HTTP_${res.status}`;
  const message = json?.error?.message ?? (text.slice(0, 200) || res.statusText);
  if (res.status === 401) {
    const err = new ApiError(401, code, `The API key was refused: ${message}`);
    onUnauthorized(err);
    throw err;
  }
  if (res.status === 503) {
    throw new ApiError(
      503,
      code,
      `Service unavailable (503): ${message}. hookstream answers this while MongoDB or Kafka is unreachable; try again shortly.`,
    );
  }
  if (res.status === 403) throw new ApiError(403, code, `Not allowed with this key (403): ${message}`);
  if (res.status === 404) throw new ApiError(404, code, `Not found (404): ${message}`);
  throw new ApiError(res.status, code, `${res.status} ${code}: ${message}`);
}

export const enc = encodeURIComponent;
