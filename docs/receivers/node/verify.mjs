// Verify a hookstream delivery in Node.js with `hookstream/verify` (no Kafka, MongoDB or fastify
// comes with it). `rawBody` must be the body exactly as received: re-serialised JSON differs.
import { isHookstreamError, verify } from 'hookstream/verify';

/** Answers the HTTP status for a delivery: 200 when it verifies, else 401. */
export function check(headers, rawBody, secrets, nowSec = Math.floor(Date.now() / 1000)) {
  try {
    verify({ header: headers['coverbase-signature'], body: rawBody, secrets, nowSec });
    return { status: 200 };
  } catch (err) {
    // SIGNATURE_INVALID or TIMESTAMP_OUT_OF_TOLERANCE
    if (isHookstreamError(err)) return { status: 401, code: err.code };
    throw err;
  }
}

// Test harness (used by hookstream's CI): a JSON list of cases on stdin, one verdict each on stdout.
if (process.argv[2] === '--cases') {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const verdicts = JSON.parse(input).map((c) => {
    const r = check({ 'coverbase-signature': c.header }, c.body, c.secrets, c.now);
    if (r.status === 200) return 'ok';
    return r.code === 'TIMESTAMP_OUT_OF_TOLERANCE' ? 'timestamp' : 'signature';
  });
  process.stdout.write(JSON.stringify(verdicts));
}
