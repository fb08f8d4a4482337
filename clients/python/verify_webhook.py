"""Verifies a webhook delivery with the Standard Webhooks reference library.

Reads {"secret": "whsec_...", "headers": {...}, "body": "..."} on standard input; exits 0 and
prints "verified" when the signature is valid, fails otherwise.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook

delivery = json.load(sys.stdin)
Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
print("verified")
