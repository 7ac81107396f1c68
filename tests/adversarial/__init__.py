"""Attacks on the tool, one test each: hostile servers, files, archives, state and config (issue: hostile input).

test_secrets.py: no secret in any output of any failure path; test_files.py: files, archives and folders
that are not what they claim; test_state.py: a lost, corrupt or read-only state folder, odd config values.
"""
