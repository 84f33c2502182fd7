"""Verify a hookstream delivery (Coverbase-Signature) with the Python standard library only.

    header: the Coverbase-Signature header, e.g. "t=1767268800,v1=<hex>[,v1=<hex>...]"
    body:   the raw request body as bytes, exactly as received (do not re-serialise parsed JSON)
    secrets: your webhook secret(s), "whsec_..."; during a rotation, both the new and the old one

Raises InvalidSignature or StaleTimestamp; returns the signed timestamp (unix seconds).
"""
import hashlib
import hmac
import time

TOLERANCE_SEC = 300  # accepted clock difference, seconds


class InvalidSignature(Exception):
    pass


class StaleTimestamp(Exception):
    pass


def verify(header, body, secrets, now=None, tolerance=TOLERANCE_SEC):
    if not header:
        raise InvalidSignature("no signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature("malformed signature header")
        if key == "t":
            if timestamp is not None or not value.isdigit():
                raise InvalidSignature("malformed timestamp")
            timestamp = int(value)
        elif key == "v1":
            try:
                signatures.append(bytes.fromhex(value))
            except ValueError:
                pass  # not a v1 signature; another may match
    if timestamp is None or not signatures:
        raise InvalidSignature("signature header needs t= and v1=")
    signed = str(timestamp).encode() + b"." + body
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
        for candidate in signatures:
            # Compare every pair, in constant time: timing tells nothing about which one matched.
            matched = hmac.compare_digest(expected, candidate) or matched
    if not matched:
        raise InvalidSignature("no signature matches")
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance:
        raise StaleTimestamp("timestamp outside the tolerance")
    return timestamp


if __name__ == "__main__":
    # Test harness (used by hookstream's CI): a JSON list of cases on stdin, one verdict each on stdout.
    import json
    import sys

    verdicts = []
    for case in json.load(sys.stdin):
        try:
            verify(case["header"], case["body"].encode("utf-8"), case["secrets"], now=case["now"])
            verdicts.append("ok")
        except InvalidSignature:
            verdicts.append("signature")
        except StaleTimestamp:
            verdicts.append("timestamp")
    json.dump(verdicts, sys.stdout)
