"""The inbound ledger's whole life: store, lease, poll, claim, read, rules, ingest, sweep."""
