"""Code knowledge: CMS data releases, licensed descriptors and our own summaries, and lookups."""
