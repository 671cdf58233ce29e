"""Mail in and out: mailbox sources, the poller and its ledger, parsing, rules, threading."""
