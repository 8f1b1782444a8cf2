"""The security suite (runs in `make test` on both databases).

Here: hostile input at every operation generated from OpenAPI (control characters, values at and past
every length limit, forged cursors, loose types, unknown query parameters) and the HTTP edge (headers on
errors, trusted proxies, caching, Host, Allow). Beside their domains, in the same run:

- the two audit forgeries: tests/auditlog/test_keyed.py (a changed log re-chained with the public hash
  or a wrong key; a log cut back with its head moved, caught by an anchor) and
  tests/auditlog/test_sealer.py (rows inserted or rewritten behind Vigil's back are never sealed);
- token revocation rules: tests/auth/test_api.py (reset, disable, re-enable, own password change);
- login throttling, known-good devices and enumeration: tests/auth/test_throttle.py, test_service.py;
- schemathesis per role with negative data: tests/test_openapi_fuzz.py (`make fuzz` for more examples).
"""
