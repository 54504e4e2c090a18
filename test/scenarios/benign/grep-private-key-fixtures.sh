#!/bin/sh
# expect: clean
# why: grepping test fixtures that contain a PEM header
set -e
mkdir -p fixtures
printf -- '-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n' > fixtures/test-key.pem
grep -rl 'BEGIN PRIVATE KEY' fixtures
