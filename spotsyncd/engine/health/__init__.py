"""Checks and the user commands that inspect or repair: doctor, status and why, verify, retag.

May import engine.jobs, engine.resilience and the layers below engine.
"""
