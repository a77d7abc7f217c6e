"""Customer identity: matching rules, import files, bulk matching, duplicates, merge and unmerge.

``match_or_create()`` (``ccctl.identity.match``) is the one entry point for code that must
decide who a person is from a few identity fields (a web form, a client site's event).
"""
