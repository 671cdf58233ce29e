"""Consultations: questions, their messages, drafts and the drafting of replies."""
