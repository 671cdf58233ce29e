"""The review queue: drafts waiting for a certified coder."""
