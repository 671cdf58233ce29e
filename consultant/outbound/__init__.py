"""The outbox: approved replies as exact bytes, sent once (approved -> sending -> sent | failed)."""
