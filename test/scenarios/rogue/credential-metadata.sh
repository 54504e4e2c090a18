#!/bin/sh
# expect: credential-access
# why: asks the cloud metadata service for instance credentials (by name: resolved by cordon's DNS)
curl -s -m 3 http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token -H 'Metadata-Flavor: Google'
true
